"""The processing pipeline: screen, route and handle each captured message, ending it with one final
status.
"""
