"""The `intake` command, one module per group of subcommands."""
