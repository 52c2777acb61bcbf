"""The XLSX template for a round, and reading a filled-in one back (openpyxl).

The template carries what it was made for (the 情報 sheet: template format, round number and
catalogue version) and data-validation dropdowns from the round's pinned catalogue, so Excel
offers only catalogue entries. Reading it back is strict, because a half-understood sheet is
worse than a refused one: the file must be a real XLSX of sensible size (no zip bomb), with no
hidden sheets, no merged cells and no formulas, exactly the template's columns, at most
MAX_ROWS rows, and every row must pass the same checks as the browser's row editor. Every
problem is reported with its sheet, row and column; if there is any, nothing is imported.

The sheet is read in openpyxl's read-only mode, row by row, so memory stays flat however long
it is; merged cells are found by scanning the sheets' XML (read-only mode does not load them).
"""

import io
import zipfile
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from renkei.errors import ServiceError
from renkei.risk import pdca
from renkei.risk.catalogue import Catalogue, cia_text, label, phases_text
from renkei.risk.models import RiskLevel, Round, Submission, Treatment
from renkei.risk.rows import COLUMNS, FIELD_NAMES, FIELDS, clean_row, header

TEMPLATE_KIND = "renkei-risk-assessment"
TEMPLATE_FORMAT = 1
ROWS_SHEET, PDCA_SHEET, LISTS_SHEET, ABOUT_SHEET = "評価シート", "PDCA", "選択肢", "情報"
MAX_ROWS = 20_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Uncompressed, all parts together; a 20,000-row sheet is well under 30 MB.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ERRORS = 50
FORMULA_STARTS = ("=", "+", "-", "@")
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")


# --- the template ----------------------------------------------------------------------------

def _safe(value):
    """A cell value a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def build_template(round: Round, catalogue: Catalogue, organisation,
                   submission: Submission | None = None) -> bytes:
    """The template for an organisation, filled in with a version's rows when one is given."""
    wb = Workbook()
    ws = wb.active
    ws.title = ROWS_SHEET
    ws.append([header(f) for f in FIELDS])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [28, 22, 30, 34, 24, 14, 30, 12, 12, 12, 12]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if submission is not None:
        for row in submission.rows.order_by("position"):
            ws.append([
                _safe(row.asset),
                catalogue.option("outcomes", row.outcome) if row.outcome in catalogue.outcomes
                else row.outcome,
                catalogue.option("threats", row.threat) if row.threat in catalogue.threats
                else row.threat,
                catalogue.option("risk_sources", row.risk_source)
                if row.risk_source in catalogue.risk_sources else row.risk_source,
                phases_text(catalogue, row.phases), cia_text(catalogue, row.cia),
                _safe(row.existing_measures), row.likelihood, row.impact,
                str(RiskLevel(row.risk_level).label) if row.risk_level else "",
                str(Treatment(row.treatment).label) if row.treatment else "",
            ])

    lists = wb.create_sheet(LISTS_SHEET)
    columns = {
        "outcome": [catalogue.option("outcomes", c) for c in catalogue.outcomes],
        "threat": [catalogue.option("threats", c) for c in catalogue.threats],
        "risk_source": [catalogue.option("risk_sources", c) for c in catalogue.risk_sources],
        "asset": [label(r) for r, _why in catalogue.model_resources(organisation.sector)],
        "risk_level": [str(level.label) for level in RiskLevel],
        "treatment": [str(t.label) for t in Treatment],
        "phases": [label(p) for p in catalogue.phases.values()],
        "cia": [label(c) for c in catalogue.cia.values()],
    }
    ranges = {}
    for i, (name, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(i)
        lists.cell(row=1, column=i, value=str(FIELD_NAMES[name])).font = Font(bold=True)
        lists.column_dimensions[letter].width = 36
        for j, value in enumerate(dict.fromkeys(values), start=2):
            lists.cell(row=j, column=i, value=value)
        ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(set(values)) + 1}"

    last = MAX_ROWS + 1
    for name in ("outcome", "threat", "risk_source", "risk_level", "treatment", "asset"):
        letter = get_column_letter(FIELDS.index(name) + 1)
        check = DataValidation(type="list", formula1=ranges[name], allow_blank=True)
        if name == "asset":
            # The model case's resources are a suggestion; an organisation names its own too.
            check.errorStyle = "information"
        check.error = _("Choose a value from the list (sheet “%(sheet)s”).") % {
            "sheet": LISTS_SHEET}
        check.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(check)
    for name in ("likelihood", "impact"):
        letter = get_column_letter(FIELDS.index(name) + 1)
        check = DataValidation(type="whole", operator="between", formula1="1", formula2="5",
                               allow_blank=True)
        check.error = _("A whole number from 1 to 5.")
        check.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(check)
    for name in ("phases", "cia"):
        letter = get_column_letter(FIELDS.index(name) + 1)
        hint = DataValidation(allow_blank=True)
        hint.promptTitle = str(FIELD_NAMES[name])
        hint.prompt = _("Several may be given, separated by 、 or commas; left blank, the "
                        "catalogue's mapping of the risk source is used.")
        hint.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(hint)

    sheet = wb.create_sheet(PDCA_SHEET)
    sheet.append(["No.", _("Item"), _("Level (0-4)")])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    answers = submission.pdca if submission is not None else {}
    for key, _stage, name in pdca.ITEMS:
        sheet.append([int(key), str(name), answers.get(key)])
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 14
    levels = DataValidation(type="whole", operator="between", formula1="0", formula2="4",
                            allow_blank=True)
    levels.add("C2:C11")
    sheet.add_data_validation(levels)
    for i, (_level, text) in enumerate(pdca.SCALE, start=13):
        sheet.cell(row=i, column=2, value=str(text))

    about = wb.create_sheet(ABOUT_SHEET)
    for key, value in (("template", TEMPLATE_KIND), ("format", TEMPLATE_FORMAT),
                       ("round", round.number), ("catalogue", round.catalogue.number),
                       ("organisation", organisation.name),
                       ("created", timezone.localtime().strftime("%Y-%m-%d %H:%M"))):
        about.append([key, value])
    about.append([])
    about.append([_("Fill in the sheet “%(sheet)s” (one row per risk) and the sheet PDCA, "
                    "then upload the file on renkei. Do not change this sheet.")
                  % {"sheet": ROWS_SHEET}])
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading it back -------------------------------------------------------------------------

@dataclass
class Imported:
    rows: list[dict] = field(default_factory=list)
    pdca: dict = field(default_factory=dict)


class _Errors:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(message)

    def at(self, sheet: str, row: int, column: int | None, message: str) -> None:
        if column is None:
            self.add(_("Sheet “%(sheet)s”, row %(row)d: %(message)s")
                     % {"sheet": sheet, "row": row, "message": message})
            return
        name = FIELD_NAMES.get(FIELDS[column - 1], "") if column <= len(FIELDS) else ""
        self.add(_("Sheet “%(sheet)s”, row %(row)d, column %(column)s (%(name)s): %(message)s")
                 % {"sheet": sheet, "row": row, "column": get_column_letter(column),
                    "name": name, "message": message})

    def raise_if_any(self) -> None:
        if self.count:
            more = self.count - len(self.messages)
            tail = [_("… and %(n)d more problems.") % {"n": more}] if more > 0 else []
            raise ServiceError([_("Nothing was imported. Please correct the file and upload it "
                                  "again."), *self.messages, *tail])


def _refuse(message: str):
    raise ServiceError([_("Nothing was imported."), message])


def _open_zip(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_UPLOAD_BYTES:
        _refuse(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
    if not data.startswith(b"PK\x03\x04"):
        _refuse(_("This is not an Excel workbook (.xlsx). Please use the template."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(_("This is not an Excel workbook (.xlsx). Please use the template."))
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        _refuse(_("This is not an Excel workbook (.xlsx). Please use the template."))
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES or any(
            i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1)
            for i in infos):
        _refuse(_("The workbook unpacks to far more data than a filled-in template holds; it "
                  "was not read."))
    return archive


def _has_merged_cells(archive: zipfile.ZipFile, path: str) -> bool:
    """Scan the sheet's XML as a stream for a <mergeCell> element."""
    try:
        part = archive.open(path)
    except KeyError:
        return False
    tail = b""
    with part:
        while chunk := part.read(1 << 16):
            if b"<mergeCell " in tail + chunk or b":mergeCell " in tail + chunk:
                return True
            tail = chunk[-16:]
    return False


def _about(workbook) -> dict:
    if ABOUT_SHEET not in workbook.sheetnames:
        return {}
    values = {}
    for row in workbook[ABOUT_SHEET].iter_rows(min_row=1, max_row=10, max_col=2,
                                               values_only=True):
        if row and row[0] is not None:
            values[str(row[0]).strip()] = row[1] if len(row) > 1 else None
    return values


def _norm(value) -> str:
    return " ".join(str(value or "").split())


def read_upload(data: bytes, round: Round, catalogue: Catalogue) -> Imported:
    """Read a filled-in template; ServiceError (nothing imported) on any problem."""
    archive = _open_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        _refuse(_("The workbook could not be read. Please save it again as .xlsx from Excel "
                  "and upload it."))
    try:
        return _read(workbook, archive, round, catalogue)
    finally:
        workbook.close()


def _read(workbook, archive, round: Round, catalogue: Catalogue) -> Imported:
    hidden = [ws.title for ws in workbook.worksheets if ws.sheet_state != "visible"]
    if hidden:
        _refuse(_("The workbook has hidden sheets (%(names)s). Show or delete them, so that "
                  "everything sent can be seen.") % {"names": "、".join(hidden)})
    about = _about(workbook)
    if about.get("template") != TEMPLATE_KIND or ROWS_SHEET not in workbook.sheetnames:
        _refuse(_("This workbook is not the renkei risk assessment template. Download the "
                  "template of this round and fill it in."))
    if (str(about.get("format")) != str(TEMPLATE_FORMAT)
            or str(about.get("round")) != str(round.number)
            or str(about.get("catalogue")) != str(round.catalogue.number)):
        _refuse(_("This template was made for another round or catalogue version (round "
                  "%(their_round)s, catalogue v%(their_cat)s); this round is %(round)d with "
                  "catalogue v%(cat)d. Download the template again and copy your rows into "
                  "it.") % {"their_round": about.get("round"),
                            "their_cat": about.get("catalogue"), "round": round.number,
                            "cat": round.catalogue.number})
    merged = [ws.title for ws in workbook.worksheets
              if _has_merged_cells(archive, ws._worksheet_path)]
    if merged:
        _refuse(_("The sheet “%(names)s” has merged cells. Unmerge them and give every row "
                  "its own values.") % {"names": "、".join(merged)})

    errors = _Errors()
    result = Imported()
    sheet = workbook[ROWS_SHEET]
    # The sheet's own <dimension> may claim fewer rows than it holds; read every row there is.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(min_row=1)
    heads = [_norm(c.value) for c in next(rows, ())]
    while heads and not heads[-1]:
        heads.pop()
    wanted = [header(f) for f in FIELDS]
    accepted = {_norm(h): i for i, column in enumerate(COLUMNS)
                for h in (header(column[0]), column[1], column[2])}
    found = [accepted.get(h) for h in heads]
    missing = [wanted[i] for i in range(len(FIELDS)) if i not in found]
    extra = [h or get_column_letter(i + 1) for i, h in enumerate(heads) if accepted.get(h) is None]
    if missing or extra or found != list(range(len(FIELDS))):
        problems = []
        if missing:
            problems.append(_("missing columns: %(names)s") % {"names": "、".join(missing)})
        if extra:
            problems.append(_("columns not in the template: %(names)s")
                            % {"names": "、".join(extra)})
        if not problems:
            problems.append(_("the columns are not in the template's order"))
        _refuse(_("Sheet “%(sheet)s”, row 1: %(problems)s. Use the template's columns as they "
                  "are.") % {"sheet": ROWS_SHEET, "problems": "; ".join(problems)})

    width = len(FIELDS)
    filled = 0
    for number, cells in enumerate(rows, start=2):
        values = [c.value for c in cells]
        if not any(v not in (None, "") for v in values):
            continue
        filled += 1
        if filled > MAX_ROWS:
            _refuse(_("Sheet “%(sheet)s” has more than %(n)d rows; an assessment may have at "
                      "most %(n)d. Split the assessment or summarise similar rows.")
                    % {"sheet": ROWS_SHEET, "n": MAX_ROWS})
        bad = False
        for column, cell in enumerate(cells, start=1):
            if cell.value in (None, ""):
                continue
            if column > width:
                errors.at(ROWS_SHEET, number, column, _("a value outside the template's "
                                                        "columns."))
                bad = True
            elif cell.data_type == "f":
                errors.at(ROWS_SHEET, number, column, _("a formula; enter the value itself."))
                bad = True
        if bad:
            continue
        raw = dict(zip(FIELDS, values + [None] * (width - len(values)), strict=False))
        cleaned, problems = clean_row(catalogue, round.approach, raw)
        for name, message in problems.items():
            errors.at(ROWS_SHEET, number, FIELDS.index(name) + 1, message)
        if not problems:
            result.rows.append(cleaned)

    if PDCA_SHEET in workbook.sheetnames:
        for number, cells in enumerate(workbook[PDCA_SHEET].iter_rows(min_row=2, max_row=11,
                                                                      max_col=3), start=2):
            key, level = (cells[0].value, cells[2].value) if len(cells) >= 3 else (None, None)
            if level in (None, ""):
                continue
            if cells[2].data_type == "f":
                errors.at(PDCA_SHEET, number, None, _("a formula; enter the value itself."))
                continue
            if isinstance(key, int | float) and not isinstance(key, bool):
                key = int(key)
            cleaned, wrong = pdca.clean({str(key).strip() if key is not None else "": level})
            if wrong or not cleaned:
                errors.at(PDCA_SHEET, number, None, _("the level must be a whole number from "
                                                      "0 to 4."))
            result.pdca.update(cleaned)
    if not result.rows and not errors.count:
        errors.add(_("The sheet “%(sheet)s” has no rows.") % {"sheet": ROWS_SHEET})
    errors.raise_if_any()
    return result
