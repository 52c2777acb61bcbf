"""Reading a catalogue version: lookups by code, labels in the reader's language, the checks a
version must pass before it is published, and what a sector's model case expects.

A catalogue is a plain document (see catalogue_data.py for its shape and the default). `Catalogue`
wraps one with indexes; it is cheap to build and read-only.
"""

import re
from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkei.risk.catalogue_data import KIND_THREATS

NO_PHASE = "-"
APPROACH_ORDER = {"light": 0, "standard": 1, "detailed": 2}
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
SECTIONS = ("kill_chain", "cia", "outcomes", "threat_groups", "threats", "risk_sources",
            "resource_kinds", "model_cases")


def label(item: dict | None, language: str | None = None) -> str:
    """An item's name in the reader's language (Japanese when English is missing)."""
    if not item:
        return ""
    language = (language or get_language() or "ja")[:2]
    return item.get(language) or item.get("ja") or item.get("en") or item.get("code", "")


def names(item: dict) -> tuple[str, str]:
    """An item's (Japanese, English) names, hashable, for reports rendered later."""
    return (item.get("ja") or item.get("en") or "", item.get("en") or item.get("ja") or "")


def named(pair) -> dict:
    return {"ja": pair[0], "en": pair[1]}


@dataclass(frozen=True)
class Expectation:
    """Why the model case expects something: the resource, process and service behind it, as
    (Japanese, English) names."""

    resource: tuple[str, str]
    process: tuple[str, str]
    service: tuple[str, str]


class Catalogue:
    def __init__(self, data: dict):
        self.data = data

    @cached_property
    def phases(self) -> dict[str, dict]:
        return {p["code"]: p for p in self.data["kill_chain"]}

    @cached_property
    def cia(self) -> dict[str, dict]:
        return {c["code"]: c for c in self.data["cia"]}

    @cached_property
    def outcomes(self) -> dict[str, dict]:
        return {o["code"]: o for o in self.data["outcomes"]}

    @cached_property
    def groups(self) -> dict[str, dict]:
        return {g["code"]: g for g in self.data["threat_groups"]}

    @cached_property
    def threats(self) -> dict[str, dict]:
        return {t["code"]: t for t in self.data["threats"]}

    @cached_property
    def risk_sources(self) -> dict[str, dict]:
        return {r["code"]: r for r in self.data["risk_sources"]}

    @cached_property
    def source_cells(self) -> dict[str, dict[str, set[tuple[str, str]]]]:
        """risk source -> threat -> {(phase, cia)} it covers, from the mapping."""
        result: dict[str, dict[str, set]] = {}
        for source in self.data["risk_sources"]:
            by_threat = result.setdefault(source["code"], {})
            for cover in source["covers"]:
                cells = by_threat.setdefault(cover["threat"], set())
                cells.update((p, c) for p in self.phases_of(cover["threat"], cover["phases"])
                             for c in cover["cia"])
        return result

    @cached_property
    def sources_by_threat(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for code, by_threat in self.source_cells.items():
            for threat in by_threat:
                result.setdefault(threat, []).append(code)
        return result

    def uses_kill_chain(self, threat: str) -> bool:
        group = self.groups.get(self.threats.get(threat, {}).get("group", ""), {})
        return bool(group.get("kill_chain"))

    def phases_of(self, threat: str, phases: list[str]) -> list[str]:
        """Threats outside the kill chain land in one row whatever the phases say."""
        return list(phases) if self.uses_kill_chain(threat) else [NO_PHASE]

    def matrix_rows(self) -> list[tuple[str, str]]:
        """(threat, phase) rows of the feedback matrix, in catalogue order."""
        rows = []
        for threat in self.data["threats"]:
            phases = list(self.phases) if self.uses_kill_chain(threat["code"]) else [NO_PHASE]
            rows += [(threat["code"], phase) for phase in phases]
        return rows

    # --- model cases ------------------------------------------------------------------------

    def model_case(self, sector: str) -> dict:
        cases = {case["sector"]: case for case in self.data["model_cases"]}
        return cases.get(sector) or cases.get("") or {"sector": "", "services": []}

    def model_resources(self, sector: str) -> list[tuple[dict, Expectation]]:
        case = self.model_case(sector)
        found = []
        for service in case.get("services", []):
            for process in service.get("processes", []):
                for resource in process.get("resources", []):
                    found.append((resource, Expectation(names(resource), names(process),
                                                        names(service))))
        return found

    def expected(self, sector: str, approach: str) -> dict:
        """What the model case expects of a sector at this approach: threats and risk sources
        (each with the resources that call for it) and the matrix cells they cover."""
        level = APPROACH_ORDER.get(approach, 1)
        threats: dict[str, list[Expectation]] = {}
        for resource, why in self.model_resources(sector):
            names = resource.get("threats") or KIND_THREATS.get(resource.get("kind", ""), [])
            for threat in names:
                info = self.threats.get(threat)
                if info and APPROACH_ORDER.get(info.get("level", "standard"), 1) <= level:
                    threats.setdefault(threat, []).append(why)
        sources: dict[str, list[str]] = {}
        cells: set[tuple[str, str, str]] = set()
        for threat in threats:
            for source in self.sources_by_threat.get(threat, []):
                sources.setdefault(source, []).append(threat)
                cells.update((threat, p, c) for p, c in self.source_cells[source][threat])
        return {"threats": threats, "sources": sources, "cells": cells}

    # --- reading what people type -----------------------------------------------------------

    def choice(self, section: str, value: str) -> str | None:
        """The code for a cell or form value: "E01", "E01: 不正な…", or a label in either
        language. None when it names nothing in the catalogue."""
        items = {"outcomes": self.outcomes, "threats": self.threats,
                 "risk_sources": self.risk_sources}[section]
        text = str(value).strip()
        code = text.split(":", 1)[0].strip() if ":" in text else text
        if code in items:
            return code
        for item in items.values():
            if text in (item.get("ja"), item.get("en")):
                return item["code"]
        return None

    def option(self, section: str, code: str) -> str:
        """How a choice is offered in forms and template dropdowns: "E01: 不正な処理…"."""
        items = {"outcomes": self.outcomes, "threats": self.threats,
                 "risk_sources": self.risk_sources}[section]
        return f"{code}: {label(items[code])}"

    def parse_many(self, section: str, text: str) -> tuple[list[str], list[str]]:
        """Kill-chain phases or CIA from "配送、遠隔操作", "A, I" or "delivery":
        (codes, unknown words)."""
        items = self.phases if section == "phases" else self.cia
        codes, unknown = [], []
        for part in re.split(r"[,、，;；/／・\s]+", str(text or "").strip()):
            if not part:
                continue
            found = part if part in items else next(
                (code for code, item in items.items()
                 if part in (item.get("ja"), item.get("en"), (item.get("en") or "").lower())),
                None)
            if found is None:
                unknown.append(part)
            elif found not in codes:
                codes.append(found)
        order = list(items)
        return sorted(codes, key=order.index), unknown


def _joined(names: list[str]) -> str:
    return ("、" if (get_language() or "ja")[:2] == "ja" else ", ").join(names)


def phases_text(catalogue: Catalogue, codes: list[str]) -> str:
    return _joined([label(catalogue.phases[c]) for c in codes if c in catalogue.phases])


def cia_text(catalogue: Catalogue, codes: list[str]) -> str:
    return _joined([label(catalogue.cia[c]) for c in codes if c in catalogue.cia])


# --- checking a version before it is published ------------------------------------------------

def validate(data) -> list[str]:
    """Everything wrong with a catalogue document, as messages for the editor (empty: fine)."""
    if not isinstance(data, dict):
        return [_("The catalogue must be a JSON object.")]
    errors = []
    for section in SECTIONS:
        if not isinstance(data.get(section), list) or not data.get(section):
            errors.append(_("The section “%(section)s” is missing or empty.")
                          % {"section": section})
    if errors:
        return errors

    def codes(section: str) -> set[str]:
        seen, found = set(), set()
        for i, item in enumerate(data[section], start=1):
            code = item.get("code") if isinstance(item, dict) else None
            if not isinstance(code, str) or not CODE.match(code):
                errors.append(_("%(section)s, item %(n)d: a code of letters and digits is "
                                "needed.") % {"section": section, "n": i})
                continue
            if code in seen:
                errors.append(_("%(section)s: the code %(code)s is used twice.")
                              % {"section": section, "code": code})
            if not (item.get("ja") or item.get("en")):
                errors.append(_("%(section)s, %(code)s: a name is needed.")
                              % {"section": section, "code": code})
            seen.add(code)
            found.add(code)
        return found

    phases, cia = codes("kill_chain"), codes("cia")
    codes("outcomes")
    groups, threats = codes("threat_groups"), codes("threats")
    codes("risk_sources")
    for threat in data["threats"]:
        if isinstance(threat, dict) and threat.get("group") not in groups:
            errors.append(_("threats, %(code)s: unknown group “%(value)s”.")
                          % {"code": threat.get("code"), "value": threat.get("group")})
        if isinstance(threat, dict) and threat.get("level", "standard") not in APPROACH_ORDER:
            errors.append(_("threats, %(code)s: the level must be light, standard or "
                            "detailed.") % {"code": threat.get("code")})
    for source in data["risk_sources"]:
        if not isinstance(source, dict):
            continue
        covers = source.get("covers")
        if not isinstance(covers, list) or not covers:
            errors.append(_("risk_sources, %(code)s: it must name at least one threat it "
                            "covers.") % {"code": source.get("code")})
            continue
        for cover in covers:
            if not isinstance(cover, dict) or cover.get("threat") not in threats:
                errors.append(_("risk_sources, %(code)s: an unknown threat in “covers”.")
                              % {"code": source.get("code")})
                continue
            bad_phases = set(cover.get("phases") or []) - phases - {NO_PHASE}
            bad_cia = set(cover.get("cia") or []) - cia
            if bad_phases or bad_cia or not cover.get("cia"):
                errors.append(_("risk_sources, %(code)s: unknown phases or CIA for %(threat)s.")
                              % {"code": source.get("code"), "threat": cover["threat"]})
    for i, case in enumerate(data["model_cases"], start=1):
        if not isinstance(case, dict) or not isinstance(case.get("services"), list):
            errors.append(_("model_cases, item %(n)d: services are needed.") % {"n": i})
            continue
        for service in case["services"]:
            for process in service.get("processes", []) if isinstance(service, dict) else []:
                for resource in process.get("resources", []) if isinstance(process, dict) \
                        else []:
                    unknown = set(resource.get("threats") or []) - threats \
                        if isinstance(resource, dict) else {"?"}
                    if unknown:
                        errors.append(_("model_cases, %(sector)s: a resource names unknown "
                                        "threats %(codes)s.") % {
                            "sector": case.get("sector") or "-",
                            "codes": ", ".join(sorted(unknown))})
    return errors
