"""Sign-in: password, second factor, throttling, safe redirects, sign-out."""

import time

import pyotp
import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from renkei.accounts.services import create_user
from renkei.accounts.views import PENDING_LOGIN_KEY

LOGIN = reverse("accounts:login")
CODE = reverse("accounts:login_code")
WRONG = "The e-mail address or the password is wrong."
LOCKED = "Too many failed attempts"


@pytest.fixture(autouse=True)
def _english(client):
    # Anonymous pages follow the browser's language; the assertions read English messages.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def home() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def post_password(client, email, password, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra})


def current_code(user) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def other_code(user_or_secret) -> str:
    """A well-formed code that is none of those the server would accept right now."""
    totp = pyotp.TOTP(getattr(user_or_secret, "totp_secret", user_or_secret))
    step = totp.timecode(time.time())
    valid = {totp.generate_otp(s) for s in (step - 1, step, step + 1)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in valid)


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="email"' in response.content and b'name="password"' in response.content


def test_right_password_signs_in_and_goes_home(client, world):
    response = post_password(client, "Alice@Alpha.example", world.password)
    assert response.status_code == 302
    assert response.url == home()
    assert signed_in_user_id(client) == str(world.alice.pk)


def test_wrong_password_and_unknown_address_get_the_same_answer(client, world):
    wrong = post_password(client, world.alice.email, "not-the-password")
    unknown = post_password(client, "nobody@nowhere.example", world.password)
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert WRONG in response.content.decode()
    assert signed_in_user_id(client) is None


def test_deactivated_person_cannot_sign_in(client, world):
    world.alice2.is_active = False
    world.alice2.save()
    response = post_password(client, world.alice2.email, world.password)
    assert response.status_code == 400
    assert WRONG in response.content.decode()
    assert signed_in_user_id(client) is None


def test_lockout_after_the_failure_limit_refuses_even_the_right_password(client, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    for _ in range(3):
        assert post_password(client, world.alice.email, "wrong-wrong").status_code == 400
    response = post_password(client, world.alice.email, world.password)
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED in body and "15 minutes" in body
    assert signed_in_user_id(client) is None


def test_lockout_for_an_unknown_address_looks_the_same(client, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        post_password(client, "ghost@nowhere.example", "whatever-1")
    response = post_password(client, "ghost@nowhere.example", "whatever-1")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_lockout_of_one_address_leaves_another_alone(client, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        post_password(client, world.alice.email, "wrong-wrong")
    response = post_password(client, world.bob.email, world.password)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.bob.pk)


def test_second_factor_is_asked_before_signing_in(client, world):
    response = post_password(client, world.analyst.email, world.password)
    assert response.status_code == 302 and response.url == CODE
    assert signed_in_user_id(client) is None  # the password alone is not enough
    assert client.get(CODE).status_code == 200
    key_before = client.session.session_key

    response = client.post(CODE, {"code": current_code(world.analyst)})
    assert response.status_code == 302 and response.url == home()
    assert signed_in_user_id(client) == str(world.analyst.pk)
    assert client.session.session_key != key_before
    assert PENDING_LOGIN_KEY not in client.session


def test_wrong_code_is_refused(client, world):
    post_password(client, world.analyst.email, world.password)
    response = client.post(CODE, {"code": other_code(world.analyst)})
    assert response.status_code == 400
    assert "The code is wrong or was already used" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_malformed_code_is_refused(client, world):
    post_password(client, world.analyst.email, world.password)
    response = client.post(CODE, {"code": "12ab"})
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_a_code_cannot_be_used_twice(client, world):
    code = current_code(world.analyst)
    post_password(client, world.analyst.email, world.password)
    assert client.post(CODE, {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    assert signed_in_user_id(client) is None

    post_password(client, world.analyst.email, world.password)
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_wrong_codes_count_towards_the_lockout(client, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    post_password(client, world.analyst.email, world.password)
    for _ in range(2):
        assert client.post(CODE, {"code": other_code(world.analyst)}).status_code == 400
    response = client.post(CODE, {"code": current_code(world.analyst)})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert signed_in_user_id(client) is None
    # Nor does going back to the password step get round it.
    assert post_password(client, world.analyst.email, world.password).status_code == 429


def test_code_step_lapses_after_five_minutes(client, world):
    post_password(client, world.analyst.email, world.password)
    session = client.session
    session[PENDING_LOGIN_KEY]["at"] -= 5 * 60 + 1
    session.save()
    response = client.post(CODE, {"code": current_code(world.analyst)})
    assert response.status_code == 302 and response.url == LOGIN
    assert signed_in_user_id(client) is None


def test_code_step_without_a_password_goes_back_to_sign_in(client, world):
    response = client.get(CODE)
    assert response.status_code == 302 and response.url == LOGIN


def test_centre_staff_without_a_second_factor_must_set_one_up(client, world):
    newcomer = create_user(email="new@centre.example", name="新人", organisation=world.centre,
                           password=world.password)
    response = post_password(client, newcomer.email, world.password)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(newcomer.pk)
    setup = reverse("accounts:totp_setup")
    for page in (home(), reverse("accounts:settings"), reverse("accounts:tokens")):
        response = client.get(page)
        assert response.status_code == 302 and response.url == setup
    assert client.get(setup).status_code == 200


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/x",
                                  "javascript:alert(1)"])
def test_next_pointing_elsewhere_is_ignored(client, world, evil):
    response = client.post(f"{LOGIN}?next={evil}",
                           {"email": world.alice.email, "password": world.password})
    assert response.status_code == 302 and response.url == home()

    client.post(reverse("accounts:logout"))
    response = post_password(client, world.analyst.email, world.password, next=evil)
    response = client.post(CODE, {"code": current_code(world.analyst)})
    assert response.status_code == 302 and response.url == home()


def test_next_on_this_site_is_followed(client, world):
    target = reverse("accounts:tokens")
    response = post_password(client, world.alice.email, world.password, next=target)
    assert response.status_code == 302 and response.url == target


def test_next_survives_the_code_step(client, world):
    target = reverse("accounts:tokens")
    response = client.post(f"{LOGIN}?next={target}",
                           {"email": world.analyst.email, "password": world.password})
    assert response.url == CODE
    response = client.post(CODE, {"code": current_code(world.analyst)})
    assert response.status_code == 302 and response.url == target


def test_logout_asks_on_get_and_signs_out_on_post(client, world):
    client.force_login(world.alice)
    logout = reverse("accounts:logout")
    response = client.get(logout)
    assert response.status_code == 200 and b"<form" in response.content
    assert signed_in_user_id(client) == str(world.alice.pk)
    response = client.post(logout)
    assert response.status_code == 302 and response.url == LOGIN
    assert signed_in_user_id(client) is None


def test_a_successful_sign_in_clears_the_failure_count(client, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _round in range(2):
        for _ in range(2):
            post_password(client, world.alice.email, "wrong-wrong")
        assert post_password(client, world.alice.email, world.password).status_code == 302
        client.post(reverse("accounts:logout"))
