"""A cheap look at raw mail bytes before parsing, to choose how to parse them: Python's email
parsers take time quadratic in some header shapes (megabytes of parameters or encoded words),
so hostile messages are read with compat32, or only their top-level headers are read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

# A Content-Type or Content-Disposition longer than this is not from a mail program: a real one,
# with a long RFC 2231 file name, stays under 1 KB. compat32's parameter parser is quadratic.
MAX_CONTENT_HEADER = 4 * 1024
# Beyond these the default policy's header parser is too slow; compat32 reads such mail.
MAX_DEFAULT_HEADER = 16 * 1024
MAX_DEFAULT_ENCODED_WORDS = 1_000
MAX_DEFAULT_BOUNDARIES = 1_000
# The default policy's parameter parser is slow well below MAX_CONTENT_HEADER: 300 parameters
# take it about 0.1 s. Real headers carry fewer than ten.
MAX_DEFAULT_PARAMETERS = 10
MAX_DEFAULT_CONTENT_BYTES = 16 * 1024
# compat32 is quadratic per header too; bound the sum.
MAX_CONTENT_BYTES = 1024 * 1024
# Beyond this many boundary lines the body is not parsed at all (screening rejects it anyway).
MAX_BOUNDARIES = 10_000

_HEADER_START = re.compile(rb"[!-9;-~]{1,76}:")


@dataclass(frozen=True)
class RawShape:
    """Counts from the raw bytes that predict the parsers' cost."""

    boundary_lines: int
    encoded_words: int
    longest_header: int
    longest_content_header: int
    most_parameters: int
    content_header_bytes: int

    def refusal(self) -> str | None:
        """Why the body must not be parsed at all, or None."""
        if self.boundary_lines > MAX_BOUNDARIES:
            return f"{self.boundary_lines} boundary lines: body not read"
        if self.longest_content_header > MAX_CONTENT_HEADER:
            return f"a Content header of {self.longest_content_header} bytes: body not read"
        if self.content_header_bytes > MAX_CONTENT_BYTES:
            return f"{self.content_header_bytes} bytes of Content headers: body not read"
        return None

    def needs_compat32(self) -> str | None:
        """Why the default policy would be too slow, or None."""
        if self.boundary_lines > MAX_DEFAULT_BOUNDARIES:
            return f"{self.boundary_lines} boundary lines"
        if self.encoded_words > MAX_DEFAULT_ENCODED_WORDS:
            return f"{self.encoded_words} encoded words"
        if self.longest_header > MAX_DEFAULT_HEADER:
            return f"a header of {self.longest_header} bytes"
        if self.most_parameters > MAX_DEFAULT_PARAMETERS:
            return f"a Content header with {self.most_parameters} parameters"
        if self.content_header_bytes > MAX_DEFAULT_CONTENT_BYTES:
            return f"{self.content_header_bytes} bytes of Content headers"
        return None


def measure_raw(raw: bytes) -> RawShape:
    """One pass over the lines; anything shaped like a header counts, in the body too, since
    every part of a multipart has headers of its own."""
    longest = longest_content = most_params = total_content = 0
    current = params = 0
    is_content = False

    def finish() -> None:
        nonlocal longest, longest_content, most_params, total_content
        longest = max(longest, current)
        if is_content:
            longest_content = max(longest_content, current)
            most_params = max(most_params, params)
            total_content += current

    # Line by line from a stream: a list of every line of a 25 MB message took 40 MB.
    for ended in io.BytesIO(raw):
        line = ended[:-1] if ended.endswith(b"\n") else ended
        if current and line[:1] in (b" ", b"\t"):
            current += len(line)
            params += line.count(b";") if is_content else 0
            continue
        finish()
        if _HEADER_START.match(line):
            current = len(line)
            is_content = line[:8].lower() == b"content-"
            params = line.count(b";") if is_content else 0
        else:
            current = params = 0
            is_content = False
    finish()
    return RawShape(
        boundary_lines=raw.count(b"\n--"),
        encoded_words=raw.count(b"=?"),
        longest_header=longest,
        longest_content_header=longest_content,
        most_parameters=most_params,
        content_header_bytes=total_content,
    )
