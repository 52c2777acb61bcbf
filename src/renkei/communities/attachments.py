"""Checks on uploaded files: size, allowed types, and that the content is what the name says."""

import hashlib
import os

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from renkei.errors import ServiceError

# Extension -> the MIME types its content may be detected as. None: plain text, no signature.
ALLOWED_TYPES: dict[str, set[str] | None] = {
    ".pdf": {"application/pdf"},
    ".png": {"image/png"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".gif": {"image/gif"},
    ".zip": {"application/zip"},
    ".docx": {"application/zip",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ".xlsx": {"application/zip",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ".pptx": {"application/zip",
              "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    ".txt": None,
    ".csv": None,
    ".json": None,
    ".log": None,
    ".md": None,
    ".xml": None,
    ".stix": None,
    ".eml": None,
}
CONTENT_TYPES = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".zip": "application/zip", ".json": "application/json",
    ".csv": "text/csv", ".xml": "application/xml",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def check_upload(upload) -> dict:
    """Validate one uploaded file; return what to store about it. Raises ServiceError."""
    name = os.path.basename(upload.name or "").strip()
    if not name or len(name) > 255:
        raise ServiceError(_("An attachment needs a file name of at most 255 characters."))
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ServiceError(
            _("%(name)s is too large: attachments may be at most %(limit)d MB.")
            % {"name": name, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    if upload.size == 0:
        raise ServiceError(_("%(name)s is empty.") % {"name": name})
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_TYPES:
        raise ServiceError(
            _("Files of type %(ext)s cannot be attached. Allowed: %(allowed)s")
            % {"ext": extension or _("(none)"), "allowed": " ".join(sorted(ALLOWED_TYPES))}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    detected = filetype.guess_mime(head)
    expected = ALLOWED_TYPES[extension]
    lying = _("The content of %(name)s does not match its extension %(ext)s.") % {
        "name": name, "ext": extension,
    }
    if expected is None:
        if detected is not None or b"\x00" in head or _looks_like_html(head):
            raise ServiceError(lying)
    elif detected not in expected:
        raise ServiceError(lying)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {
        "original_name": name,
        "content_type": CONTENT_TYPES.get(extension, "text/plain"),
        "size": upload.size,
        "sha256": digest.hexdigest(),
    }


def _looks_like_html(head: bytes) -> bool:
    # A .txt that is really a web page would run script if a browser ever rendered it.
    # A byte-order mark first must not hide the page behind it.
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<script", b"<svg"))
