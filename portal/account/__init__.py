"""The pages of a person's own account: registering, activating from the emailed link, signing in
with two-step verification, resetting a password, and releasing a held form with its code.
"""
