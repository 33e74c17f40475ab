"""Signing in and proving who someone is: passwords, single-use links (activation, password
reset), one-time codes by email or authenticator app, and the lock after repeated wrong codes.
"""
