from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "renkei.feeds"
    label = "feeds"
    verbose_name = _("Indicator feeds in and out")

    def ready(self) -> None:
        from renkei.feeds import jobs  # noqa: F401  (registers the job handlers and the ticker)
