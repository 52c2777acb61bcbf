from django.db import migrations


def create_live_environment(apps, schema_editor):
    Environment = apps.get_model("sharing", "Environment")
    Environment.objects.get_or_create(pk=1, defaults={"name": "本番", "kind": "live"})


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]
    operations = [migrations.RunPython(create_live_environment, migrations.RunPython.noop)]
