"""The worker process that reads AcroForm fields out of one untrusted PDF at a time.

It runs under resource limits and answers each job with JSON only; it imports nothing of ours,
so a hostile file can reach no more than pypdf and the standard library. Started by
`documents.pdf.read.sandbox.WorkerProcess`; the protocol is described there.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import resource
import struct
import sys
import warnings
from typing import Any

import pypdf
import pypdf.filters
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

# The worker's exit status when a MemoryError escapes even the job's own handler.
EXIT_OUT_OF_MEMORY = 3
READY = b"R"
JOB_HEADER = struct.Struct("!QII")  # data length, CPU budget in milliseconds, passwords length
REPLY_HEADER = struct.Struct("!Q")

# Real forms nest fields a few levels deep; hostile arrays nested 100k deep must end as a
# RecursionError long before the 8 MB C stack runs out.
RECURSION_LIMIT = 2000
# The largest decompressed stream we accept: a form's object streams are far smaller, and a
# decompression bomb stops here instead of at the address-space limit.
MAX_INFLATED_BYTES = 32 * 1024 * 1024

MB = 1024 * 1024

RADIO_FLAG = 1 << 15
PUSHBUTTON_FLAG = 1 << 16
MULTISELECT_FLAG = 1 << 21
# pypdf's own defaults for get_fields(): far beyond any real form.
MAX_FIELD_DEPTH = 100
MAX_FIELD_NODES = 100_000
INHERITABLE = ("/FT", "/Ff", "/V")  # PDF 32000-1:2008, 12.7.3.1

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


class FieldTreeLimit(LimitReachedError):
    """The field tree is nested deeper, or holds more fields, than any real form's."""


class DecodedBytesLimit(Exception):
    """The PDF's streams inflate to more than one job may decode."""


class DecodeBudget:
    """The bytes pypdf inflates in one job, from every stream together, and the cap on them.

    The per-stream limits stop one bomb; this stops many small ones (forty field values of
    31 MiB each), whose inflated bytes pypdf keeps, and which the JSON answer then holds again.
    Every decoding in pypdf goes through `pypdf.filters.decode_stream_data`, so it is wrapped
    there; `exceeded` stays set for the job even if pypdf swallows the exception somewhere.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.exceeded = False
        self._decode = pypdf.filters.decode_stream_data

    def install(self) -> None:
        # pypdf imports the function from its module at each call, so replacing it there works.
        pypdf.filters.decode_stream_data = self.decode

    def start_job(self) -> None:
        self.used = 0
        self.exceeded = False

    def decode(self, stream: StreamObject) -> bytes:
        if self.used >= self.limit:
            self._refuse()
        data = self._decode(stream)
        self.used += len(data)
        if self.used > self.limit:
            self._refuse()
        return data

    def _refuse(self) -> None:
        self.exceeded = True
        raise DecodedBytesLimit(f"more than {self.limit} bytes inflated")

    @property
    def limit_text(self) -> str:
        return f"{self.limit // MB} MB" if self.limit % MB == 0 else f"{self.limit} bytes"

    def refusal(self) -> dict[str, Any]:
        return answer("too-much-data", f"the PDF's contents inflate to more than {self.limit_text}")


def main() -> None:
    memory_bytes, decoded_bytes = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    sys.setrecursionlimit(RECURSION_LIMIT)
    # Hostile files make pypdf warn on every object; formatting warnings nobody reads costs time.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    pypdf.overwrite_configuration(
        zlib_maximum_output_length=MAX_INFLATED_BYTES,
        lzw_maximum_output_length=MAX_INFLATED_BYTES,
        run_length_maximum_output_length=MAX_INFLATED_BYTES,
        brotli_maximum_output_length=MAX_INFLATED_BYTES,
        maximum_declared_stream_length=MAX_INFLATED_BYTES,
        # Never start another program (jbig2dec) on behalf of a hostile file.
        jbig2dec_binary=None,
        disable_legacy_handling=True,
    )
    budget = DecodeBudget(decoded_bytes)
    budget.install()
    jobs, replies = sys.stdin.buffer, sys.stdout.buffer
    replies.write(READY)
    replies.flush()
    try:
        while True:
            header = jobs.read(JOB_HEADER.size)
            if len(header) < JOB_HEADER.size:
                return
            length, cpu_millis, passwords_length = JOB_HEADER.unpack(header)
            data = jobs.read(length)
            passwords = json.loads(jobs.read(passwords_length)) if passwords_length else []
            limit_cpu(cpu_millis / 1000)
            budget.start_job()
            result = read_job(data, budget, passwords)
            del data
            payload = encode_answer(result)
            del result
            # Two writes: joining the header to a large answer would copy it once more.
            replies.write(REPLY_HEADER.pack(len(payload)))
            replies.write(payload)
            replies.flush()
    except MemoryError:
        sys.exit(EXIT_OUT_OF_MEMORY)


def limit_cpu(seconds: float) -> None:
    """Let this job use `seconds` more CPU before the kernel sends SIGXCPU, which ends us."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    # The hard limit stays unlimited so that the next job can raise the soft limit again.
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def encode_answer(answer: dict[str, Any]) -> bytes:
    text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 text strings in a PDF can hold lone surrogates, which no database can store.
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


def read_job(
    data: bytes, budget: DecodeBudget, passwords: list[str] | tuple[str, ...] = ()
) -> dict[str, Any]:
    """The answer for one PDF: every exception pypdf raises becomes an outcome, never a crash.

    Past the decoding cap the answer is too-much-data whatever pypdf made of our exception
    (it wraps or swallows some), because nothing read after it can be trusted to be whole.
    """
    result = _read_or_explain(data, passwords)
    if budget.exceeded:
        return budget.refusal()
    if answer_characters(result["fields"]) > budget.limit:
        # Text written out uncompressed inflates nothing, yet costs the same once answered.
        return answer(
            "too-much-data", f"the PDF's fields hold more than {budget.limit_text} of text"
        )
    return result


def answer_characters(fields: dict[str, Any]) -> int:
    return sum(
        len(value) if isinstance(value, str) else sum(len(item) for item in value)
        for value in fields.values()
        if isinstance(value, str | list)
    )


def _read_or_explain(data: bytes, passwords: list[str] | tuple[str, ...]) -> dict[str, Any]:
    try:
        return read_fields(data, passwords)
    except MemoryError:
        return answer("too-much-memory", "the PDF needs more memory to read than is allowed")
    except FieldTreeLimit as error:
        return answer("malformed", f"the PDF goes past a safety limit ({describe(error)})")
    except LimitReachedError as error:
        # pypdf's own cap on one stream (a decompression bomb): as hostile as going past ours,
        # so held for a person like it, not answered as a damaged file.
        return answer("too-much-data", f"the PDF goes past a safety limit ({describe(error)})")
    except RecursionError:
        return answer("malformed", "the PDF is damaged: its objects are nested too deeply")
    except Exception as error:  # hostile input makes pypdf raise anything at all
        return answer("malformed", f"the PDF is damaged and cannot be read ({describe(error)})")


def answer(outcome: str, detail: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "detail": detail, "fields": fields or {}}


def describe(error: BaseException) -> str:
    """The error's type and the start of its message, in printable ASCII (the message may
    quote bytes from the hostile file)."""
    message = _UNPRINTABLE.sub(" ", str(error)).strip()[:100]
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def read_fields(data: bytes, passwords: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            # The empty password opens owner-password-only files; the others are the sender's
            # document passwords, which open the forms we sent them encrypted.
            unlocked = any(
                reader.decrypt(password) != PasswordType.NOT_DECRYPTED
                for password in ("", *passwords)
            )
        except DependencyError:
            return answer("encrypted", "the PDF is encrypted in a way this service cannot open")
        if not unlocked:
            return answer("encrypted", "the PDF is encrypted with a password")
    acro_form = reader.root_object.get("/AcroForm")
    acro_form = acro_form.get_object() if acro_form is not None else None
    if not isinstance(acro_form, DictionaryObject):
        return no_fields()
    fields = field_values(acro_form)
    if fields:
        return answer("ok", f"read {len(fields)} fields", fields)
    if "/XFA" in acro_form:
        return answer(
            "xfa", "the PDF is an XFA form, which this service cannot read: save it as a PDF form"
        )
    return no_fields()


def no_fields() -> dict[str, Any]:
    return answer(
        "no-fields",
        "the PDF has no fillable fields: it may have been printed, scanned or flattened",
    )


def field_values(acro_form: DictionaryObject) -> dict[str, str | bool | list[str]]:
    """Fully-qualified name to value for each terminal field that holds a value.

    Walked top-down from /Fields, carrying inherited entries down, rather than with pypdf's
    get_fields(): that follows /Parent up from every field and refuses radio kids without an
    appearance, which some viewers write.
    """
    roots = acro_form.get("/Fields")
    roots = roots.get_object() if roots is not None else None
    values: dict[str, str | bool | list[str]] = {}
    if isinstance(roots, ArrayObject):
        walk = FieldWalk(values)
        for root in roots:
            walk.visit(root, "", {}, depth=0)
    return values


class FieldWalk:
    """One walk of the field tree, bounded against loops, depth and sheer size."""

    def __init__(self, values: dict[str, str | bool | list[str]]) -> None:
        self.values = values
        self.seen: set[object] = set()

    def visit(self, node: Any, parent_name: str, inherited: dict[str, Any], depth: int) -> None:
        if depth > MAX_FIELD_DEPTH:
            raise FieldTreeLimit(f"form fields nested more than {MAX_FIELD_DEPTH} deep")
        identity = node.idnum if isinstance(node, IndirectObject) else id(node)
        node = node.get_object()
        if not isinstance(node, DictionaryObject) or identity in self.seen:
            return  # a kid that is not a dictionary, or a loop back to a field already read
        self.seen.add(identity)
        if len(self.seen) > MAX_FIELD_NODES:
            raise FieldTreeLimit(f"more than {MAX_FIELD_NODES} form fields")
        partial = node.get("/T")
        name = parent_name
        if partial is not None:
            partial = as_text(partial.get_object()) or ""
            name = f"{parent_name}.{partial}" if parent_name else partial
        entries = dict(inherited)
        for key in INHERITABLE:
            if key in node:
                entries[key] = node[key]
        kids = node.get("/Kids")
        kids = kids.get_object() if kids is not None else None
        named_kids = [kid for kid in kids if _named(kid)] if isinstance(kids, ArrayObject) else []
        if named_kids:
            for kid in named_kids:
                self.visit(kid, name, entries, depth + 1)
        elif partial is not None:
            value = field_value(entries)
            if value is not None:
                self.values[name] = value


def _named(kid: Any) -> bool:
    kid = kid.get_object()
    return isinstance(kid, DictionaryObject) and "/T" in kid


def field_value(entries: dict[str, Any]) -> str | bool | list[str] | None:
    """The value of one field by its type; None when there is nothing to report."""
    field_type = entries.get("/FT")
    flags = entries.get("/Ff")
    flags = int(flags) if isinstance(flags, int) else 0
    value = entries.get("/V")
    if field_type == "/Btn":
        if flags & PUSHBUTTON_FLAG or value is None:
            return None
        state = as_text(value)
        if flags & RADIO_FLAG:
            return None if state in (None, "Off") else state
        return state not in (None, "Off")
    if field_type == "/Ch":
        if value is None:
            return None
        if isinstance(value, ArrayObject):
            return [
                text for text in (as_text(item.get_object()) for item in value) if text is not None
            ]
        text = as_text(value)
        if text is None:
            return None
        return [text] if flags & MULTISELECT_FLAG else text
    if field_type == "/Tx":
        if isinstance(value, StreamObject):
            return decode_text_stream(value.get_data())
        return "" if value is None else (as_text(value) or "")
    # Signatures and fields of no known type hold nothing a form answer can be made of.
    return None


def decode_text_stream(data: bytes) -> str:
    """A text stream's content: UTF-16BE with its byte order mark, else UTF-8 or Latin-1."""
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def as_text(value: Any) -> str | None:
    """A PDF string or name as text; names lose their leading slash."""
    if isinstance(value, NameObject):
        return str(value)[1:]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        # pypdf keeps strings it cannot decode as bytes; Latin-1 loses nothing.
        return value.decode("latin-1")
    if isinstance(value, (int, float)):
        return str(value)
    return None


if __name__ == "__main__":
    main()
