from django.core.management.color import no_style
from django.db import migrations


def create_live_environment(apps, schema_editor):
    Environment = apps.get_model("sharing", "Environment")
    Environment.objects.get_or_create(pk=1, defaults={"name": "本番", "kind": "live"})
    # The row was written with an explicit id; on PostgreSQL the id sequence does not move by
    # itself, so the first exercise environment would collide with id 1.
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [Environment]):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]
    operations = [migrations.RunPython(create_live_environment, migrations.RunPython.noop)]
