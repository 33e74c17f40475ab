"""The web face: the caseworker dashboard and professionals' pages (to come;
docs/architecture.md)."""
