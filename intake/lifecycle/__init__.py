"""The data lifecycle: retention (what is due to go, and the purge that removes it), the legal
hold that stops a case's purge, and the export and import of a whole service (database and files).
"""

from intake.lifecycle.archive import ArchiveError
from intake.lifecycle.export import export_service
from intake.lifecycle.holds import HoldChange, place_legal_hold, release_legal_hold
from intake.lifecycle.purge import PurgeReport, purge
from intake.lifecycle.restore import import_service, verify_archive

__all__ = [
    "ArchiveError",
    "HoldChange",
    "PurgeReport",
    "export_service",
    "import_service",
    "place_legal_hold",
    "purge",
    "release_legal_hold",
    "verify_archive",
]
