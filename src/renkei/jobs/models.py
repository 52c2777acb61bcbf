from django.db import models
from django.db.models import Q
from django.utils import timezone


class Job(models.Model):
    """One unit of background work. Rows survive restarts; a worker claims one at a time."""

    class State(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    run_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    last_error = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Work that must happen at most once (one mail per reader and topic) carries a key; a second
    # enqueue with the same key is silently dropped, even after the first job has finished.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="unique_job_dedupe_key",
                                    condition=Q(dedupe_key__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["state", "run_after"]),
            models.Index(fields=["state", "claimed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} ({self.state})"
