"""The topic search index: normalised texts, and beside them an FTS5 table (SQLite) or a
tsvector column with a GIN index (PostgreSQL); topics already there are indexed."""

import django.db.models.deletion
from django.db import migrations, models

from renkei.communities import search_index


def create_backend_index(apps, schema_editor) -> None:
    search_index.create_backend_index(schema_editor)


def drop_backend_index(apps, schema_editor) -> None:
    search_index.drop_backend_index(schema_editor)


def index_existing_topics(apps, schema_editor) -> None:
    search_index.rebuild(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("communities", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="TopicSearchEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("field", models.CharField(max_length=10)),
                ("text", models.TextField()),
                ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to="communities.topic")),
            ],
        ),
        migrations.RunPython(create_backend_index, drop_backend_index),
        migrations.RunPython(index_existing_topics, migrations.RunPython.noop),
    ]
