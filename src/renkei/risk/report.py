"""A stored feedback report, ready to show: labels in the reader's language, the centre's
comments beside their items, and the model case's reasoning as sentences. The HTML page, the
XLSX and the PDF all read this one presentation."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from renkei.accounts.models import Sector
from renkei.risk.catalogue import NO_PHASE, Catalogue, label
from renkei.risk.models import FeedbackReport


@dataclass
class MatrixRow:
    group: str
    threat: str
    phase: str
    previous: list[str] | None
    current: list[str]
    first_of_threat: bool
    threat_rows: int


@dataclass
class Item:
    key: str
    kind: str
    name: str
    reason: str
    comment: str = ""


@dataclass
class Presented:
    report: FeedbackReport
    cia: list[str]
    matrix: list[MatrixRow]
    items: list[Item] = field(default_factory=list)
    general_comment: str = ""
    has_previous: bool = False
    previous_round: int | None = None
    sector: str = ""


def _sector_name(code: str) -> str:
    return str(Sector(code).label) if code in Sector.values else _("no sector")


def present(report: FeedbackReport) -> Presented:
    catalogue = Catalogue(report.round.catalogue.data)
    content = report.content
    comments = {c.item: c.body for c in report.comments.all()}
    sector = _sector_name(content.get("sector", ""))
    rows: list[MatrixRow] = []
    counts: dict[str, int] = {}
    for entry in content.get("matrix", []):
        counts[entry["threat"]] = counts.get(entry["threat"], 0) + 1
    seen: set[str] = set()
    for entry in content.get("matrix", []):
        threat = catalogue.threats.get(entry["threat"], {"code": entry["threat"]})
        group = catalogue.groups.get(threat.get("group", ""), {})
        phase = (_("(no kill chain)") if entry["phase"] == NO_PHASE
                 else label(catalogue.phases.get(entry["phase"], {"code": entry["phase"]})))
        rows.append(MatrixRow(label(group), label(threat), phase, entry.get("previous"),
                              entry["current"], entry["threat"] not in seen,
                              counts[entry["threat"]]))
        seen.add(entry["threat"])

    items = []
    missing = content.get("missing", {})
    for m in missing.get("resources", []):
        names = {"sector": sector, "service": label(m["service"]),
                 "process": label(m["process"]), "resource": label(m["name"])}
        items.append(Item(m["key"], _("Resource"), names["resource"], _(
            "The model case for %(sector)s expects the resource “%(resource)s” for the process "
            "“%(process)s” of the service “%(service)s”; no row of the assessment names it.")
            % names))
    for m in missing.get("threats", []):
        threat = catalogue.threats.get(m["code"], {"code": m["code"]})
        because = "、".join(f"「{label(b)}」" for b in m["because"])
        items.append(Item(m["key"], _("Threat event"), label(threat), _(
            "Expected for the resources %(resources)s of the model case; no row names this "
            "threat event.") % {"resources": because}))
    for m in missing.get("sources", []):
        source = catalogue.risk_sources.get(m["code"], {"code": m["code"]})
        threats = "、".join(f"「{label(catalogue.threats.get(t, {'code': t}))}」"
                           for t in m["threats"])
        if m.get("cells"):
            reason = _("A risk source of the threat events %(threats)s, which the model case "
                       "expects; no row names it (%(cells)d cells of the matrix stay uncovered "
                       "without it).") % {"threats": threats, "cells": m["cells"]}
        else:
            reason = _("A risk source of the threat events %(threats)s, which the model case "
                       "expects; no row names it, although other risk sources cover the same "
                       "cells of the matrix.") % {"threats": threats}
        items.append(Item(m["key"], _("Risk source"), label(source), reason))
    for item in items:
        item.comment = comments.get(item.key, "")
    return Presented(
        report=report, cia=[label(catalogue.cia.get(c, {"code": c})) for c in content.get(
            "cia", [])], matrix=rows, items=items, general_comment=comments.get("general", ""),
        has_previous=bool(content.get("has_previous")),
        previous_round=content.get("previous_round"), sector=sector)
