"""Cases and the people on them: accounts, requests and advice recorded, the statutory timeline,
progress mail.
"""
