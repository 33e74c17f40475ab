"""The service core: receiving mail, the pipeline, cases, accounts, the CLI and wiring."""
