"""Login throttling: after too many failures for an address or from a client, wait."""

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, client_ip: str | None) -> list[str]:
    keys = [f"login-fail:email:{email.strip().lower()}"]
    if client_ip:
        keys.append(f"login-fail:ip:{client_ip}")
    return keys


def is_locked(email: str, client_ip: str | None) -> bool:
    # An address gets the configured number of tries; one client may try ten times that,
    # so a shared office network is not locked out by one person.
    limit = settings.LOGIN_FAILURE_LIMIT
    counts = cache.get_many(_keys(email, client_ip))
    for key, count in counts.items():
        if count >= (limit if ":email:" in key else limit * 10):
            return True
    return False


def note_failure(email: str, client_ip: str | None) -> None:
    for key in _keys(email, client_ip):
        if cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def clear(email: str) -> None:
    cache.delete(_keys(email, None)[0])
