"""The SMTP listener: takes replies over SMTP and answers 250 only once capture has stored them.

Capture first (docs/architecture.md): the handler hands the raw bytes to `capture`, which
commits them durably; if that fails the sender hears 451 and tries again later, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller

logger = logging.getLogger("intake.smtp")

# Every reply this listener gives, in one place (RFC 5321 codes, RFC 3463 enhanced codes).
REPLY_OK = "250 2.0.0 OK: message stored"
REPLY_RECIPIENT_OK = "250 2.1.5 OK"
REPLY_UNKNOWN_RECIPIENT = "550 5.1.1 No such recipient here"
REPLY_TOO_BIG = "552 5.3.4 Message too big"
REPLY_CANNOT_STORE = "451 4.3.0 Cannot store the message now, try again later"

Capture = Callable[[bytes, str, list[str]], object]
AcceptsRecipient = Callable[[str], bool]


class SmtpIntakeHandler:
    """aiosmtpd handler: refuses unknown recipients, stores each message before saying 250.

    `capture(raw, envelope_from, envelope_to)` must store the message durably and may raise;
    `accepts_recipient(address)` says whether an RCPT TO address is ours. Both may be slow
    (a database), so they run in the loop's thread pool, never on the event loop itself.
    """

    def __init__(self, capture: Capture, accepts_recipient: AcceptsRecipient, max_bytes: int):
        if max_bytes <= 0:
            raise ValueError("max_bytes must be above 0")
        self.capture = capture
        self.accepts_recipient = accepts_recipient
        self.max_bytes = max_bytes

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        loop = asyncio.get_running_loop()
        try:
            accepted = await loop.run_in_executor(None, self.accepts_recipient, address)
        except Exception:
            logger.exception("checking a recipient at %s failed", _domain(address))
            return REPLY_CANNOT_STORE
        if not accepted:
            logger.info(
                "refused an unknown recipient at %s from %s", _domain(address), _peer(session)
            )
            logger.debug("the refused recipient was %r", address)
            return REPLY_UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        return REPLY_RECIPIENT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # original_content is the bytes as sent, before any decoding: what capture must keep.
        raw: bytes = envelope.original_content
        if len(raw) > self.max_bytes:
            # aiosmtpd's data_size_limit normally stops this first; this guards a handler that
            # was mounted without it.
            return REPLY_TOO_BIG
        mail_from: str = envelope.mail_from or ""
        rcpt_tos = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(None, self.capture, raw, mail_from, rcpt_tos)
        except Exception:
            logger.exception(
                "could not store a %d-byte message from %s to %s; answered 451",
                len(raw),
                _domain(mail_from),
                ", ".join(_domain(to) for to in rcpt_tos),
            )
            return REPLY_CANNOT_STORE
        # Addresses are personal data: at INFO only their domains, as the outbox sender logs.
        logger.info(
            "stored a %d-byte message from %s to %s as %r",
            len(raw),
            _domain(mail_from),
            ", ".join(_domain(to) for to in rcpt_tos),
            stored,
        )
        logger.debug("message %r was from %r to %r", stored, mail_from, rcpt_tos)
        return REPLY_OK


def start_smtp_listener(host: str, port: int, handler: SmtpIntakeHandler) -> Controller:
    """Serve `handler` on host:port in a background thread; call `.stop()` on the result."""
    controller = Controller(
        handler,
        hostname=host,
        port=port,
        # Advertised as SIZE, so well-behaved clients do not even send an oversize message.
        data_size_limit=handler.max_bytes,
    )
    controller.start()
    logger.info("SMTP listener on %s:%d (largest message %d bytes)", host, port, handler.max_bytes)
    return controller


def _peer(session: Any) -> str:
    peer = getattr(session, "peer", None)
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "unknown peer"


def _domain(address: str) -> str:
    """`@domain` of an address, or `<>` for the null sender of a bounce."""
    bare = address.strip().strip("<>")
    if not bare:
        return "<>"
    _, at, domain = bare.rpartition("@")
    return f"@{domain}" if at else "(no domain)"
