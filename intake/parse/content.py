"""What an attachment's bytes show, whatever it is called: its kind by magic number, and the
flags a caseworker should see on it (content that does not match its name).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class ContentReport:
    """An attachment's content as seen by `judge_content`, with its flags for the caseworker."""

    sniffed: Sniffed

    @property
    def flags(self) -> list[str]:
        sniffed = self.sniffed
        if not sniffed.mismatch or sniffed.kind is None:
            return []
        kind = KIND_WORDS.get(sniffed.kind, f"a {sniffed.kind} file")
        return [f"content is {kind}, not what its name or type says"]


def examine(filename: str, content_type: str, data: bytes) -> ContentReport:
    return ContentReport(judge_content(filename, content_type, data))
