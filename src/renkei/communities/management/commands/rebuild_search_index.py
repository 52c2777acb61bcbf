"""`renkei manage rebuild_search_index`: index every topic again (after a restore, an import
that wrote rows directly, or a change to the normalisation)."""

from django.core.management.base import BaseCommand

from renkei.communities import search_index


class Command(BaseCommand):
    help = "Index the titles, bodies, comments and file names of every topic for search again."

    def handle(self, *args, **options) -> None:
        def progress(done: int) -> None:
            if done % 10_000 == 0:
                self.stdout.write(f"{done} topics")

        total = search_index.rebuild(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} topics for search."))
