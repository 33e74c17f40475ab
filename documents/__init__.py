"""Forms as data: fillable PDFs out, every step read and validated back.

Uses nothing else of ours, so forms can be rendered, read and validated with no database.
Other packages import only the names below.
"""

from documents.check import NOT_OUR_FORM, FormCheck, check_pdf, identify_form
from documents.forms import FORMS, KINDS, get_form
from documents.forms.common import ORGANISATION_TYPES, ROLES
from documents.messages import describe
from documents.pdf.marks import FormProblem
from documents.pdf.read.active import ActiveContent, scan_active_content
from documents.pdf.read.reader import PdfRead, PdfSandbox, ReadLimits, ReadOutcome, read_pdf_fields
from documents.pdf.receipt import render_receipt
from documents.pdf.render import render_form
from documents.pdfvalues import answers_from_pdf, pdf_values, prefill_values
from documents.schema import FieldType, FormDefinition, Rejection
from documents.tokens import SPECIMEN, TokenCheck, issue_token, verify_token
from documents.validate import Validation, validate
from documents.validators import normalise_email

__all__ = [
    "ActiveContent",
    "FORMS",
    "KINDS",
    "NOT_OUR_FORM",
    "ORGANISATION_TYPES",
    "ROLES",
    "SPECIMEN",
    "FieldType",
    "FormCheck",
    "FormDefinition",
    "FormProblem",
    "PdfRead",
    "PdfSandbox",
    "ReadLimits",
    "ReadOutcome",
    "Rejection",
    "TokenCheck",
    "Validation",
    "answers_from_pdf",
    "check_pdf",
    "describe",
    "get_form",
    "identify_form",
    "normalise_email",
    "issue_token",
    "pdf_values",
    "prefill_values",
    "read_pdf_fields",
    "render_form",
    "render_receipt",
    "scan_active_content",
    "validate",
    "verify_token",
]
