"""Screening a parsed message before it is routed: a table of named checks (automatic mail,
senders, sizes, attachments judged by name and by content) whose every hit and miss is kept.
"""
