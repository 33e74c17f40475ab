"""The service core: receiving mail, the pipeline, cases, accounts, the CLI and wiring."""

import importlib.metadata

DISTRIBUTION = "ehcp-intake"


def package_version() -> str:
    """The installed version (`intake --version`, the API's schema)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown: not installed)"
