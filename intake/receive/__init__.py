"""Receiving mail: the SMTP listener, the IMAP watcher, and capture of the raw bytes before either
is acknowledged.
"""
