"""Each revision keeps the audience it was written under.

Revisions written before this knew only their TLP. Backfilled conservatively: a revision whose
TLP is stricter than the topic's current TLP was meant for fewer readers than the topic has now,
so it gets a chosen audience of only the author's organisation; any other revision gets the
topic's current audience."""

from django.db import migrations, models

# Strictness as in sharing.models.TLP_ORDER, frozen here as a migration must be.
_ORDER = ("clear", "green", "amber", "amber+strict", "red")


def _strictness(tlp: str) -> int:
    return _ORDER.index(tlp) if tlp in _ORDER else len(_ORDER)  # unknown: strictest


def backfill(apps, schema_editor):
    TopicRevision = apps.get_model("communities", "TopicRevision")
    TopicAudienceOrganisation = apps.get_model("communities", "TopicAudienceOrganisation")
    TopicAudienceUser = apps.get_model("communities", "TopicAudienceUser")
    revisions = TopicRevision.objects.select_related("topic").order_by("topic_id", "id")
    audiences: dict[int, tuple[list[int], list[int]]] = {}
    changed = []
    for revision in revisions.iterator(chunk_size=500):
        topic = revision.topic
        if _strictness(revision.tlp) > _strictness(topic.tlp):
            revision.audience_mode = "chosen"
            revision.audience_organisation_ids = [topic.author_organisation_id]
            revision.audience_user_ids = []
        else:
            if topic.pk not in audiences:
                audiences[topic.pk] = (
                    sorted(TopicAudienceOrganisation.objects.filter(topic_id=topic.pk)
                           .values_list("organisation_id", flat=True)),
                    sorted(TopicAudienceUser.objects.filter(topic_id=topic.pk)
                           .values_list("user_id", flat=True)))
            revision.audience_mode = topic.audience_mode
            revision.audience_organisation_ids, revision.audience_user_ids = audiences[topic.pk]
        changed.append(revision)
        if len(changed) >= 500:
            TopicRevision.objects.bulk_update(changed, _FIELDS)
            changed = []
    if changed:
        TopicRevision.objects.bulk_update(changed, _FIELDS)


_FIELDS = ["audience_mode", "audience_organisation_ids", "audience_user_ids"]


class Migration(migrations.Migration):

    dependencies = [
        ('communities', '0003_topic_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='topicrevision',
            name='audience_mode',
            field=models.CharField(choices=[('members', 'All members of the community'), ('chosen', 'Chosen organisations and people')], default='chosen', max_length=10),
        ),
        migrations.AddField(
            model_name='topicrevision',
            name='audience_organisation_ids',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='topicrevision',
            name='audience_user_ids',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
