from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "renkei.evaluations"
    label = "evaluations"
    verbose_name = _("Cross-sectional risk evaluation")

    def ready(self) -> None:
        # Registers the job handlers and the reminder ticker with the worker.
        from renkei.evaluations import jobs  # noqa: F401
