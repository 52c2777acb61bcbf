import importlib

from django.test import Client

from renkei import settings as product_settings
from renkei.accounts.client import client_ip


def test_passwords_are_hashed_with_argon2_in_the_product():
    assert product_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert importlib.util.find_spec("argon2") is not None


def test_security_headers_on_every_page(db):
    response = Client().get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_client_address_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_ip(request) == "203.0.113.7"


def test_language_switch_becomes_the_signed_in_users_setting(world, client):
    client.force_login(world.alice)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    world.alice.refresh_from_db()
    assert world.alice.language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_healthz_answers_when_the_database_is_reachable(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
