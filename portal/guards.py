"""Guards around every request, as pure ASGI middleware: a ceiling on request bodies (our forms
are a few short fields, and Starlette reads a whole urlencoded form into memory) and the security
headers every response carries."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The registration form, every field at its longest, is under 8 KB.
MAX_BODY_BYTES = 64 * 1024
# No page loads anything from elsewhere, runs inline script, or may be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Activation and reset links carry their secret in the path: never send it on.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class LimitBodySize:
    """Pure ASGI middleware: refuse by Content-Length at once; a streamed body is counted as the
    app reads it, and past the ceiling the read fails as a 413 (the app's error page)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        larger: tuple[re.Pattern[str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (paths, ceiling): the routes that take a file, and how large a body they may have.
        self.larger = larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes
        if self.larger is not None and self.larger[0].match(scope["path"]):
            max_bytes = self.larger[1]
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await too_large(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, counted_receive, send)


async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("Request too large", status_code=413)(scope, receive, send)


class AddSecurityHeaders:
    """Pure ASGI middleware: SECURITY_HEADERS on every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
