"""Forms as data: fillable PDFs out, every step read and validated back.

Uses nothing else of ours, so forms can be rendered, read and validated with no database.
The public surface is re-exported here once every module has landed.
"""
