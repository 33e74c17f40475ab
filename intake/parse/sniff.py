"""What a file is by its first bytes, whatever its name says: a small table of magic numbers, and
what a file's name and declared type lead one to expect, so a mismatch can be seen.

Office files are zip archives (OOXML, OpenDocument) or OLE compound files; a zip is opened far
enough to read its list of names, which tells a Word document from a Java program or a document
with macros. Nothing else is decoded, and no system library (libmagic) is needed.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

# Kinds that are programs, whatever they are called: refused.
REFUSED_KINDS = frozenset(("executable", "script", "java-archive", "office-macros"))

# (kind, offset, magic) in the order tried; the first match wins.
MAGIC: tuple[tuple[str, int, bytes], ...] = (
    ("executable", 0, b"MZ"),  # DOS and Windows programs and libraries (PE)
    ("executable", 0, b"\x7fELF"),  # Linux and Unix programs
    ("executable", 0, b"\xfe\xed\xfa\xce"),  # Mach-O (macOS), 32 and 64 bit, either byte order
    ("executable", 0, b"\xfe\xed\xfa\xcf"),
    ("executable", 0, b"\xce\xfa\xed\xfe"),
    ("executable", 0, b"\xcf\xfa\xed\xfe"),
    ("executable", 0, b"\xca\xfe\xba\xbe"),  # Mach-O universal, or a Java class file
    ("script", 0, b"#!"),  # a Unix script names its interpreter
    ("png", 0, b"\x89PNG\r\n\x1a\n"),
    ("jpeg", 0, b"\xff\xd8\xff"),
    ("gif", 0, b"GIF87a"),
    ("gif", 0, b"GIF89a"),
    ("tiff", 0, b"II*\x00"),
    ("tiff", 0, b"MM\x00*"),
    ("zip", 0, b"PK\x03\x04"),
    ("zip", 0, b"PK\x05\x06"),  # an empty zip
    ("ole", 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),  # Word 97-2003, Excel, Outlook .msg, .msi
    ("rtf", 0, b"{\\rtf"),
    ("rar", 0, b"Rar!\x1a\x07"),
    ("7z", 0, b"7z\xbc\xaf\x27\x1c"),
    ("gzip", 0, b"\x1f\x8b"),
    ("bzip2", 0, b"BZh"),
    ("xz", 0, b"\xfd7zXZ\x00"),
    ("cab", 0, b"MSCF"),
    ("disk-image", 0x8001, b"CD001"),  # ISO 9660, a way to smuggle programs past mail filters
)

# Viewers accept a PDF whose header comes after other bytes, within the first kilobyte.
PDF_HEADER_WITHIN = 1024
# Text that starts a web page or a script for a browser or mshta.
_MARKUP_STARTS = ((b"<script", "script"), (b"<hta:", "script"), (b"<!doctype html", "html"))
_MARKUP_STARTS += ((b"<html", "html"),)

_IMAGES = {"jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "jfif": "jpeg", "png": "png"}
_IMAGES |= {"gif": "gif", "tif": "tiff", "tiff": "tiff"}
_OOXML = frozenset(("ooxml", "zip"))
_ODF = frozenset(("odf", "zip"))
# What a file's extension leads one to expect; an extension not listed expects nothing.
BY_EXTENSION: dict[str, frozenset[str]] = {
    "pdf": frozenset(("pdf",)),
    **{extension: frozenset((kind,)) for extension, kind in _IMAGES.items()},
    **dict.fromkeys(("docx", "xlsx", "pptx", "dotx", "xltx", "potx", "ppsx"), _OOXML),
    **dict.fromkeys(("odt", "ods", "odp", "odg"), _ODF),
    **dict.fromkeys(("doc", "xls", "ppt", "msg", "dot", "xlt", "pot", "pps"), frozenset(("ole",))),
    "rtf": frozenset(("rtf",)),
    "zip": frozenset(("zip", "ooxml", "odf")),
    # Plain text has no magic number: any we recognise is something else.
    **dict.fromkeys(("txt", "csv"), frozenset()),
    **dict.fromkeys(("htm", "html"), frozenset(("html",))),
}
# What a declared Content-Type leads one to expect; generic types (octet-stream) expect nothing.
BY_TYPE: dict[str, frozenset[str]] = {
    "application/pdf": frozenset(("pdf",)),
    "image/jpeg": frozenset(("jpeg",)),
    "image/png": frozenset(("png",)),
    "image/gif": frozenset(("gif",)),
    "image/tiff": frozenset(("tiff",)),
    "application/msword": frozenset(("ole",)),
    "application/vnd.ms-excel": frozenset(("ole",)),
    "application/zip": frozenset(("zip", "ooxml", "odf")),
    "application/rtf": frozenset(("rtf",)),
}
_TYPE_PREFIXES = (
    ("application/vnd.openxmlformats-officedocument.", _OOXML),
    ("application/vnd.oasis.opendocument.", _ODF),
)


@dataclass(frozen=True)
class Sniffed:
    """A file's kind by content (None: nothing we know), and how it sits with its name and type.

    `magic` is the first bytes in hex, for a caseworker; `expected` what the name and declared
    type lead one to expect, empty when they say nothing."""

    kind: str | None
    magic: str
    expected: tuple[str, ...] = ()
    mismatch: bool = False

    @property
    def refused(self) -> bool:
        return self.kind in REFUSED_KINDS


def sniff(data: bytes) -> str | None:
    """The kind of file `data` is by its first bytes; None when they match nothing we know."""
    for kind, offset, magic in MAGIC:
        if data.startswith(magic, offset):
            return _zip_kind(data) if kind == "zip" else kind
    if data.find(b"%PDF-", 0, PDF_HEADER_WITHIN) != -1:
        return "pdf"
    start = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return next((kind for prefix, kind in _MARKUP_STARTS if start.startswith(prefix)), None)


def _zip_kind(data: bytes) -> str:
    """OOXML, OpenDocument, a Java program, an Office file with macros, or any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "zip"  # a damaged or partial zip: still a zip, as far as anyone can say
    lowered = {name.lower() for name in names}
    # A macro project in a file called .docx is a .docm renamed to slip past a name check.
    if any(name.rpartition("/")[2] == "vbaproject.bin" for name in lowered):
        return "office-macros"
    if "meta-inf/manifest.mf" in lowered and any(n.endswith(".class") for n in lowered):
        return "java-archive"
    if "[content_types].xml" in lowered:
        return "ooxml"
    return "odf" if "mimetype" in lowered else "zip"


def expected_kinds(filename: str, content_type: str) -> frozenset[str] | None:
    """The kinds a file's name allows, else its declared type; None when neither says. The name
    comes first: it decides the program that opens the file, and mail programs often declare a
    type loosely (a .docx sent as application/msword)."""
    extension = filename.lower().rstrip(". ").rpartition(".")[2] if "." in filename else ""
    by_name = BY_EXTENSION.get(extension)
    if by_name is not None:
        return by_name
    declared = content_type.lower()
    return BY_TYPE.get(declared) or next(
        (kinds for prefix, kinds in _TYPE_PREFIXES if declared.startswith(prefix)), None
    )


def judge_content(filename: str, content_type: str, data: bytes) -> Sniffed:
    """What `data` is, and whether its name (or, without one, its type) says something else."""
    kind = sniff(data)
    expected = expected_kinds(filename, content_type)
    mismatch = kind is not None and expected is not None and kind not in expected
    return Sniffed(kind, data[:8].hex(" "), tuple(sorted(expected or ())), mismatch)
