from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _comment_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from renkei.incidents.services import note_first_response

        note_first_response(instance)


class IncidentsConfig(AppConfig):
    name = "renkei.incidents"
    label = "incidents"
    verbose_name = _("Consultation window and incident coordination")

    def ready(self) -> None:
        # Comments are written by communities.services.add_comment, whichever page they come
        # from; a centre person's first reply in a report's thread is the case's first response.
        from renkei.communities.models import Comment

        post_save.connect(_comment_saved, sender=Comment, dispatch_uid="incidents.first_response")
