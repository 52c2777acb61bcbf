from datetime import UTC, datetime

from django.db import migrations

from renkei.intel.curated import CURATED


def forwards(apps, schema_editor):
    Collection = apps.get_model("intel", "Collection")
    StoreClock = apps.get_model("intel", "StoreClock")
    for spec in CURATED:
        Collection.objects.get_or_create(uuid=spec["uuid"], defaults={"kind": "curated", **spec})
    StoreClock.objects.get_or_create(pk=1, defaults={"last": datetime(1970, 1, 1, tzinfo=UTC)})


class Migration(migrations.Migration):
    dependencies = [("intel", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
