"""Text out of mail parts: bytes decoded by their declared charset, HTML turned into plain text,
and a reply's fresh text split from the quoted history beneath it (data-protection point 6).
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

# HTML beyond this is not worth turning into text: the body of a form reply is short, and the
# stdlib parser is slow on megabytes of hostile markup.
MAX_HTML_CHARS = 1_000_000


def decode_text(payload: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode a text part; return the text and a note when the charset did not fit the bytes."""
    name = (charset or "").strip().strip('"').lower()
    if not name or name in ("us-ascii", "ascii"):
        try:
            return payload.decode("ascii"), None
        except UnicodeDecodeError:
            # 8-bit text labelled ASCII (or unlabelled) is nearly always UTF-8 or Windows-1252.
            text, used = _decode_guessing(payload)
            return text, f"8-bit text without a charset: decoded as {used}"
    if not _is_text_codec(name):
        text, used = _decode_guessing(payload)
        return text, f"undecodable charset {name[:40]}: decoded as {used}"
    try:
        return payload.decode(name), None
    except UnicodeDecodeError:
        return payload.decode(
            name, errors="replace"
        ), f"bytes not valid in charset {name}: replaced"
    except Exception:  # some codecs (idna, punycode) raise their own errors on arbitrary bytes
        text, used = _decode_guessing(payload)
        return text, f"undecodable charset {name[:40]}: decoded as {used}"


def _is_text_codec(name: str) -> bool:
    try:
        # zlib, base64, rot13 and friends are codecs too, but not charsets.
        return codecs.lookup(name)._is_text_encoding
    except (LookupError, ValueError, TypeError):
        return False


def _decode_guessing(payload: bytes) -> tuple[str, str]:
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return payload.decode("latin-1"), "latin-1"


class _HtmlText(HTMLParser):
    """Collects the visible text of an HTML body, quoting what sits inside <blockquote>."""

    BLOCK_TAGS = frozenset(
        "p div br tr li h1 h2 h3 h4 h5 h6 table ul ol pre hr blockquote title".split()
    )
    HIDDEN_TAGS = frozenset(("script", "style", "head"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hidden = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN_TAGS:
            self.hidden += 1
        if tag in self.BLOCK_TAGS:
            self._end_line()
        if tag == "blockquote":
            self.quote_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN_TAGS and self.hidden:
            self.hidden -= 1
        if tag in self.BLOCK_TAGS:
            self._end_line()
        if tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(data)

    def _end_line(self) -> None:
        line = " ".join("".join(self.current).split())
        self.current = []
        if line or (self.lines and self.lines[-1]):
            self.lines.append(("> " * self.quote_depth) + line if line else "")


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, one block per line, blockquotes prefixed with '> '."""
    parser = _HtmlText()
    try:
        parser.feed(html[:MAX_HTML_CHARS])
        parser.close()
    except Exception:  # markup hostile enough to break the stdlib parser: keep what was read
        pass
    parser._end_line()
    return "\n".join(parser.lines).strip()


_ATTRIBUTION = re.compile(r"^\s*On\b.{0,400}\bwrote:\s*$", re.IGNORECASE | re.DOTALL)
_ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Date):\*?\s", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*(_{10,}|-{10,})\s*$")


def _starts_history(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _ORIGINAL_MESSAGE.match(line) or _ATTRIBUTION.match(line):
        return True
    # Gmail and Apple Mail wrap a long attribution ("On ..., Jane <jane@x> wrote:") over two lines.
    if line.lstrip().lower().startswith("on ") and index + 1 < len(lines):
        if _ATTRIBUTION.match(line + " " + lines[index + 1]):
            return True
    # Outlook quotes with a header block ("From: ... / Sent: ...") instead of an attribution.
    if _OUTLOOK_FROM.match(line):
        return any(_OUTLOOK_SENT.match(following) for following in lines[index + 1 : index + 4])
    return False


def split_quoted(text: str) -> tuple[str, str]:
    """Split a reply into (fresh text, quoted history): history starts at an attribution line
    ("On ... wrote:", "-----Original Message-----", Outlook's From/Sent block), and every line
    starting with '>' is history wherever it sits."""
    lines = text.splitlines()
    fresh: list[str] = []
    quoted: list[str] = []
    for index, line in enumerate(lines):
        if _starts_history(lines, index):
            quoted.extend(lines[index:])
            break
        (quoted if line.startswith(">") else fresh).append(line)
    while fresh and (not fresh[-1].strip() or _SEPARATOR.match(fresh[-1])):
        fresh.pop()
    return "\n".join(fresh).strip("\n"), "\n".join(quoted).strip("\n")


def unsurrogate(text: str) -> str:
    """Headers with raw 8-bit bytes arrive with surrogate escapes; read those bytes as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # lone surrogates that are not escaped bytes
        raw = text.encode("utf-8", errors="replace")
    return raw.decode("utf-8", errors="replace")
