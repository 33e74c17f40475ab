"""Placeholder package: see ../shared/ARCHITECTURE.md section 2 for what lands here."""
