"""PDCA maturity (issue 6, item 5): the seed's ten items, answered each round on a 0–4 scale.

The seed (リスクアセスメント（サイバーセキュリティ対策の全般的な運用状況）) tracks whether each
item is
in place; a 0–4 scale shows the way there, so an organisation sees its own progress round by
round even before an item is fully in place:

0 not started · 1 being prepared · 2 partly in place · 3 in place across the organisation ·
4 in place and reviewed and improved regularly.
"""

from django.utils.translation import gettext_lazy as _

ITEMS = [
    ("1", "Plan", _("① Basic policy")),
    ("2", "Plan", _("② Internal rules")),
    ("3", "Plan", _("③ Countermeasure plan")),
    ("4", "Plan", _("④ Training")),
    ("5", "Plan", _("⑤ Internal control")),
    ("6", "Do", _("⑥ Contingency plan")),
    ("7", "Do", _("⑦ Business continuity plan")),
    ("8", "Do", _("⑧ Exercises and drills")),
    ("9", "Check", _("⑨ Audit")),
    ("10", "Act", _("⑩ Corrective action")),
]
ITEM_KEYS = [key for key, _stage, _name in ITEMS]
SCALE = [
    (0, _("0: not started")),
    (1, _("1: being prepared")),
    (2, _("2: partly in place")),
    (3, _("3: in place across the organisation")),
    (4, _("4: in place, reviewed and improved regularly")),
]
LEVELS = [level for level, _label in SCALE]


def clean(answers: dict) -> tuple[dict[str, int], list[str]]:
    """Answers from a form or a sheet: item -> level. Blank items are left out."""
    cleaned, wrong = {}, []
    names = {key: str(name) for key, _stage, name in ITEMS}
    for key in ITEM_KEYS:
        value = answers.get(key)
        if value in (None, ""):
            continue
        try:
            level = int(str(value).strip())
        except ValueError:
            level = -1
        if level not in LEVELS:
            wrong.append(names[key])
        else:
            cleaned[key] = level
    return cleaned, wrong


def average(pdca: dict) -> float | None:
    values = [pdca[k] for k in ITEM_KEYS if k in pdca]
    return sum(values) / len(values) if values else None
