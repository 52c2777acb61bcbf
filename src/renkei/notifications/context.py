from renkei.notifications.services import unread_count


def notifications(request) -> dict:
    """The menu's unread count, counted only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": lambda: unread_count(user)}
