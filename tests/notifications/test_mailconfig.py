"""EMAIL_URL -> Django's mail settings."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from renkei.notifications.mailconfig import email_settings

MAIL_DIR = Path("/srv/renkei/var/mail")


def test_unset_writes_mail_to_files():
    assert email_settings("", MAIL_DIR) == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(MAIL_DIR)}


def test_smtp_with_user_password_and_starttls():
    got = email_settings("smtp://renkei%40example.org:p%3Ass@mail.internal:587?tls=1", MAIL_DIR)
    assert got == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.internal", "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "renkei@example.org", "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False}


@pytest.mark.parametrize("url, port, tls, ssl", [
    ("smtp://localhost", 25, False, False),
    ("submission://mail.example", 587, True, False),
    ("smtps://mail.example", 465, False, True),
])
def test_default_ports(url, port, tls, ssl):
    got = email_settings(url, MAIL_DIR)
    assert (got["EMAIL_PORT"], got["EMAIL_USE_TLS"], got["EMAIL_USE_SSL"]) == (port, tls, ssl)


def test_console():
    assert email_settings("console://", MAIL_DIR)["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:notaport"])
def test_bad_urls_fail_loudly(url):
    with pytest.raises(ImproperlyConfigured):
        email_settings(url, MAIL_DIR)
