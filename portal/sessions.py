"""Who is signed in, held in a signed session cookie, and the CSRF token every form carries.

The cookie (Starlette's SessionMiddleware, signed with itsdangerous) is HttpOnly, SameSite=Lax,
Secure when the service's address is https, and expires after `IDLE_MINUTES` without a request:
each request re-signs it, so the signature's age is the idle time. It holds ids and markers only:
never a password, never a code. A signed-in session also records a fingerprint of the account's
password hash and of when it last signed out, so resetting the password or signing out ends every
session of that account, copies of the cookie included.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from starlette.requests import Request

from store import Professional

IDLE_MINUTES = 30
# However active, a session ends after a working day and must sign in again.
LONGEST_HOURS = 12
# Between the password page and the code page of signing in.
CODE_STEP_MINUTES = 10
CSRF_FIELD = "csrf_token"


def session_key(service_key: bytes) -> str:
    """The cookie-signing key, derived so that it differs from the key signing form tokens."""
    return hmac.new(service_key, b"portal-session", "sha256").hexdigest()


def cookie_name(base_url: str) -> str:
    # `__Host-` tells browsers to accept the cookie only if Secure, host-only and path /.
    return "__Host-intake" if base_url.startswith("https://") else "intake_session"


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use (anonymous visitors' forms need one too)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(request: Request, sent: object) -> bool:
    wanted = request.session.get("csrf")
    return bool(wanted) and isinstance(sent, str) and hmac.compare_digest(wanted, sent)


def session_marker(service_key: bytes, professional: Professional) -> str:
    """Changes whenever the password does or the account signs out; holds nothing that helps
    guess the password."""
    ended = professional.sessions_ended_at.isoformat() if professional.sessions_ended_at else ""
    stored = f"{professional.password_hash or ''}|{ended}".encode()
    return hmac.new(service_key, b"session:" + stored, hashlib.sha256).hexdigest()[:24]


def sign_in(request: Request, service_key: bytes, professional: Professional) -> None:
    """A fresh session for `professional`: the old one's contents (and CSRF token) go, so a
    session fixed before signing in is worth nothing after it."""
    request.session.clear()
    now = int(time.time())
    request.session.update(
        user=professional.id,
        marker=session_marker(service_key, professional),
        since=now,
        seen=now,
        csrf=secrets.token_urlsafe(32),
    )


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in_id(request: Request) -> int | None:
    """The signed-in account's id, or None; refreshes the idle clock of a live session."""
    user = request.session.get("user")
    if not isinstance(user, int):
        return None
    now = int(time.time())
    since = request.session.get("since", 0)
    if now - since > LONGEST_HOURS * 3600:
        sign_out(request)
        return None
    request.session["seen"] = now
    return user


def still_valid(request: Request, service_key: bytes, professional: Professional | None) -> bool:
    """The account still exists, is active, has the password the session was made with, and has
    not signed out since."""
    if professional is None or not professional.is_active:
        return False
    wanted = session_marker(service_key, professional)
    return hmac.compare_digest(request.session.get("marker", ""), wanted)


def remember_password_step(request: Request, professional: Professional) -> None:
    """The password was right; the code is still to come (the code page reads this)."""
    request.session.pop("user", None)
    request.session.update(pending=professional.id, pending_at=int(time.time()))


def password_step(request: Request) -> int | None:
    pending = request.session.get("pending")
    started = request.session.get("pending_at", 0)
    if not isinstance(pending, int) or time.time() - started > CODE_STEP_MINUTES * 60:
        return None
    return pending


def forget_password_step(request: Request) -> None:
    request.session.pop("pending", None)
    request.session.pop("pending_at", None)
