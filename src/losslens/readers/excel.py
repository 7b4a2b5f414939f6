"""Excel workbooks (``.xlsx``, ``.xlsm``): each sheet read as the same table saved as CSV.

A sheet's cells are written out as the CSV an export of it holds, every number at full precision (a percent cell
is its value, 0.935, not the 93.50% it shows; a date its ISO text), and that text goes through
:func:`losslens.readers.table.csv_runs` as a CSV file does (one function for both): the same
column names, axis, gaps, error values (``#N/A`` a gap; ``#DIV/0!`` ... gaps said in one warning) and refusals.
What a sheet adds to a CSV file:

* title rows above the header (one text cell in the table's first column, merged across it or not) are passed
  over, and so are blank rows and columns around the table (a table pasted at ``B3``);
* a header of two rows (pandas' ``to_excel`` of a frame with two column levels: ``train`` merged over ``loss``
  and ``acc``) is read as one, ``train_loss``, ``train_acc``;
* a cell's line breaks (Alt+Enter in a header) are spaces;
* several sheets: each holding a loss (or accuracy, or the ``metric`` asked for) is a run named by its sheet (its
  source ``book.xlsx#SHEET``), ``--run SHEET`` reads one; sheets without one are passed over, said only where no
  sheet has one; the one sheet of a run beside notes is named as the file.

Formulas are read as the values the spreadsheet last computed (``data_only``). A workbook written by openpyxl or
pandas with formulas has none stored (XlsxWriter stores 0, for Excel to compute on opening): a column holding such
cells (a ``gap`` column of ``=D3-B3`` added to a log) is left out, said in one warning, not read as blank cells or
zeros; where that column is one the diagnosis needs (a loss, an accuracy, the ``metric`` asked for, the epoch) or no
column is left, the workbook is refused (open and save it in a spreadsheet). openpyxl (the ``excel`` extra) is
imported only here, when a workbook is read; the file is opened read-only.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import warnings
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import ParseError

from ..exceptions import LosslensError, MissingExtraError, NoLossError, ReadError, UnknownFormatError, raised_in
from ..run import Run
from . import _source, delimited, table

#: How far down a sheet the header is looked for (title rows, blank rows, a second header row).
_HEADER_ROWS = 20


def _openpyxl(source: str):
    try:
        import openpyxl
    except ModuleNotFoundError as exc:
        if exc.name != "openpyxl":
            raise
        raise MissingExtraError("an Excel workbook: reading it needs the package 'openpyxl' (or save the sheet as "
                                "CSV: Excel: File > Save As > CSV UTF-8): pip install 'losslens[excel]'",
                                source) from None
    return openpyxl


def read_workbook(path: Path, source: str, *, name: str, columns=None, run_column=None, run_id=None,
                  metric=None) -> list[Run]:
    """The runs of the workbook at ``path``: one sheet's as its CSV twin's (named ``name``, the file's); several
    sheets' named by the sheet each (``source#SHEET`` their source), ``run_id`` naming a sheet reads that one."""
    # (Sheets without a cell filled in, the empty Sheet2 and Sheet3 Excel once added to every workbook, a cell
    # holding a space, are not counted.)
    sheets = [(title, rows, lost) for title, rows, lost in _sheets(path, source)
              if any(_cell(v).strip() for r in rows for v in r)]
    if not sheets:
        raise ReadError("an Excel workbook with no cell filled in", source)
    several = len(sheets) > 1
    wanted = None if run_id is None else str(run_id)
    picked = [s for s in sheets if s[0] == wanted]
    if picked:  # --run SHEET: that sheet alone, whatever the others hold
        sheets, wanted = picked, None
    options = dict(columns=columns, run_column=run_column, metric=metric, run_id=None if several else wanted)
    runs: list[Run] = []
    passed: list[tuple[str, str]] = []
    held: list[str] = []  # the sheets read as runs
    for title, rows, lost in sheets:
        where = f"{source}#{title}" if several else source
        try:
            if several and not picked and not _has_number(rows):
                passed.append((title, "no numbers in the sheet"))
                continue
            with _source.dropped_on_error():
                rows, lost = _left_out(rows, lost, where, metric)
                found = _read_sheet(rows, where, name=title if several else name, lost=lost, **options)
        except (NoLossError, UnknownFormatError) as exc:
            if not several or picked:
                raise
            passed.append((title, exc.problem))
            continue
        if several:
            for run in found:
                if run.name != title:  # a long-format sheet's runs, by their ids
                    run.name = f"{title}/{run.name}"
        runs.extend(found)
        held.append(title)
    if not runs:
        listed = "; ".join(f"{title!r}: {problem}" for title, problem in passed)
        raise NoLossError(f"no sheet holds a loss or accuracy column ({len(passed)} sheets: {listed})", source)
    if several and not picked and len(runs) == 1 and runs[0].name == held[0]:
        runs[0].name = name  # (the one sheet of several that holds a run, beside notes or a chart: named as the file)
    if several and wanted is not None:
        from . import select_run
        runs = select_run(runs, wanted, source)
    return runs


def _has_number(rows: list[tuple]) -> bool:
    """Whether a sheet holds a number, or text that reads as one ("0.5", "93.5%" typed into a cell formatted as
    text): a sheet of notes, or a header alone, holds no run."""
    for row in rows:
        for v in row:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return True
            if isinstance(v, str) and any(ch.isdigit() for ch in v) and delimited.is_number(
                    v.strip().rstrip("%").replace(",", ".")):
                return True
    return False


def _read_sheet(rows: list[tuple], source: str, *, name: str, lost: dict[str, int] | None = None,
                **options) -> list[Run]:
    text = sheet_csv(rows)
    if text is None and lost:  # (a sheet of formulas only, none computed)
        raise NoLossError(_uncomputed_problem(lost), source)
    try:
        return table.csv_runs(text, source, "xlsx", name=name, **options)
    except NoLossError:
        if not lost:
            raise
        # (what is left without the uncomputed columns holds nothing to diagnose: they are why)
        raise NoLossError(_uncomputed_problem(lost), source) from None


def _sheets(path: Path, source: str) -> list[tuple[str, list[tuple], dict[int, list[int]]]]:
    """``[(sheet title, its rows of cell values, its formula cells never computed)]`` of every worksheet (chart
    sheets hold none), values as the spreadsheet last computed them; the third as :func:`_uncomputed` gives
    them, ``{column index: [row numbers]}``."""
    openpyxl = _openpyxl(source)
    try:
        with open(path, "rb") as fh, warnings.catch_warnings():
            # ("Data Validation extension is not supported and will be removed": about writing, which is never done)
            warnings.simplefilter("ignore")
            # (A file object, not the path: openpyxl refuses a name not ending .xlsx, and a workbook saved as
            # run.csv is read by its content.)
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
            try:
                sheets = [(ws.title, _rows(ws), getattr(ws, "_worksheet_path", None)) for ws in book.worksheets]
            finally:
                book.close()
            lost = _uncomputed(fh, source)
            if lost and any(part not in {p for _, _, p in sheets} for part in lost):
                raise ReadError(_uncomputed_problem({}), source)  # (a sheet not found by its part: all refused)
            return [(title, rows, dict(lost.get(part, {}))) for title, rows, part in sheets]
    except LosslensError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises anything on a damaged file
        if not isinstance(exc, (OSError, EOFError, zipfile.BadZipFile, zlib.error, ParseError)) \
                and not raised_in(exc, "openpyxl"):
            raise  # (raised in losslens's own code: a bug, not the user's file)
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise ReadError(f"truncated or corrupt Excel workbook ({type(exc).__name__}: {first}); open and save it "
                        "again in Excel or LibreOffice, or save the sheet as CSV", source) from None


def _rows(sheet) -> list[tuple]:
    """A read-only sheet's rows of values, however its writer sized it: read-only openpyxl reads as far as the
    sheet's stated dimension, which some writers leave at A1:A1 (every row but the first cut off)."""
    sheet.reset_dimensions()
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


#: A cell holding a formula (``<c r="E3"><f>D3-B3</f>``, a shared formula's ``<f t="shared" si="0"/>``): its
#: attributes, and the value cached after the formula where one was written (``<v>3</v>``; openpyxl writes ``<v/>``
#: or ``<v></v>``).
_FORMULA = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)"
                      rb"(?:\s*<(?:\w+:)?v>([^<]+)<)?")
_REF = re.compile(rb"\br=\"\$?([A-Za-z]{1,3})\$?(\d+)\"")
#: The workbook asks to be computed when opened: a program wrote it (openpyxl, XlsxWriter), not a spreadsheet.
_RECALC = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad=\"(?:1|true)\"")


def _uncomputed(fh, source: str) -> dict[str, dict[int, list[int]]]:
    """``{worksheet part: {column index (0 = A): [row numbers, 1-based]}}`` of the formula cells of the workbook
    (``fh``, its open file) that hold no computed value: written by a program and never opened in a spreadsheet,
    they read blank (openpyxl writes no value) or 0 (XlsxWriter, pandas' other engine, writes 0 for Excel to
    compute on opening).

    Counted where the workbook asks to be computed on opening, or where no formula of it holds a value (a
    spreadsheet's own save computes them all; an empty one there is a formula giving ``""``). A formula cell
    without its reference (``r``), which no writer leaves out, makes the whole workbook refused."""
    from openpyxl.utils import column_index_from_string  # (loaded by _openpyxl before a workbook is opened)

    fh.seek(0)
    with zipfile.ZipFile(fh) as z:
        names = z.namelist()
        # (A 0 is a value computed only where the workbook does not ask to be computed on opening.)
        recalc = "xl/workbook.xml" in names and _RECALC.search(z.read("xl/workbook.xml")) is not None
        found: dict[str, dict[int, list[int]]] = {}
        cached = 0
        for part in names:
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                for hit in _FORMULA.finditer(z.read(part)):
                    value = hit.group(2)
                    if value is not None and not (recalc and value.strip() == b"0"):
                        cached += 1
                        continue
                    ref = _REF.search(hit.group(1))
                    if ref is None:
                        raise ReadError(_uncomputed_problem({}), source)
                    j = column_index_from_string(ref.group(1).decode()) - 1
                    found.setdefault(part, {}).setdefault(j, []).append(int(ref.group(2)))
    return found if found and (recalc or not cached) else {}


def _uncomputed_problem(lost: dict[str, int]) -> str:
    """The refusal of a workbook whose formulas were never computed, naming the columns (``lost``: ``{column
    name: cells}``) where known."""
    what = f"{sum(lost.values())} formula cells" if lost else "formula cells"
    where = f"{_named(lost)}; " if lost else ""
    return (f"{what} hold no computed value ({where}a workbook written by a program, openpyxl, pandas or XlsxWriter, "
            "is saved without them, or with 0 in their place): open and save it in Excel or LibreOffice, or write "
            "the values rather than formulas")


def _named(lost: dict[str, int]) -> str:
    return ("column " if len(lost) == 1 else "columns ") + ", ".join(lost)


def _left_out(rows: list[tuple], lost: dict[int, list[int]], source: str, metric) -> tuple[list[tuple], dict]:
    """``(rows, {column name: cells})``: ``rows`` without the columns holding formula cells never computed
    (``lost``, from :func:`_uncomputed`), said in one warning. Raise where one of them is a column the diagnosis
    needs: a loss, an accuracy, the ``metric`` asked for, the epoch or step (read without it, the run would be
    another one)."""
    if not lost:
        return rows, {}
    from openpyxl.utils import get_column_letter

    named: dict[str, int] = {}
    for j, at in sorted(lost.items()):
        # The column's name: the text nearest above its first uncomputed cell (its header; rows count from 1).
        above = [r[j] for r in rows[:min(at) - 1] if j < len(r) and isinstance(r[j], str) and r[j].strip()]
        name = _cell(above[-1]).strip() if above else get_column_letter(j + 1)
        named[name] = named.get(name, 0) + len(at)
    needed = {n: k for n, k in named.items() if _needed(n, metric)}
    if needed:
        raise ReadError(_uncomputed_problem(needed), source)
    _source.warn(source, "%s: %d formula cells hold no computed value (a workbook written by a program, openpyxl, "
                 "pandas or XlsxWriter, is saved without them, or with 0 in their place; open and save it in Excel "
                 "or LibreOffice to read them): left out", _named(named), sum(named.values()))
    return [tuple(v for j, v in enumerate(r) if j not in lost) for r in rows], named



def _needed(name: str, metric) -> bool:
    """Whether the column ``name`` is one a diagnosis reads (left out, the run read would be another)."""
    from ..columns import ACCURACY_FALLBACK, LOSS_SERIES, axis_kind, canonical, normalise

    canon = canonical(name)
    return (canon in LOSS_SERIES or canon in ACCURACY_FALLBACK or (canon or normalise(name)).endswith("loss")
            or axis_kind(name) is not None
            or (metric is not None and normalise(metric) in (normalise(name), canon)))


# -- a sheet as CSV ------------------------------------------------------------------------------------------


def _cell(value) -> str:
    """One cell as an export writes it, numbers at full precision."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    text = str(value)
    # (A line break in a cell, Alt+Enter in a header "val\nloss", would end a CSV line: delimited splits at them.)
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ") if "\n" in text or "\r" in text else text


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def _shows_number(row: list[str]) -> bool:
    return any(delimited.is_number(c) for c in row if c.strip())


def sheet_csv(rows: list[tuple]) -> str | None:
    """The CSV text of a sheet's rows (tuples of cell values, ``None`` blank), from its header on; None where the
    sheet holds no cell."""
    cells = [[_cell(v) for v in row] for row in rows]
    cells = [row for row in cells if _filled(row)]
    if not cells:
        return None
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    used = [j for j in range(width) if any(row[j].strip() for row in cells)]
    cells = [row[used[0]:used[-1] + 1] for row in cells]  # (a table pasted at B3, cells formatted far right)
    start = _header_at(cells)
    header, cells = cells[start], cells[start + 1:]
    if cells and _second_header(header, cells):
        header, cells = _joined_header(header, cells[0]), cells[1:]
        if cells and _filled(cells[0]) == 1 and cells[0][0].strip() and not _shows_number(cells[0]):
            # (pandas' to_excel writes the index's name on a row of its own under two header rows)
            header[0] = header[0] or cells[0][0]
            cells = cells[1:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(cells)
    return out.getvalue()


def _header_at(cells: list[list[str]]) -> int:
    """The header's row: the first one but title rows, a lone text cell in the table's first column above a
    row of two cells or more (a title merged across the table, a note under it)."""
    head = cells[:_HEADER_ROWS]
    wide = [i for i, row in enumerate(head) if _filled(row) >= 2]
    if not wide:
        return 0
    for i, row in enumerate(head[:wide[0]]):
        if not (row[0].strip() and _filled(row) == 1 and not _shows_number(row)):
            return i
    return wide[0]


def _second_header(header: list[str], cells: list[list[str]]) -> bool:
    """Whether the row under the header is a second header row: words in two cells or more under a header of
    words, above the rows of numbers (pandas' ``to_excel`` of two column levels, a name merged over the columns it
    groups)."""
    below = cells[0]
    if _shows_number(below) or _filled(below) < 2 or _shows_number(header):
        return False
    return any(_shows_number(row) for row in cells[1:])


def _joined_header(top: list[str], below: list[str]) -> list[str]:
    """Two header rows as one: each name of the first carried over the blank cells right of it (its merged span),
    joined to the name under it (``train`` over ``loss``: ``train_loss``)."""
    names, group = [], ""
    for t, b in zip(top, below):
        t, b = t.strip(), b.strip()
        group = t or group
        names.append("_".join(p for p in (group if b else t, b) if p))
    return names
