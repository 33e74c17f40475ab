"""The daily run: advice reminders to professionals and the deadline watch for caseworkers, on
working days.
"""
