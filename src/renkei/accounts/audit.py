from renkei.accounts.models import AuditEntry


def record(actor, action: str, obj=None, ip_address: str | None = None, **detail) -> AuditEntry:
    """Append one entry to the audit log; called by services inside their transaction."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "public_id", None) or getattr(obj, "pk", "")) if obj else "",
        detail=detail,
        ip_address=ip_address,
    )
