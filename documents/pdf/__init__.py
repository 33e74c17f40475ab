"""PDF files: fillable forms and receipts drawn with reportlab, and fields read with pypdf in a
sandboxed worker.
"""
