"""Parsing raw mail into a ParsedMessage: headers, MIME parts, attachments, the fresh text of a
reply.
"""
