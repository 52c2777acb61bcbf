from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SituationConfig(AppConfig):
    name = "renkei.situation"
    label = "situation"
    verbose_name = _("Situation reports, bulletins and sanitised sharing")

    def ready(self) -> None:
        # Registers the schedule's ticker and job handlers with the worker.
        from renkei.situation import jobs  # noqa: F401
