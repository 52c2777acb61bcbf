from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "renkei.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Registers the job handlers, so any process with Django set up can run them.
        from renkei.notifications import jobs  # noqa: F401
