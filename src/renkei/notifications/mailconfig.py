"""EMAIL_URL -> Django's mail settings. Imported by settings.py, so no Django imports here."""

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}


def email_settings(url: str, mail_dir: Path) -> dict:
    """smtp://user:pass@host:port (?tls=1 for STARTTLS), smtps:// (TLS from the start),
    console://, file:///path. Empty: files in `mail_dir`, so no mail is lost before the operator
    has configured a server."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(mail_dir)}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "file":
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": unquote(parts.path) or str(mail_dir)}
    if scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured(f"EMAIL_URL: unknown scheme {parts.scheme!r}")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL: bad port in {url!r}") from exc
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL: a host is required")
    ssl = scheme == "smtps" or query.get("ssl") in _TRUE
    tls = not ssl and (scheme == "submission" or query.get("tls") in _TRUE)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if ssl else 587 if tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
    }
