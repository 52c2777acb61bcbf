"""The automatic feedback report (issue 6, item 4), computed from plain rows.

As in the seed's example: each row of a submission names a threat event, a risk source, the
kill-chain phases and the CIA properties where it lands; the report marks a cell of the matrix
threat × phase × CIA with ○ where a submitted row covers it and with × where the sector's model
case expects a risk source there that the submission lacks, beside the same matrix for the
organisation's previous round. It then lists what may be missing — resources of the model case
no row names, expected threats and risk sources no row names — each with the model case's
reasoning (which resource of which process of which service calls for it).

Nothing here compares one organisation with another: a report reads one organisation's rows
and the catalogue. The result is plain JSON (codes, not labels), stored with the report and
rendered in the reader's language from the round's pinned catalogue.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from renkei.risk.catalogue import Catalogue, label, named

COVERED, MISSING, EMPTY = "○", "×", ""


@dataclass(frozen=True)
class Row:
    asset: str
    threat: str
    risk_source: str
    phases: tuple[str, ...] = ()
    cia: tuple[str, ...] = ()


def row_cells(catalogue: Catalogue, row: Row) -> set[tuple[str, str, str]]:
    """Cells a row covers: its own phases and CIA, or where left blank, the catalogue's mapping
    of its risk source for its threat."""
    mapped = catalogue.source_cells.get(row.risk_source, {}).get(row.threat, set())
    phases = catalogue.phases_of(row.threat, list(row.phases)) if row.phases else \
        sorted({p for p, _c in mapped})
    cia = list(row.cia) or sorted({c for _p, c in mapped})
    return {(row.threat, p, c) for p in phases for c in cia}


def coverage(catalogue: Catalogue, rows: Iterable[Row]) -> set[tuple[str, str, str]]:
    covered: set[tuple[str, str, str]] = set()
    for row in rows:
        covered |= row_cells(catalogue, row)
    return covered


def _normal(text: str) -> str:
    return "".join(str(text).split()).lower()


def _names_resource(assets: set[str], resource: dict) -> bool:
    names = {_normal(n) for n in (resource.get("code"), resource.get("ja"), resource.get("en"))
             if n}
    return any(a in names or any(n in a for n in names if len(n) > 2) for a in assets)


def build_report(catalogue: Catalogue, sector: str, approach: str, rows: list[Row],
                 previous: tuple[Catalogue, list[Row]] | None = None,
                 expected: dict | None = None) -> dict:
    """The report as JSON. `previous`: the catalogue and rows of the previous round's submitted
    version, or None when the organisation has none. `expected` may be passed in when many
    reports of one sector are built at once (catalogue.expected is the costly part)."""
    expected = expected or catalogue.expected(sector, approach)
    covered = coverage(catalogue, rows)
    before = coverage(previous[0], previous[1]) if previous is not None else None
    wanted = expected["cells"]
    threats_shown = {t for t, _p, _c in wanted | covered | (before or set())}
    cia_codes = list(catalogue.cia)

    def mark(cells: set, cell: tuple) -> str:
        if cell in cells:
            return COVERED
        return MISSING if cell in wanted else EMPTY

    matrix = []
    for threat, phase in catalogue.matrix_rows():
        if threat not in threats_shown:
            continue
        matrix.append({
            "threat": threat, "phase": phase,
            "current": [mark(covered, (threat, phase, c)) for c in cia_codes],
            "previous": None if before is None else
            [mark(before, (threat, phase, c)) for c in cia_codes],
        })

    assets = {_normal(r.asset) for r in rows if r.asset}
    named_threats = {r.threat for r in rows}
    named_sources = {r.risk_source for r in rows}
    missing_resources = [
        {"key": f"resource:{resource.get('code', '')}", "code": resource.get("code", ""),
         "name": named(why.resource), "process": named(why.process),
         "service": named(why.service)}
        for resource, why in catalogue.model_resources(sector)
        if not _names_resource(assets, resource)
    ]
    # A resource shared by two processes (the website) is listed once.
    seen: set[str] = set()
    missing_resources = [m for m in missing_resources
                         if not (m["key"] in seen or seen.add(m["key"]))]
    missing_threats = [
        {"key": f"threat:{code}", "code": code,
         "because": [named(pair) for pair in sorted({why.resource for why in whys})]}
        for code, whys in expected["threats"].items() if code not in named_threats
    ]
    missing_sources = [
        {"key": f"source:{code}", "code": code, "threats": sorted(set(threats)),
         "cells": sum(1 for t in set(threats)
                      for p, c in catalogue.source_cells[code][t]
                      if (t, p, c) not in covered)}
        for code, threats in expected["sources"].items() if code not in named_sources
    ]
    order = list(catalogue.threats)
    missing_threats.sort(key=lambda m: order.index(m["code"]))
    sources_order = list(catalogue.risk_sources)
    missing_sources.sort(key=lambda m: sources_order.index(m["code"]))
    return {
        "sector": sector,
        "approach": approach,
        "rows": len(rows),
        "has_previous": before is not None,
        "cia": cia_codes,
        "matrix": matrix,
        "expected_cells": len(wanted),
        "covered_expected": len(wanted & covered),
        "previous_covered_expected": None if before is None else len(wanted & before),
        "missing": {"resources": missing_resources, "threats": missing_threats,
                    "sources": missing_sources},
    }


def item_keys(content: dict) -> set[str]:
    """The items of a report the centre may comment on ("general" is always there)."""
    keys = {"general"}
    for items in content.get("missing", {}).values():
        keys |= {item["key"] for item in items}
    return keys


def resource_label(item: dict) -> str:
    return label(item.get("name"))
