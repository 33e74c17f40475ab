"""The QR code an authenticator app scans to enrol, drawn as inline SVG (pure Python, so no
image library and nothing fetched), and what a page shows to enrol an app."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(text: str) -> Markup:
    """`text` as an SVG QR code, safe to place in a page as it is."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    # Sized by the page's CSS; the page around it says, in words, what it is.
    svg = svg.replace("<svg ", '<svg class="qr-code" aria-hidden="true" focusable="false" ', 1)
    return Markup(svg)


def app_enrolment(uri: str, secret: str) -> dict[str, object]:
    """What an enrolment page shows: the QR code of the app's `uri`, and the `secret` in groups
    of four for typing in by hand."""
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr_code": qr_svg(uri), "totp_secret": grouped}
