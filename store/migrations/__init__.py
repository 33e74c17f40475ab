"""Alembic migrations of the store's schema; `store.upgrade(url)` runs them."""
