"""What people are shown: the intake queue and its lists, a message, a case and its page, the
compliance figures and a professional's own cases, as the CLI and the portal read them.
"""
