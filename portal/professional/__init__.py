"""A signed-in professional's own pages: their account (details, two-step method, document
password), their children (the cases they asked for or advise on) with a progress page each,
their forms and receipts to fetch again, and an upload of a completed form that goes through
the same pipeline as email.

Every route here is for signed-in people only; the app's table adds them all (`ROUTES`).
"""

from portal.professional import account, children, upload

# (method, path, endpoint): each for signed-in people only.
ROUTES = (
    ("GET", "/account", account.show_account),
    ("GET", "/account/two-step", account.show_two_step),
    ("POST", "/account/two-step", account.take_two_step),
    ("GET", "/account/document-password", account.show_document_password),
    ("POST", "/account/document-password", account.take_document_password),
    ("GET", "/children", children.show_children),
    ("GET", "/children/{reference}", children.show_child),
    ("GET", "/children/{reference}/request-form", children.download_request_form),
    ("GET", "/children/{reference}/advice-form/{advice}", children.download_advice_form),
    ("GET", "/children/{reference}/receipt/{submission}", children.download_receipt),
    ("POST", "/children/{reference}/upload", upload.take_upload),
)

# The one route whose body may be a whole PDF, not a few short fields.
UPLOAD_PATH = upload.UPLOAD_PATH

__all__ = ["ROUTES", "UPLOAD_PATH"]
