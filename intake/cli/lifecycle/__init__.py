"""The `intake` commands of the data lifecycle: `purge`, `export` and `import`."""
