"""The exceptions the service raises on purpose.

    CommandFailed   a command could not do its job for a reason the user can act on (exit 1)

Ordinary outcomes (a rejected form, an ignored message) are data, never exceptions.
"""


class CommandFailed(Exception):
    """A handled failure: the message is the one-line reason printed after `intake:`."""
