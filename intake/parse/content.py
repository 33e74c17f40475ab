"""What an attachment's bytes show, whatever it is called: its kind by magic number, for a PDF
its active content, and the flags a caseworker should see on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from documents import ActiveContent, scan_active_content
from intake.parse.sniff import Sniffed, judge_content

# Short labels on the attachment row, for the caseworker (the reason codes word things for the
# professional).
KIND_WORDS = {
    "pdf": "a PDF",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "ooxml": "an Office (OOXML) document",
    "odf": "an OpenDocument file",
    "ole": "an Office 97-2003 file or Outlook message",
    "zip": "a zip archive",
    "html": "a web page",
}

ACTIVE_WORDS = {
    "javascript": "JavaScript",
    "open-action": "an action run on opening",
    "automatic-action": "automatic actions",
    "launch-action": "an action that starts a program",
    "xfa": "an XFA form",
    "appended-zip": "a zip archive hidden after its end",
    "html-before-header": "a web page before the PDF",
    "data-before-header": "other data before the PDF",
    "unread-object-streams": "compressed parts that could not be checked",
}


@dataclass(frozen=True)
class ContentReport:
    """An attachment's content as seen by `judge_content` and, for a PDF, by
    `scan_active_content`, with its flags for the caseworker."""

    sniffed: Sniffed
    active: ActiveContent = ActiveContent()

    @property
    def flags(self) -> list[str]:
        flags = []
        sniffed = self.sniffed
        if sniffed.mismatch and sniffed.kind is not None:
            kind = KIND_WORDS.get(sniffed.kind, f"a {sniffed.kind} file")
            flags.append(f"content is {kind}, not what its name or type says")
        if self.active:
            words = ", ".join(ACTIVE_WORDS.get(name, name) for name in self.active.findings)
            flags.append(f"PDF with active content, not to be opened in a viewer: {words}")
        return flags


def examine(filename: str, content_type: str, data: bytes) -> ContentReport:
    sniffed = judge_content(filename, content_type, data)
    if sniffed.kind != "pdf":
        return ContentReport(sniffed)
    return ContentReport(sniffed, scan_active_content(data))
