"""Find active content in an untrusted PDF from its raw bytes, without a PDF library: JavaScript,
automatic actions (OpenAction, AA, Launch), XFA, a zip appended after %%EOF, and a web page (or
other bytes) before the %PDF- header.

Names are found in the file as written and inside compressed object streams, which are inflated
here with zlib under a budget (a hostile stream stops at the budget, it does not fill memory);
name escapes such as /J#61vaScript are decoded. No object is parsed, so the scan runs in the
service's own process; pypdf only ever runs in the sandbox worker.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass

# The PDF names that make a document act by itself, and what each is called in a finding.
ACTIVE_NAMES = {
    b"JavaScript": "javascript",
    b"JS": "javascript",
    b"OpenAction": "open-action",
    b"AA": "automatic-action",
    b"Launch": "launch-action",
    b"XFA": "xfa",
}
# Delimiters and white space end a name (PDF 32000-1:2008, 7.2.2 and 7.3.5).
_REGULAR = rb"[^\x00\t\n\x0c\r /<>\[\]()%{}]"
_ACTIVE_NAME = re.compile(rb"/(JavaScript|JS|OpenAction|AA|Launch|XFA)(?!" + _REGULAR + rb")")
_ESCAPED_NAME = re.compile(rb"/(" + _REGULAR + rb"*#[0-9A-Fa-f]{2}" + _REGULAR + rb"*)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm(?!" + _REGULAR + rb")")
_STREAM_START = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/" + _REGULAR + rb"+)")
_NAME = re.compile(rb"/(" + _REGULAR + rb"+)")
_REFERENCE = re.compile(rb"(\d+)\s+(\d+)\s+R")
_GOTO = re.compile(rb"/S\s*/GoTo(?!" + _REGULAR + rb")")
# How much of a value is looked at to tell a destination or GoTo from another action.
VALUE_PREVIEW = 512

# Viewers accept a header anywhere in the first kilobyte (the reader does too).
HEADER_WITHIN = 1024
# Inflated bytes of object streams looked at in one file; beyond it, the rest is not looked at
# and that is reported. A form's object streams are far smaller.
MAX_INFLATED_BYTES = 16 * 1024 * 1024
# A zip's end record sits in the last 64 KiB (its comment is at most 65535 bytes).
ZIP_END_WITHIN = 22 + 65535
_HTML_MARKS = (b"<html", b"<!doctype", b"<script", b"<body", b"<head", b"<meta", b"<iframe")


@dataclass(frozen=True)
class ActiveContent:
    """What the scan found: finding names (empty when none) and, for a caseworker, where."""

    findings: tuple[str, ...] = ()
    detail: str = ""

    def __bool__(self) -> bool:
        return bool(self.findings)


def scan_active_content(data: bytes) -> ActiveContent:
    """The active content in PDF `data`; nothing found for bytes with no PDF header."""
    header = data.find(b"%PDF-", 0, HEADER_WITHIN)
    if header == -1:
        return ActiveContent()
    found: dict[str, str] = {}
    before = data[:header].lstrip(b"\xef\xbb\xbf \t\r\n\x0c\x00")
    if before:
        kind = "html-before-header" if _looks_like_html(before) else "data-before-header"
        found[kind] = f"{header} bytes before %PDF-"
    if (where := _appended_zip(data)) is not None:
        found["appended-zip"] = where
    streams, unread = _object_streams(data)
    objects = _Objects(data, streams)
    _names_in(data, "in the file", found, objects)
    for stream in streams:
        _names_in(stream.text, "in an object stream", found, objects)
    if unread:
        # What cannot be read cannot be vouched for: encrypted object streams (an empty user
        # password opens them in any viewer) hide names from this scan as well as any filter.
        why = " (the file is encrypted)" if b"/Encrypt" in data else ""
        found["unread-object-streams"] = f"{unread} object stream(s) not read{why}"
    ordered = tuple(sorted(found))
    return ActiveContent(ordered, "; ".join(f"{name}: {found[name]}" for name in ordered))


def _looks_like_html(before: bytes) -> bool:
    lowered = before[:HEADER_WITHIN].lower()
    return any(mark in lowered for mark in _HTML_MARKS)


def _appended_zip(data: bytes) -> str | None:
    """Where a zip hides in the file: after the last %%EOF, or ending the file as a zip does."""
    end = data.rfind(b"%%EOF")
    if end != -1 and data.find(b"PK\x03\x04", end) != -1:
        return f"zip entries after %%EOF at byte {end}"
    tail_start = max(0, len(data) - ZIP_END_WITHIN)
    at = data.rfind(b"PK\x05\x06", tail_start)
    while at != -1:
        comment = int.from_bytes(data[at + 20 : at + 22], "little")
        # Zip readers look for this record at the very end, less its comment.
        if at + 22 + comment >= len(data) - 64:
            return f"zip end record at byte {at}"
        at = data.rfind(b"PK\x05\x06", tail_start, at)
    return None


def _names_in(text: bytes, place: str, found: dict[str, str], objects: _Objects) -> None:
    for match in _ACTIVE_NAME.finditer(text):
        _note_name(match.group(1), text, match.end(), place, found, objects)
    for name, end in _escaped_names(text):
        if name in ACTIVE_NAMES:
            where = f"{place}, written with # escapes"
            _note_name(name, text, end, where, found, objects)


def _escaped_names(text: bytes) -> list[tuple[bytes, int]]:
    """Names written with #xx escapes, decoded, with where each ends."""
    return [
        (_HEX_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), match.group(1)), match.end())
        for match in _ESCAPED_NAME.finditer(text)
    ]


def _note_name(
    name: bytes, text: bytes, end: int, place: str, found: dict[str, str], objects: _Objects
) -> None:
    finding = ACTIVE_NAMES[name]
    if finding == "open-action" and _only_opens_a_page(objects.value_at(text, end)):
        return  # a destination ([page /Fit]) or a GoTo only chooses the first view
    found.setdefault(finding, f"/{name.decode('latin-1')} {place}")


def _only_opens_a_page(value: bytes) -> bool:
    if value.startswith(b"["):
        return True
    # A GoTo action dictionary with no /Next action chained after it.
    return value.startswith(b"<<") and bool(_GOTO.search(value)) and b"/Next" not in value


class _Objects:
    """Finds the start of an object's value, in the file or in an object stream."""

    def __init__(self, data: bytes, streams: list[_ObjectStream]) -> None:
        self.data = data
        self.in_streams = {
            number: (stream.text, start)
            for stream in streams
            for number, start in stream.starts.items()
        }

    def value_at(self, text: bytes, end: int) -> bytes:
        """The value after a key ending at `end`, following one indirect reference."""
        rest = text[end : end + VALUE_PREVIEW].lstrip()
        reference = _REFERENCE.match(rest)
        if reference is None:
            return rest
        number = int(reference.group(1))
        written = re.search(rb"(?<!\d)%d\s+%s\s+obj" % (number, reference.group(2)), self.data)
        if written is not None:
            return self.data[written.end() : written.end() + VALUE_PREVIEW].lstrip()
        if number in self.in_streams:
            stream_text, start = self.in_streams[number]
            return stream_text[start : start + VALUE_PREVIEW].lstrip()
        return b""


@dataclass(frozen=True)
class _ObjectStream:
    """An inflated object stream: its text and where each object in it starts."""

    text: bytes
    starts: dict[int, int]


def _object_streams(data: bytes) -> tuple[list[_ObjectStream], int]:
    """The inflated object streams of the file, and how many could not be read (damaged, a
    filter not handled here, encrypted, or past the budget)."""
    streams: list[_ObjectStream] = []
    budget, unread = MAX_INFLATED_BYTES, 0
    marks = [match.end() for match in _OBJECT_STREAM.finditer(data)]
    marks += [end for name, end in _escaped_names(data) if name == b"ObjStm"]
    for mark in sorted(marks):
        start = _STREAM_START.search(data, mark)
        if start is None:
            continue
        dictionary = data[max(0, data.rfind(b"obj", 0, mark)) : start.start()]
        filters = _filters(dictionary)
        if not filters:
            continue  # not compressed: its names were seen in the file
        stop = data.find(b"endstream", start.end())
        body = data[start.end() : stop if stop != -1 else len(data)]
        text, whole = _decoded(body, filters, budget) if budget > 0 else (None, False)
        unread += not whole
        if text is not None:
            budget -= len(text)
            streams.append(_ObjectStream(text, _object_starts(dictionary, text)))
    return streams, unread


def _filters(dictionary: bytes) -> list[bytes]:
    found = _FILTER.search(dictionary)
    return _NAME.findall(found.group(1)) if found else []


def _decoded(body: bytes, filters: list[bytes], budget: int) -> tuple[bytes | None, bool]:
    """`body` through its filters, and whether all of it was: (None, False) when a filter is
    not handled here or the data is damaged; the text so far and False past the budget."""
    whole = True
    try:
        for name in filters:
            if name in (b"FlateDecode", b"Fl"):
                inflater = zlib.decompressobj()
                body = inflater.decompress(body, budget)
                whole = whole and inflater.eof
            elif name in (b"ASCIIHexDecode", b"AHx"):
                hex_digits = re.sub(rb"[^0-9A-Fa-f]", b"", body.partition(b">")[0])
                body = binascii.unhexlify(hex_digits + b"0" * (len(hex_digits) % 2))
            elif name in (b"ASCII85Decode", b"A85"):
                body = base64.a85decode(body.strip().removesuffix(b"~>") + b"~>", adobe=True)
            else:
                return None, False
    except (zlib.error, binascii.Error, ValueError):
        return None, False
    return body, whole


_INTEGER_PAIR = re.compile(rb"\s*(\d+)\s+(\d+)")
_FIRST = re.compile(rb"/First\s+(\d+)")


def _object_starts(dictionary: bytes, text: bytes) -> dict[int, int]:
    """Object number to offset in `text`, from the stream's header of number-offset pairs."""
    first = _FIRST.search(dictionary)
    if first is None:
        return {}
    base, starts, at = int(first.group(1)), {}, 0
    while at < base and (pair := _INTEGER_PAIR.match(text, at)) and pair.end() <= base:
        starts[int(pair.group(1))] = base + int(pair.group(2))
        at = pair.end()
    return starts
