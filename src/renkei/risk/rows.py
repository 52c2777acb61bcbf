"""One assessment row, checked the same way whether it comes from the browser or a sheet.

`clean_row` turns raw values (strings from a form, cell values from openpyxl) into the fields of
a SubmissionRow, or says per field what is wrong; the XLSX importer adds sheet, row and column.
"""

from datetime import date, datetime, time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkei.risk.catalogue import Catalogue
from renkei.risk.models import RiskLevel, Treatment

# field, Japanese header, English header, how it is labelled in messages and forms.
COLUMNS = [
    ("asset", "資産（情報資産）", "Asset", gettext_lazy("asset")),
    ("outcome", "業務の阻害につながる事象の結果", "Outcome", gettext_lazy("outcome")),
    ("threat", "結果を生じ得る事象（脅威）", "Threat event", gettext_lazy("threat event")),
    ("risk_source", "リスク源", "Risk source", gettext_lazy("risk source")),
    ("phases", "サイバーキルチェーン", "Kill-chain phases", gettext_lazy("kill-chain phases")),
    ("cia", "CIA", "CIA", gettext_lazy("CIA")),
    ("existing_measures", "既存の対策", "Existing measures", gettext_lazy("existing measures")),
    ("likelihood", "発生可能性（1〜5）", "Likelihood (1-5)", gettext_lazy("likelihood")),
    ("impact", "影響度（1〜5）", "Impact (1-5)", gettext_lazy("impact")),
    ("risk_level", "リスクレベル", "Risk level", gettext_lazy("risk level")),
    ("treatment", "リスク対応", "Treatment", gettext_lazy("treatment")),
]
FIELDS = [c[0] for c in COLUMNS]
FIELD_NAMES = {c[0]: c[3] for c in COLUMNS}
MAX_TEXT = {"asset": 200, "existing_measures": 2000}
REQUIRED = {
    "light": ("asset", "outcome", "threat", "risk_source"),
    "standard": ("asset", "outcome", "threat", "risk_source", "likelihood", "impact",
                 "treatment"),
    "detailed": ("asset", "outcome", "threat", "risk_source", "likelihood", "impact",
                 "treatment", "cia", "existing_measures"),
}
LEVEL_WORDS = {"high": RiskLevel.HIGH, "高": RiskLevel.HIGH, "medium": RiskLevel.MEDIUM,
               "中": RiskLevel.MEDIUM, "low": RiskLevel.LOW, "低": RiskLevel.LOW}
TREATMENT_WORDS = {"reduce": Treatment.REDUCE, "低減": Treatment.REDUCE,
                   "accept": Treatment.ACCEPT, "受容": Treatment.ACCEPT, "保有": Treatment.ACCEPT,
                   "avoid": Treatment.AVOID, "回避": Treatment.AVOID,
                   "transfer": Treatment.TRANSFER, "移転": Treatment.TRANSFER}


def header(field: str) -> str:
    column = next(c for c in COLUMNS if c[0] == field)
    return f"{column[1]} / {column[2]}"


def computed_level(likelihood: int | None, impact: int | None) -> str:
    if likelihood is None or impact is None:
        return ""
    product = likelihood * impact
    return RiskLevel.HIGH if product >= 15 else RiskLevel.MEDIUM if product >= 6 else \
        RiskLevel.LOW


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _whole(value) -> int | str | None:
    """1..5 from an int, a whole float or digits; "" when blank; "bad" otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | datetime | date | time):
        return "bad"
    if isinstance(value, float):
        if not value.is_integer():
            return "bad"
        value = int(value)
    if isinstance(value, str):
        text = value.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if not text.isdigit():
            return "bad"
        value = int(text)
    if not isinstance(value, int) or not 1 <= value <= 5:
        return "bad"
    return value


def _choice(words: dict, value) -> str | None:
    text = _text(value)
    if not text:
        return ""
    return words.get(text.lower()) or words.get(text)


def clean_row(catalogue: Catalogue, approach: str, raw: dict) -> tuple[dict, dict[str, str]]:
    """(fields for a SubmissionRow, {field: message}). Messages are in the active language."""
    values: dict = {}
    errors: dict[str, str] = {}
    for field in ("asset", "existing_measures"):
        text = _text(raw.get(field))
        if len(text) > MAX_TEXT[field]:
            errors[field] = _("At most %(n)d characters.") % {"n": MAX_TEXT[field]}
        values[field] = text
    for field, section in (("outcome", "outcomes"), ("threat", "threats"),
                           ("risk_source", "risk_sources")):
        text = _text(raw.get(field))
        if not text:
            values[field] = ""
            continue
        code = catalogue.choice(section, text)
        if code is None:
            errors[field] = {
                "outcome": _("“%(value)s” is not an outcome in the catalogue."),
                "threat": _("“%(value)s” is not a threat event in the catalogue."),
                "risk_source": _("“%(value)s” is not a risk source in the catalogue."),
            }[field] % {"value": text[:60]}
        values[field] = code or ""
    for field, section in (("phases", "phases"), ("cia", "cia")):
        codes, unknown = catalogue.parse_many(section, _text(raw.get(field)))
        if unknown:
            errors[field] = (_("Unknown kill-chain phase: %(value)s.") if field == "phases"
                             else _("Unknown CIA property: %(value)s.")) % {
                "value": "、".join(unknown)[:60]}
        values[field] = codes
    for field in ("likelihood", "impact"):
        number = _whole(raw.get(field))
        if number == "bad":
            errors[field] = _("“%(value)s” is not a whole number from 1 to 5.") % {
                "value": _text(raw.get(field))[:30]}
            number = None
        values[field] = number
    level = _choice(LEVEL_WORDS, raw.get("risk_level"))
    if level is None:
        errors["risk_level"] = _("Give high, medium or low (高, 中, 低).")
        level = ""
    values["risk_level"] = level or computed_level(values["likelihood"], values["impact"])
    treatment = _choice(TREATMENT_WORDS, raw.get("treatment"))
    if treatment is None:
        errors["treatment"] = _("Give reduce, accept, avoid or transfer (低減, 受容, 回避, 移転).")
        treatment = ""
    values["treatment"] = treatment

    for field in REQUIRED.get(approach, REQUIRED["standard"]):
        if field not in errors and values.get(field) in ("", None, []):
            errors[field] = _("This is required.")
    threat, source = values["threat"], values["risk_source"]
    if (threat and source and "threat" not in errors and "risk_source" not in errors
            and threat not in catalogue.source_cells.get(source, {})
            and not (values["phases"] or not catalogue.uses_kill_chain(threat))
            and "phases" not in errors):
        errors["phases"] = _("The catalogue does not map this risk source to this threat "
                             "event; name the kill-chain phases it acts in.")
    if (threat and source and not values["cia"] and "cia" not in errors
            and threat not in catalogue.source_cells.get(source, {})):
        errors["cia"] = _("The catalogue does not map this risk source to this threat event; "
                          "name the CIA properties it endangers.")
    return values, errors
