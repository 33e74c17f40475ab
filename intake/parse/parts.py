"""Walk the MIME tree of a parsed message: pick the body text, collect the attachments (from
forwarded messages and Outlook winmail.dat too), and note every defect found on the way.
"""

from __future__ import annotations

import binascii
import hashlib
import mimetypes
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.utils import collapse_rfc2231_value
from functools import cached_property

from tnefparse import TNEF

from intake.parse.content import ContentReport, examine
from intake.parse.headers import decode_words
from intake.parse.shape import measure_raw
from intake.parse.text import decode_text, unsurrogate

MAX_FILENAME_CHARS = 120
# Bounds on the work one message can cause; screening rejects far below these, they only keep a
# hostile message from walking forever.
MAX_WALK_DEPTH = 50
MAX_WALK_PARTS = 1_000

TNEF_TYPES = frozenset(("application/ms-tnef", "application/vnd.ms-tnef"))
BODY_TYPES = frozenset(("text/plain", "text/html"))

# Python's defect classes, as words a caseworker can read.
DEFECT_WORDS = {
    "NoBoundaryInMultipartDefect": "missing boundary",
    "StartBoundaryNotFoundDefect": "start boundary not found",
    "CloseBoundaryNotFoundDefect": "close boundary not found",
    "MultipartInvariantViolationDefect": "multipart without parts",
    "InvalidBase64PaddingDefect": "broken base64 (padding)",
    "InvalidBase64CharactersDefect": "broken base64 (invalid characters)",
    "InvalidBase64LengthDefect": "broken base64 (length): kept undecoded",
    "MissingHeaderBodySeparatorDefect": "missing blank line after headers",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "misplaced envelope header",
    "InvalidMultipartContentTransferEncodingDefect": "bad transfer encoding on a multipart",
}


@dataclass(frozen=True)
class Attachment:
    """One attached file, with its name made safe to show and store."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)
    sha256: str
    size: int
    inline: bool
    from_nested: bool

    @classmethod
    def of(
        cls, filename: str, content_type: str, data: bytes, *, inline: bool, from_nested: bool
    ) -> Attachment:
        digest = hashlib.sha256(data).hexdigest()
        return cls(filename, content_type, data, digest, len(data), inline, from_nested)

    @cached_property
    def content(self) -> ContentReport:
        """What the bytes are, whatever the name says; worked out once, when first asked."""
        return examine(self.filename, self.content_type, self.data)

    @property
    def is_pdf(self) -> bool:
        """PDF by type, by name in any case (senders often say octet-stream), or by its magic."""
        return (
            self.content_type == "application/pdf"
            or self.filename.lower().endswith(".pdf")
            or self.data.startswith(b"%PDF")
        )


@dataclass
class PartsWalk:
    """What a walk over the MIME tree found."""

    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    part_count: int = 0
    depth: int = 0
    defects: list[str] = field(default_factory=list)
    failed_parts: int = 0

    def note(self, defect: str) -> None:
        if defect not in self.defects:
            self.defects.append(defect)


def walk_parts(message: Message) -> PartsWalk:
    """Visit every part depth-first without recursion, so deep nesting cannot exhaust the stack."""
    walk = PartsWalk()
    stack: list[tuple[Message, int, bool]] = [(message, 0, False)]
    while stack:
        part, depth, nested = stack.pop()
        walk.part_count += 1
        walk.depth = max(walk.depth, depth)
        if walk.part_count > MAX_WALK_PARTS:
            walk.note(f"more than {MAX_WALK_PARTS} parts: the rest not read")
            walk.part_count += len(stack)
            break
        try:
            children = _read_part(part, walk.part_count, nested, walk)
        except Exception as exc:  # a part Python's email package cannot read; the rest can be
            walk.failed_parts += 1
            walk.note(f"part {walk.part_count} unreadable ({type(exc).__name__})")
            continue
        _note_defects(part, walk)
        if children and depth >= MAX_WALK_DEPTH:
            walk.depth = depth + 1
            walk.note(f"nesting deeper than {MAX_WALK_DEPTH}: inner parts not read")
            continue
        for child, child_nested in reversed(children):
            stack.append((child, depth + 1, nested or child_nested))
    return walk


def _note_defects(part: Message, walk: PartsWalk) -> None:
    for defect in getattr(part, "defects", ()):
        kind = type(defect).__name__
        walk.note(DEFECT_WORDS.get(kind, _words(kind)))


def _words(class_name: str) -> str:
    stem = class_name.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", stem).lower()


def _read_part(
    part: Message, index: int, nested: bool, walk: PartsWalk
) -> list[tuple[Message, bool]]:
    """Read one part into the walk; return its children with whether each is a forwarded message."""
    content_type = part.get_content_type()
    _check_content_type_header(part, walk)
    if part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        if content_type in ("message/rfc822", "message/global"):
            return [(_encoded_forward(part, child), True) for child in children]
        if content_type.startswith("multipart/"):
            return [(child, False) for child in children]
        # message/delivery-status and other reports: header blocks, kept whole as one file.
        data = b"".join(child.as_bytes() for child in children)
        _add_file(part, index, content_type, data, nested, walk)
        return []
    data = decoded_payload(part)
    if content_type in ("message/rfc822", "message/global"):
        # A forward sent base64-encoded (against RFC 2046) arrives unparsed: parse it here.
        return [(message_from_bytes(data, policy=part.policy), True)]
    raw_name = _file_name(part)
    disposition = part.get_content_disposition()
    is_text = content_type in BODY_TYPES or content_type.startswith("multipart/")
    if is_text and disposition != "attachment" and not raw_name:
        if not nested:
            _take_body_text(part, content_type, data, walk)
        return []
    if content_type in TNEF_TYPES or (raw_name or "").strip().lower() == "winmail.dat":
        if _unpack_tnef(data, nested, walk):
            return []
    _add_file(part, index, content_type, data, nested, walk, raw_name=raw_name)
    return []


# A base64 part larger than this is decoded a slice at a time. The email package copies the
# whole text to bytes, splits it into lines and joins them before decoding: about five times
# the part's size at once, 117 MB for a 24 MB attachment.
LARGE_BASE64_CHARS = 1 << 20
_BASE64_SLICE = 1 << 20
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/\s]*={0,2}\s*")


def decoded_payload(part: Message) -> bytes:
    """A leaf part's content, decoded from its transfer encoding, as `get_payload(decode=True)`
    gives it; large, well-formed base64 is decoded in slices with the same result."""
    payload = part.get_payload()
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if (
        cte == "base64"
        and isinstance(payload, str)
        and len(payload) > LARGE_BASE64_CHARS
        and _BASE64_TEXT.fullmatch(payload)
    ):
        decoded = _decode_base64_in_slices(payload)
        if decoded is not None:
            return decoded
    return part.get_payload(decode=True) or b""


def _decode_base64_in_slices(text: str) -> bytes | None:
    """None when the letters do not come in whole groups of four (the email package then
    decodes it and notes the defect)."""
    out = bytearray()
    carry = ""
    for start in range(0, len(text), _BASE64_SLICE):
        letters = carry + "".join(text[start : start + _BASE64_SLICE].split())
        whole = len(letters) - len(letters) % 4
        out += binascii.a2b_base64(letters[:whole])
        carry = letters[whole:]
    return None if carry else bytes(out)


def _file_name(part: Message) -> str | None:
    """The part's file name, RFC 2231 and (against the RFCs, but common) RFC 2047 decoded."""
    name = part.get_filename() or part.get_param("name")
    if isinstance(name, tuple):  # compat32 leaves an RFC 2231 value as (charset, language, text)
        name = collapse_rfc2231_value(name)
    return decode_words(name) if isinstance(name, str) else None


def _encoded_forward(part: Message, child: Message) -> Message:
    """RFC 2046 forbids encoding a message/rfc822 part, yet some clients base64 it; Python then
    parses the encoded text as if it were the message, so decode it and parse again."""
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding == "base64":
        decoded = binascii.a2b_base64(child.as_bytes())
    elif encoding == "quoted-printable":
        decoded = quopri.decodestring(child.as_bytes())
    else:
        return child
    shape = measure_raw(decoded)
    if shape.refusal():
        return message_from_bytes(decoded, policy=policy.compat32, headersonly=True)
    chosen = policy.compat32 if shape.needs_compat32() else part.policy
    return message_from_bytes(decoded, policy=chosen)


def _check_content_type_header(part: Message, walk: PartsWalk) -> None:
    value = part.get("Content-Type")
    if value is not None and "/" not in str(value).split(";", 1)[0]:
        walk.note(f"bad Content-Type {_short(str(value))!r}: read as {part.get_content_type()}")


def _take_body_text(part: Message, content_type: str, data: bytes, walk: PartsWalk) -> None:
    slot = "html" if content_type == "text/html" else "plain"
    if getattr(walk, slot) is not None:
        return
    text, note = decode_text(data, part.get_content_charset())
    if note:
        walk.note(note)
    setattr(walk, slot, text)


def _add_file(
    part: Message,
    index: int,
    content_type: str,
    data: bytes,
    nested: bool,
    walk: PartsWalk,
    *,
    raw_name: str | None = None,
) -> None:
    disposition = part.get_content_disposition()
    inline = disposition == "inline" or (disposition is None and "Content-ID" in part)
    name = sanitise_filename(raw_name, content_type, index)
    walk.attachments.append(
        Attachment.of(name, content_type, data, inline=inline, from_nested=nested)
    )


def _unpack_tnef(data: bytes, nested: bool, walk: PartsWalk) -> bool:
    """Add the files inside an Outlook winmail.dat; False when it cannot be read."""
    try:
        tnef = TNEF(data, do_checksum=False)
        found = [
            (_tnef_name(attachment), bytes(attachment.data or b""))
            for attachment in tnef.attachments
        ]
    except Exception as exc:  # tnefparse raises whatever the bytes provoke
        walk.note(f"winmail.dat unreadable ({type(exc).__name__}): kept as it is")
        return False
    if not found:
        walk.note("winmail.dat held no attachments")
    for number, (name, content) in enumerate(found, start=1):
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content.startswith(b"%PDF"):
            content_type = "application/pdf"
        safe = sanitise_filename(name, content_type, number, prefix="winmail")
        walk.attachments.append(
            Attachment.of(safe, content_type, content, inline=False, from_nested=nested)
        )
    return True


def _tnef_name(attachment: object) -> str:
    try:
        name = attachment.long_filename()  # type: ignore[attr-defined]
    except Exception:  # the short name is decoded as strict UTF-8 by tnefparse
        name = ""
    if isinstance(name, list):
        name = name[0] if name else ""
    if isinstance(name, bytes):
        name = name.decode("utf-8", errors="replace")
    return str(name).strip("\x00")


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def sanitise_filename(raw: str | None, content_type: str, index: int, prefix: str = "part") -> str:
    """A name safe to show and store: decoded, no path or control characters, no leading dots,
    at most 120 characters, never empty (part-N.ext by content type)."""
    name = unicodedata.normalize("NFC", unsurrogate(raw or ""))
    name = re.split(r"[/\\]", name)[-1]
    # Cc are control characters; Cf includes the right-to-left override used to disguise ".exe".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name or f"{prefix}-{index}{_extension_for(content_type)}"


def _extension_for(content_type: str) -> str:
    if content_type.startswith(("text/", "message/")) and content_type != "text/html":
        return ".txt"
    return mimetypes.guess_extension(content_type, strict=False) or ".bin"
