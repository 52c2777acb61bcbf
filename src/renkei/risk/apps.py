from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "renkei.risk"
    label = "risk"
    verbose_name = _("Risk assessment")

    def ready(self) -> None:
        # Registers the job handlers and the reminder ticker.
        from renkei.risk import jobs  # noqa: F401
