"""Items already passed on against the pass-on rule (data from before it, or written by hand).

Each domain app that passes items on names a function in its AppConfig,
`passing_findings = "renkei.<app>.passing_audit.findings"`, that yields `Finding`s; the
`passing_audit` command (`renkei passing-audit`) lists them for the centre. `sharing` only
collects: it knows no app above it.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Finding:
    kind: str       # e.g. "reshare", "edit", "indicator", "version"
    item: str       # what was passed on: a topic id, a STIX id
    where: str      # where it went: a community, a copy
    reason: str     # the pass-on rule's refusal, in the current language


def findings() -> Iterator[Finding]:
    for config in apps.get_app_configs():
        path = getattr(config, "passing_findings", None)
        if path:
            yield from import_string(path)()
