"""Delimited text tables: CSV (Keras CSVLogger, Lightning ``metrics.csv``, Ultralytics
``results.csv``, long-format files), TSV, ``;``/``|``-separated and whitespace-aligned logs.

Parsing only: the text becomes named columns (float arrays, or object arrays of strings for
text columns such as a run id). :mod:`losslens.readers.table` turns columns into Runs.

Speed: numeric cells go through :func:`numpy.loadtxt`'s C tokenizer (a million rows in about
a second); ragged or oddly quoted files fall back to the :mod:`csv` module. pandas is not
imported, so reading a CSV starts fast.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping

import numpy as np

from ..exceptions import ReadError, UnknownFormatError
from ._source import progress, warn

NAN = math.nan
# Cells that mean "no value" (Keras CSVLogger writes NA; other loggers write the rest).
MISSING = frozenset({"", "na", "n/a", "nan", "none", "null", "-", "--", "?", "nil", "undefined"})
_DELIMITERS = (",", "\t", ";", "|")
# A value spelled nan / inf (any case) between delimiters: what a log writes for a blown-up loss.
NONFINITE = re.compile(r"(?i)(?<![\w.])[-+]?(?:nan|inf|infinity)(?![\w.])")
# The same words in lowered ASCII text, each found from its literal start: NONFINITE tries its lookbehind at every
# character, 8 s over a 30 MB CSV; these skip to the next 'nan' / 'inf' (0.1 s). A sign changes no count.
_LOWER_NAN = re.compile(r"nan(?<![\w.]nan)(?![\w.])")
_LOWER_INF = re.compile(r"inf(?<![\w.]inf)(?:inity)?(?![\w.])")
_SAMPLE_ROWS = 200
#: The widest table read: a per-step log of every layer's norms has hundreds of columns.
MAX_COLUMNS = 10_000


def cell(text: str) -> float:
    """One cell as a float; anything that is not a number is NaN (``NA``, empty, text)."""
    try:
        return float(text)
    except (ValueError, TypeError):
        return NAN


def count_nonfinite(text: str) -> int:
    """How many values ``text`` spells nan / inf / infinity (any case, signed or not): :data:`NONFINITE`'s matches."""
    if not text.isascii():  # (IGNORECASE also matches a dotless i, which lower() keeps)
        return len(NONFINITE.findall(text))
    low = text.lower()
    return len(_LOWER_NAN.findall(low)) + len(_LOWER_INF.findall(low))


def is_number(text: str) -> bool:
    try:
        float(text)
    except (ValueError, TypeError):
        return False
    return True


#: A terminal colour or cursor code (also stripped from printed logs, console.py).
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_RULE = re.compile(r"[ \t|:+]*[-=]{3,}[-= \t|:+]*(?:\n|$)")


def require_width(n_columns: int, source: str) -> None:
    """Refuse a table of more than :data:`MAX_COLUMNS` columns, before the work each column costs (a
    millisecond or two to type and name it): a damaged file whose one line held 500,000 cells ran for hours."""
    if n_columns > MAX_COLUMNS:
        raise UnknownFormatError(f"{n_columns:,} columns: not a training log (losslens reads tables of up to "
                                 f"{MAX_COLUMNS:,} columns)", source)


def sniff_delimiter(header: str) -> str | None:
    """The delimiter of a header line: the most frequent of ``, \\t ; |``; None = whitespace."""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else None


def parse(text: str, source: str) -> dict[str, np.ndarray]:
    """Parse delimited text with a header row into ``{column name: array}``.

    Returns float arrays (NaN where a cell is missing or not a number) and, for columns whose
    cells are text (run ids, dates), object arrays of ``str``. Column order is the file's.

    Raises
    ------
    UnknownFormatError
        No header row (the first line is all numbers) or no usable rows.
    ReadError
        A header but no data rows.
    """
    text = _scalar_reprs(text, source)
    names, delimiter, body, twins, blank, repeats = _layout(text, source)
    sample = _data_rows(body, delimiter, names, source, limit=_SAMPLE_ROWS)
    if delimiter is not None and _sheet_cells(sample):
        body = _plain_numbers(body, delimiter, names, source)
        sample = _rows(body, delimiter, source, limit=_SAMPLE_ROWS)
    text_cols = [j for j in range(len(names)) if _is_text_column(sample, j)]
    columns = _fast(body, delimiter, names, text_cols, source)
    if columns is None:
        columns = _slow(body, delimiter, names, text_cols, source)
    for j in text_cols:  # a loss column of numbers but for one word: a damaged cell, not a text column
        refuse_stray_text(names[j], columns[names[j]], source)
        if delimiter is not None:  # (words between blanks: prose read as a table, "val_loss end 2.3075", its own)
            _refuse_wordy_curve(names[j], columns[names[j]], source)
    _refuse_twins(names, twins, columns, source, delimiter)
    for j in blank:
        # A row ended by its delimiter (a spreadsheet's trailing empty column, "epoch,loss,"): an unnamed column
        # of nothing, which listed "column_5" among the run's series. Known by its blank header cell, not by the
        # name made up for it: an empty column a user named "column_2" is theirs, kept.
        if names[j] in columns and not _has_cells(columns[names[j]]):
            del columns[names[j]]
    out = Columns(columns)
    # Where the header was written again (pandas' to_csv(mode="a") of a second fit): kept only where every data
    # line is a row, so that the count of lines before a repeat is that of rows before it.
    if repeats:
        lines = sum(1 for line in body.splitlines() if line.strip())
        if all(v.shape[0] == lines for v in columns.values()):
            out.header_rows = sorted({r for r in repeats if 0 < r < lines})
    return out


class Columns(dict):
    """:func:`parse`'s ``{column name: array}``; ``header_rows``: the rows (0-based, of the data rows) before which
    the header line was written again mid-file, each where a log appended to began (none: ``[]``)."""

    header_rows: list[int] = []


def _has_cells(values: np.ndarray) -> bool:
    if values.dtype.kind == "f":
        return bool((~np.isnan(values)).any())
    return any(str(v).strip().lower() not in MISSING for v in values)


def _refuse_twins(names: list[str], twins: list[tuple[str, str]], columns: dict[str, np.ndarray],
                  source: str, delimiter: str | None) -> None:
    """A name written twice in the header (``epoch,loss,loss,val_loss``, ``epoch,lr,lr,loss``) over different
    values raises, naming it: kept as ``loss`` and ``loss_2``, the first was read as the loss though it held
    another metric (a damaged CSVLogger header whose ``accuracy`` became ``loss``); a doubled ``lr``, ``step``,
    ``train_size`` or run id steers the reading as surely. Twins over the same values are one column written
    twice: read once (the twin is dropped, no ``loss_2`` beside it)."""
    for name, twin in twins:
        a, b = columns[name], columns[twin]
        numbers = a.dtype.kind == "f" == b.dtype.kind
        if numbers and not (np.isfinite(a).any() or np.isfinite(b).any()):
            continue  # (two empty columns: nothing to read either way)
        if not numbers and delimiter is None:
            continue  # (words split at spaces, prose: left to the errors about what the text is)
        if numbers and np.array_equal(a, b, equal_nan=True) or \
                a.dtype.kind == "O" == b.dtype.kind and list(a) == list(b):
            del columns[twin]
            continue
        raise ReadError(f"column name {name!r} is in the header twice, over different values (columns "
                        f"{names.index(name) + 1} and {names.index(twin) + 1}): a mistyped or damaged header? "
                        "Name each column once", source)


def _layout(text: str, source: str
            ) -> tuple[list[str], str | None, str, list[tuple[str, str]], list[int], list[int]]:
    """The column names, the delimiter (None: whitespace), the body (the rows' text) of delimited text, the
    names written twice in its header, the indices of its blank header cells (:func:`_split_header`) and the data
    rows (0-based, blank lines not counted) before which the header line was written again."""
    if "\r" in text:  # Windows and old-Mac line ends; csv and loadtxt then see one kind
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2212" in text:
        text = _unicode_minus(text)
    if "\x1b[" in text:  # a table printed in colour (skorch marks each best value so, even in a file)
        text = ANSI.sub("", text)
    start = 0
    length = len(text)
    # The header is the first non-blank line that is not a '#' comment -- unless the data
    # starts right after the comments, then the last comment is the header (gnuplot style:
    # "# epoch loss val_loss").
    comment = None
    while True:
        end = text.find("\n", start)
        end = length if end < 0 else end
        header_line = text[start:end]
        if header_line.lstrip().startswith("#") and end < length:
            comment = header_line.lstrip()[1:]
        elif header_line.strip() or end >= length:
            break
        start = end + 1
    body = text[end + 1:] if end < length else ""
    rule = _RULE.match(body)
    if rule:  # "-------  ----------" under a printed table's header (tabulate, skorch; markdown's |---|)
        body = body[rule.end():]
    if comment is not None and _all_numbers(header_line):
        body, header_line = text[start:], comment
    delimiter = sniff_delimiter(header_line)
    names, twins, blank = _split_header(header_line, delimiter)
    if not names:
        raise UnknownFormatError("no header row", source)
    require_width(len(names), source)
    if all(is_number(n) or n.lower() in MISSING for n in names):
        raise UnknownFormatError("a table of numbers without a header row; name the columns "
                                 "(epoch, loss, val_loss ...)", source)
    head = header_line.strip()
    repeats: list[int] = []  # (the data rows each repeated header line came before)
    if head and f"\n{head}" in f"\n{body}":
        # A log appended to with its header written again each time (pandas' to_csv(mode="a"),
        # a csv writer reopened): those lines are headers, not rows of text.
        kept, rows = [], 0
        for line in body.splitlines():
            stripped = line.strip()
            if stripped == head:
                repeats.append(rows)
                continue
            kept.append(line)
            rows += bool(stripped)
        body = "\n".join(kept)
    return names, delimiter, body, twins, blank, repeats


#: U+2212, the minus sign, where it signs a number: at a cell's start (after a delimiter, a blank, a quote) or in an
#: exponent, before a digit, a point or inf/nan. Spreadsheets in some locales write it ("−0,5"), and numbers
#: copied from web pages hold it; Python's float() does not read it, and a column of log-likelihoods, rewards or
#: log-lrs so written was a text column, left out with no word. Inside a word ("model−1") it is text.
_UNICODE_MINUS = re.compile(r"(?:(?<![^\s,;|\"'(])|(?<=\d[eE]))\u2212(?=\.?\d|(?i:inf|nan))")


def _unicode_minus(text: str) -> str:
    """``text`` with each U+2212 that signs a number (:data:`_UNICODE_MINUS`) written as ``-``."""
    return _UNICODE_MINUS.sub("-", text)


#: A number as Python prints a torch tensor, a NumPy array or scalar, or a list holding it: ``tensor(1.9576)``,
#: ``tensor(1.9576, device='cuda:0')``, ``tensor(1.9576, grad_fn=<AddBackward0>)``, ``np.float32(1.9576)`` (NumPy
#: 2's repr), and the one-element forms a loop that forgot ``.item()`` / ``[0]`` writes: ``tensor([1.9576])``,
#: ``array([1.9576], dtype=float32)``, ``[1.9576]`` (a list's or an array's str). ``f.write(f"{loss},{val_loss}")``
#: with tensors writes these; each holds one number and nothing else, so it is read as that number. A tensor's
#: keywords hold no parentheses, and its comma is inside the match, so a cell cut at that comma by a CSV's
#: delimiter is read whole. A bare list is one only as a whole cell (a name such as ``loss[0]`` is no list); one of
#: several numbers (``tensor([0.5, 0.4])``, ``[64, 128]``) is not a number and stays as it is: a loss column of
#: them is refused (:func:`_refuse_wordy_curve`), a settings column of them is text.
_NUMBER = r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"
_SCALAR_REPR = re.compile(rf"(?<![\w.])(?:torch\.|np\.|numpy\.)?(?:tensor|array)\("
                          rf"\s*(?:({_NUMBER})|\[+\s*({_NUMBER})\s*\]+)\s*(?:,[^()\n]*)?\)"
                          rf"|(?<![\w.])(?:np|numpy)\.(?:float|int|uint)\d*\(\s*({_NUMBER})\s*\)"
                          rf"|(?<![^\s,;|\"'])\[+\s*({_NUMBER})\s*\]+(?=[ \t\r]*(?:$|[,;|\t\"']))", re.M)


def _scalar_reprs(text: str, source: str | None) -> str:
    """``text`` with each :data:`_SCALAR_REPR` written as its number, said in one warning about ``source`` (None:
    not said, a second pass over the same text)."""
    if not any(k in text for k in ("tensor(", "array(", "[", "np.float", "numpy.", "np.int")):
        return text
    found: list[str] = []

    def number(m: re.Match) -> str:
        found.append(m.group(0))
        return next(g for g in m.groups() if g is not None)

    text = _SCALAR_REPR.sub(number, text)
    if found and source is not None:
        warn(source, "%d cells hold a tensor's, array's, list's or NumPy scalar's printed form (%r): read as the "
                     "number it holds (log float(x) or x.item() to write plain numbers)", len(found), found[0][:60])
    return text


def _refuse_wordy_curve(name: str, cells, source: str) -> None:
    """A loss or accuracy column, by its name (:func:`~losslens.columns.canonical`), with cells but no number
    in any raises, naming it and its first cell: left out as a text column, another curve was diagnosed in its
    place, or "no loss column" said of a header that has one. A name that only holds "loss" (``loss_fn``,
    ``loss_type``) may be text and is passed over, as is ``lr`` (a schedule's name). Only a delimited table's
    (comma, tab, ``;``, ``|``): lines of prose split at blanks ("relu val_loss best 0.0891") make a "header" of
    their first line and a ``val_loss`` column of the word repeated, which is no table, and are said so."""
    from ..columns import canonical, rescaled_loss

    if canonical(name) in (None, "lr") and not rescaled_loss(name):
        return
    present = [(i, str(v).strip()) for i, v in enumerate(cells) if str(v).strip().lower() not in MISSING]
    if present and not any(is_number(v) for _, v in present):
        i, v = present[0]
        raise ReadError(f"column {name!r} holds no number ({v[:40]!r} in data row {i + 1}, and so each of its "
                        f"{len(present)} cells): write each value as a plain number", source)


def nonfinite_columns(text: str, source: str) -> set[str]:
    """The columns of :func:`parse` with a cell spelled ``nan`` / ``inf`` (any case): :func:`stated_nonfinite`."""
    names, delimiter, body, _, _, _ = _layout(_scalar_reprs(text, None), source)
    rows = _rows("\n".join(line for line in body.splitlines() if NONFINITE.search(line)), delimiter, source)
    return stated_nonfinite({name: [row[j] for row in rows if j < len(row)] for j, name in enumerate(names)})


def stated_nonfinite(columns: Mapping[str, Iterable]) -> set[str]:
    """The columns ``{name: the values the log holds}`` that state a non-finite value: a cell spelled ``nan`` /
    ``inf`` (any case), or a NaN/inf that was written as one (JSON's ``NaN``, Keras' printed ``val_loss: nan``).

    Every reader decides so, per column: only these can say where a value turned non-finite (to_runs'
    ``nan_columns``); in the others a gap (a blank cell, csv.DictWriter's restval, pandas' ``to_csv`` NaN; a key
    a printed line or record lacks; a History list shorter than the rest) is a value not logged, read as one
    from the columns beside it. Per file, a loop's ``best - val_loss``, inf at epoch 0, read its val_loss
    diverged where its evaluation stopped."""
    return {name for name, values in columns.items() if any(_nonfinite(v) for v in values)}


def _nonfinite(value) -> bool:
    if isinstance(value, str):
        return NONFINITE.fullmatch(value.strip()) is not None
    try:
        return not math.isfinite(value)
    except TypeError:  # JSON's null, a word: no value stated
        return False


def is_curve_name(name: str) -> bool:
    """Whether a column named ``name`` holds a curve (a loss, an accuracy, a score, an axis), so that a damaged
    cell in it is a damaged number, not a sign that it is a text column."""
    from ..columns import axis_kind, canonical, normalise, rescaled_loss, rl_reward
    from ..facts import metric_direction

    n = normalise(name)
    # (A name that says which way is better -- mAP50-95, F1, BLEU -- is a curve too: a score-only table is read
    # on one, and a damaged cell must not turn it into a text column and move the diagnosis to another.)
    return bool(canonical(name) or axis_kind(name) or rescaled_loss(name) or rl_reward([name])
                or any(w in n for w in ("loss", "acc", "score", "error")) or metric_direction(name) is not None)


def refuse_stray_text(name: str, cells, source: str, *, strict: bool = False) -> None:
    """A curve's column (loss, accuracy, epoch ...) of numbers holding a cell of other text ('abc',
    '0.5.1') raises, naming it: read as a text column (or that cell as a gap) the curve silently went
    missing. Missing-value spellings (NA, empty, nan ...) are gaps, not text. ``strict``: any column whose
    cells must all be numbers (a tidy table's value column), whatever its name and however few its numbers."""
    if not strict and not is_curve_name(name):
        return
    bad, numbers, present = None, 0, 0
    for i, v in enumerate(cells):
        v = "" if v is None else str(v).strip()
        if v.lower() in MISSING:
            continue
        present += 1
        if is_number(v):
            numbers += 1
        elif bad is None:
            bad = (i, v)
    if bad is not None and strict:
        raise ReadError(f"column {name!r} holds text ({bad[1][:40]!r} in data row {bad[0] + 1}): a tidy table's values "
                        "must be numbers (a damaged or mistyped cell? write NA for a missing value)", source)
    if bad is not None and numbers >= 2 and 2 * numbers >= present:
        raise ReadError(f"column {name!r} holds {bad[1][:40]!r} in data row {bad[0] + 1} among numbers "
                        "(a damaged or mistyped cell; write NA for a missing value)", source)


# -- a spreadsheet's cells ----------------------------------------------------------------------------------
# Excel, LibreOffice and Google Sheets write a cell to CSV as it is shown: 93.5% for 0.935, 1,024 (or 1.024, 1 024)
# for 1024, "0,512" for 0.512 in a locale whose decimal mark is a comma, #DIV/0! for a formula that failed. Read
# as they are, these cells made text columns, left out with no word (a percent accuracy, a step axis) or, for the
# losses, "no loss column".

#: Excel's and Google Sheets' error values. #N/A is what NA() writes for "no value": a gap, as NA is; the others
#: are a formula that failed, gaps too, but said.
_SHEET_ERROR = re.compile(r"(?i)#(?:N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|ERROR!|SPILL!|CALC!|FIELD!|BLOCKED!"
                          r"|CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA)")
#: A number as a spreadsheet shows it, by its decimal mark: digits grouped by thousands (by the other of ``,`` and
#: ``.``, a space, a no-break space, ``'``), the decimal mark, an exponent, a percent sign.
_SHEET_NUMBER = {mark: re.compile(
    rf"(?P<sign>[-+]?)(?P<int>\d+|[1-9]\d{{0,2}}(?P<group>[{other} \u00a0\u202f'\u2019])\d{{3}}(?:(?P=group)\d{{3}})*)"
    rf"(?:{re.escape(mark)}(?P<frac>\d+))?(?P<exp>[eE][-+]?\d+)?(?P<pct>[ \u00a0\u202f]?%)?")
    for mark, other in ((".", ","), (",", r"\."))}


def _sheet_value(cell: str, mark: str) -> str | None:
    """``cell`` as a plain number (``'0.935'``) where the decimal mark is ``mark``; None where it is no number so
    written (``'0.5'`` with a decimal comma: a point can only group thousands there, and groups have 3 digits)."""
    found = _SHEET_NUMBER[mark].fullmatch(cell)
    if found is None:
        return None
    group, frac, exp, pct = found["group"], found["frac"], found["exp"], found["pct"]
    if group is None and frac is None and exp is None and pct is None:
        return found["int"]  # (an integer: the same with either mark)
    number = found["sign"] + (found["int"].replace(group, "") if group else found["int"])
    number += f".{frac}" if frac is not None else ""
    if pct is not None:  # 93.45% is 93.45e-2: parsed as 0.9345 is, to the same float (93.45 / 100 is not)
        return f"{number}e{int(exp[1:]) - 2 if exp else -2}"
    return number + (exp or "")


def _sheet_cells(sample: list[list[str]]) -> bool:
    """Whether the sampled rows hold a cell a spreadsheet wrote as it showed it (not a number Python reads)."""
    for row in sample:
        for c in row:
            c = c.strip()
            if c and not is_number(c) and c.lower() not in MISSING and (
                    _SHEET_ERROR.fullmatch(c) or any(p.fullmatch(c) for p in _SHEET_NUMBER.values())):
                return True
    return False


#: Anything in a body but numbers written with a decimal comma (and text without commas): see _plain_numbers.
_NOT_ONLY_DECIMAL_COMMAS = re.compile(r"[.%#\"'\u00a0\u202f\u2019]|\d \d{3}|(?<!\d),|,(?!\d)|,\d+,")


def _plain_numbers(body: str, delimiter: str, names: list[str], source: str) -> str:
    """``body`` with every cell a spreadsheet spelled as shown rewritten as the number it shows (:func:`_sheet_value`)
    and its error values as gaps (those other than #N/A said in one warning).

    A cell that reads as a number with one decimal mark only is that number (``0,512``, ``1,2E-03``, ``93,5%``,
    ``1.024,5``: a comma; ``0.512``, ``1,024.5``: a point). One that reads with either as two numbers (``2,169``:
    2.169 or 2169; ``2.169``) takes the mark the file's other cells show; where they show none, a ``2,169`` is 2.169
    in a file separated by ``;`` or tabs (as Excel writes where the comma is the decimal mark). Where they show both,
    or none in a comma-separated file, it raises: a silent guess is a value 1,000x off."""
    if delimiter != "," and not _NOT_ONLY_DECIMAL_COMMAS.search(body):
        # Every comma between digits, and no point, percent, error value, quote or grouping anywhere: the commas
        # are decimal marks, as the cells below would read them, in one pass (a second a million rows, not 30).
        return body.replace(",", ".")
    rows = _rows(body, delimiter, source)
    shown: dict[str, tuple[int, str]] = {}  # the first cell showing each mark
    either: dict[str, tuple[int, str]] = {}  # the first cell reading as two numbers, by the mark it holds
    for i, row in enumerate(rows, 1):
        for c in row:
            c = c.strip()
            if "," not in c and "." not in c:
                continue  # (an integer, 1 024, a word: the same with either mark)
            point, comma = _sheet_value(c, "."), _sheet_value(c, ",")
            if point is None and comma is None or point == comma:
                continue
            if point is None or comma is None:
                shown.setdefault("." if comma is None else ",", (i, c))
            else:
                either.setdefault("," if "," in c else ".", (i, c))
    mark = next(iter(shown)) if len(shown) == 1 else None
    if not shown and "," in either and delimiter != "," and "." not in either:
        mark = ","
    elif not shown and "," not in either:
        mark = "."  # (plain numbers read as Python reads them)
    if mark is None and either:
        i, c = either.get(",") or either["."]
        why = (f"the file writes numbers with a decimal point ({shown['.'][1]!r}, data row {shown['.'][0]}) and "
               f"with a decimal comma ({shown[','][1]!r}, data row {shown[','][0]})" if shown else
               "no cell says which")
        raise ReadError(f"data row {i} holds {c!r}, {_sheet_value(c, ',')} where the decimal mark is a comma, "
                        f"{_sheet_value(c, '.')} where it is a point, and {why}: write every number with one decimal "
                        "mark and no thousands grouping", source)
    errors: list[tuple[int, str, str]] = []
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for i, row in enumerate(rows, 1):
        new = []
        for j, c in enumerate(row):
            s = c.strip()
            if _SHEET_ERROR.fullmatch(s):
                if s.upper() != "#N/A":
                    errors.append((i, names[j] if j < len(names) else f"column {j + 1}", s))
                new.append("")
                continue
            if is_number(s) and (mark != "," or "." not in s):
                new.append(c)  # (reads as itself: a point can only group thousands under a decimal comma)
                continue
            point, comma = _sheet_value(s, "."), _sheet_value(s, ",")
            if point is None or comma is None:
                value = comma if point is None else None if is_number(s) else point
            else:
                value = comma if mark == "," else None if is_number(s) else point
            new.append(c if value is None else value)
        writer.writerow(new)
    if errors:
        i, name, s = errors[0]
        warn(source, "%d cells hold a spreadsheet's error value (%s in column %r, data row %d): read as gaps",
             len(errors), s, name, i)
    return out.getvalue()


def _all_numbers(line: str) -> bool:
    cells = line.replace(",", " ").replace("\t", " ").replace(";", " ").replace("|", " ").split()
    return bool(cells) and all(is_number(c) or c.lower() in MISSING for c in cells)


def _split_header(line: str, delimiter: str | None) -> tuple[list[str], list[tuple[str, str]], list[int]]:
    """The column names, ``(name, its twin)`` for each name written again (the twin: ``loss_2``), and the indices
    of the blank header cells (named ``column_<index>`` here, a name a user may also write)."""
    if delimiter is None:
        raw = line.split()
    else:
        raw = next(csv.reader([line], delimiter=delimiter), [])
    names: list[str] = []
    twins: list[tuple[str, str]] = []
    seen: set[str] = set()
    blank: list[int] = []
    suffix: dict[str, int] = {}  # the last suffix tried per name: a line of 500,000 equal cells took hours
    for i, name in enumerate(raw):
        name = name.strip().strip('"').strip()
        if not name:
            blank.append(i)
            name = f"column_{i}"
        base = name
        while name in seen:  # duplicate headers: keep both, the second gets a suffix
            suffix[base] = suffix.get(base, 1) + 1
            name = f"{base}_{suffix[base]}"
        if name != base:
            twins.append((base, name))
        seen.add(name)
        names.append(name)
    return names, twins, blank


def _rows(body: str, delimiter: str | None, source: str, limit: int | None = None) -> list[list[str]]:
    """The rows' cells; a row the csv module cannot split (a cell over its 131,072-character limit, a
    quote left open) raises, naming ``source``."""
    lines = body.splitlines() if limit is None else _first_lines(body, limit)
    if delimiter is None:
        return [ln.split() for ln in lines if ln.strip()]
    try:
        return [row for row in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ReadError(f"unreadable table: {exc}", source) from None


def _data_rows(body: str, delimiter: str | None, names: list[str], source: str,
               limit: int | None = None) -> list[list[str]]:
    """:func:`_rows`, with the two ways a table body fails named against the file."""
    rows = _rows(body, delimiter, source, limit=limit)
    if not rows:
        raise ReadError(f"no data rows (header only: {', '.join(names[:12])})", source)
    return rows


def _first_lines(body: str, n: int) -> list[str]:
    out, start = [], 0
    while len(out) < n and start < len(body):
        end = body.find("\n", start)
        end = len(body) if end < 0 else end
        out.append(body[start:end])
        start = end + 1
    return out


def _is_text_column(sample: list[list[str]], j: int) -> bool:
    for row in sample:
        if j >= len(row):
            continue
        value = row[j].strip()
        if value.lower() in MISSING:
            continue
        if not is_number(value):
            return True
    return False


def _fast(body: str, delimiter: str | None, names: list[str], text_cols: list[int], source: str = ""):
    """numpy.loadtxt's C parser; None when the file is ragged or otherwise irregular."""
    n = len(names)
    numeric = [j for j in range(n) if j not in text_cols]
    options = dict(delimiter=delimiter, comments=None, ndmin=2, quotechar='"')
    try:
        out: dict[str, np.ndarray] = {}
        values = None
        if numeric:
            values = _load_numbers(body, delimiter, numeric, options, names, source)
        texts = None
        if text_cols:
            texts = np.loadtxt(io.StringIO(body), usecols=text_cols, dtype=object, **options)
        # loadtxt checks only the columns it is asked for: make sure no row is short or long.
        if _width_varies(body, delimiter, n):
            return None
    except (ValueError, IndexError, TypeError):
        return None
    for j in range(n):
        if values is not None and j in numeric:
            out[names[j]] = values[:, numeric.index(j)]
        elif texts is not None:
            out[names[j]] = np.array([s.strip() for s in texts[:, text_cols.index(j)]], dtype=object)
    return out


def _load_numbers(body: str, delimiter: str | None, usecols: list[int], options: dict,
                  names: list[str] | None = None, source: str = "") -> np.ndarray:
    """The numeric columns as a 2-D float array, missing cells NaN.

    Missing-value cells (``NA``, empty ...) are first rewritten to ``nan`` with plain string
    replacement, so that numpy's C parser reads every cell (a per-cell Python converter is
    ten times slower); a file with other text in numeric cells is converted cell by cell.
    """
    patched = _missing_to_nan(body, delimiter) if delimiter is not None else None
    try:
        return _load_in_parts(patched or body, usecols, options)
    except ValueError:
        pass
    if names is not None:  # text in a numeric cell past the first rows: a damaged cell of a curve?
        rows = _rows(body, delimiter, source)
        for j in usecols:
            refuse_stray_text(names[j], (row[j] if j < len(row) else "" for row in rows), source)
    return np.loadtxt(io.StringIO(body), usecols=usecols, dtype=float, converters=cell, **options)


#: How much of a table :func:`_load_in_parts` gives numpy at a time (characters, cut at a line's end).
_PART = 1 << 22


def _load_in_parts(body: str, usecols: list[int], options: dict) -> np.ndarray:
    """``np.loadtxt(body, usecols=usecols, dtype=float)``, a few megabytes of rows at a time on a big table, each
    part's end said to the reading hook (:func:`._source.progress`): a million rows parsed in one call left the
    bar still for seconds. The same array: with ``usecols`` numpy reads each row alone (a row missing a column
    raises wherever it is; a wider one is read as the rest), so where the parts are cut changes nothing. A
    quoted cell may hold a line end: such a table is read in one call."""
    if len(body) < 2 * _PART or '"' in body:
        return np.loadtxt(io.StringIO(body), usecols=usecols, dtype=float, **options)
    parts, start, size = [], 0, len(body)
    while start < size:
        end = body.find("\n", start + _PART)
        end = size if end < 0 else end + 1
        part = body[start:end]
        if part.strip():  # (numpy passes blank lines over; a part of nothing else would be an empty array)
            parts.append(np.loadtxt(io.StringIO(part), usecols=usecols, dtype=float, **options))
        start = end
        progress(start, size)
    return np.concatenate(parts)


# Keras CSVLogger's NA, pandas' empty cell, str(None), JSON's null; rarer ones take the slow path.
_MISSING_TOKENS = ("", "NA", "N/A", "None", "null")


def _missing_to_nan(body: str, d: str) -> str | None:
    """Replace whole cells holding a missing-value token by ``nan``; None if nothing changed."""
    text = "\n" + body.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    before = text
    for tok in _MISSING_TOKENS:
        if tok and tok not in text:
            continue
        for left, right in ((d, d), (d, "\n"), ("\n", d)):
            old = left + tok + right
            if old == "\n\n" or old not in text:
                continue
            new = left + "nan" + right
            # Twice: adjacent matches share a delimiter (",NA,NA,").
            text = text.replace(old, new).replace(old, new)
    return None if text == before else text[1:]


def _width_varies(body: str, delimiter: str | None, n: int) -> bool:
    if delimiter is None:
        # loadtxt itself rejects a changing number of fields, but not rows all wider than the columns it reads
        # (DVCLive's "step<TAB>loss" rows under a header that lost "step": the steps were read as the loss).
        first, last = _end_lines(body)
        return first is not None and {len(first.split()), len(last.split())} != {n}
    if '"' in body:
        return False  # loadtxt itself rejects a changing number of fields
    first, last = _end_lines(body)
    if first is None:
        return False
    if {first.count(delimiter), last.count(delimiter)} != {n - 1}:
        return True
    # loadtxt with usecols passes over a longer row mid-file too (a decimal comma's "1,5"): count them all. Where
    # every line, none blank, holds n - 1 that is the count without splitting the body (a second per million rows).
    total = body.count(delimiter)
    if total == (n - 1) * (body.count("\n") + (not body.endswith("\n"))) and not _blank_line(body):
        return False
    return total != (n - 1) * sum(1 for ln in body.splitlines() if ln.strip())


# A line of nothing but blanks: after a newline (searched from the newline, a literal, as a pattern opening with
# "\A|\n" is not: tried at every character, 1.7 s of a million-row CSV's 6 s read), or first.
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_BLANK_FIRST = re.compile(r"[ \t\r\f\v]*\n")


def _blank_line(body: str) -> bool:
    return _BLANK_FIRST.match(body) is not None or _BLANK_LINE.search(body) is not None


def _end_lines(body: str, chunk: int = 1 << 16) -> tuple[str | None, str | None]:
    """The first and the last non-blank line of ``body`` (as ``splitlines`` cuts it), from its two ends:
    splitting a million-row body to look at two lines took a second. None, None where every line is blank."""
    head, tail = body[:chunk].splitlines(), body[-chunk:].splitlines()
    if len(body) > chunk:  # a line cut by the chunk's edge is not looked at
        head, tail = head[:-1], tail[1:]
    first = next((ln for ln in head if ln.strip()), None)
    last = next((ln for ln in reversed(tail) if ln.strip()), None)
    if first is None or last is None:
        lines = [ln for ln in body.splitlines() if ln.strip()]
        return (lines[0], lines[-1]) if lines else (None, None)
    return first, last


def _slow(body: str, delimiter: str | None, names: list[str], text_cols: list[int], source: str):
    """The csv module, row by row: short and long rows raise or are said (:func:`_refuse_ragged_rows`); short
    rows left are padded with NaN."""
    n = len(names)
    rows = _data_rows(body, delimiter, names, source)
    if delimiter == ",":
        _refuse_decimal_comma(rows, n, source)
    _refuse_ragged_rows(rows, n, source)
    fixed = [row[:n] if len(row) >= n else row + [""] * (n - len(row)) for row in rows]
    out: dict[str, np.ndarray] = {}
    for j, values in enumerate(zip(*fixed)):
        if j in text_cols:
            out[names[j]] = np.array([v.strip() for v in values], dtype=object)
        else:
            refuse_stray_text(names[j], values, source)
            out[names[j]] = np.array([cell(v) for v in values], dtype=float)
    return out


_INTEGER = re.compile(r"^\s*[-+]?\d+$")
_DIGITS = re.compile(r"^\d+\s*$")


def _refuse_decimal_comma(rows: list[list[str]], n: int, source: str) -> None:
    """A row of a comma-separated table longer than its header, with a number split at a comma
    (``1,5``): a decimal comma, which cut to the header's width read 1.5 as 1 and moved every cell after it."""
    for i, row in enumerate(rows, 1):
        if len(row) <= n or not any(c.strip() for c in row[n:]):
            continue  # (a trailing comma: an empty cell past the header)
        split, j = 0, 0  # numbers split at a comma, not overlapping: each one makes one cell too many
        while j < len(row) - 1:
            if _INTEGER.match(row[j]) and _DIGITS.match(row[j + 1]):
                split, j = split + 1, j + 2
            else:
                j += 1
        if split and split >= len(row) - n:
            raise ReadError(f"data row {i} has {len(row)} cells under {n} column names ({','.join(row)[:60]!r}): "
                            "a decimal comma ('1,5') or digits grouped ('1,024') in a comma-separated file? Write "
                            "1.5 and 1024, quote the cell (\"1,024\", as spreadsheets write it), or separate the "
                            "fields with ';' (read with decimal commas)", source)


def _refuse_ragged_rows(rows: list[list[str]], n: int, source: str) -> None:
    """Half the rows or more longer than the header, with numbers (half their cells or more) past its names (past
    an empty cell, a trailing delimiter's): the cells no longer line up with their names. A name lost from the
    header moves every value after it one column left (Keras' accuracy read as its loss); cut to the header's
    width the rows read as another, wrong run. (A lone long row stays cut, a damaged row; rows of words, prose
    split at its commas, are left to the errors about what the text is.)

    Short rows by the same rule: half the rows or more with fewer cells than the header's names, padded, read
    values under the wrong names (a row that lost a cell moves the ones after it left); fewer are said in one
    warning, their missing cells read as gaps. The last row is not counted towards refusing: a log being
    written ends in a row cut short."""
    def numbers(row):
        return 2 * sum(1 for c in row if is_number(c) or c.strip().lower() in MISSING) >= len(row)

    long = [i for i, row in enumerate(rows, 1) if len(row) > n and any(c.strip() for c in row[n:]) and numbers(row)]
    if long and 2 * len(long) >= len(rows):
        raise ReadError(f"data row {long[0]} has {len(rows[long[0] - 1])} cells under {n} column names (as "
                        f"{len(long)} of {len(rows)} rows do): a column name missing from the header, or a delimiter "
                        "inside a cell?", source)
    short = [i for i, row in enumerate(rows, 1) if len(row) < n and numbers(row)]
    if not short:
        return
    first = f"data row {short[0]} has {len(rows[short[0] - 1])} cells under {n} column names"
    cut = short[:-1] if short[-1] == len(rows) else short
    if cut and 2 * len(cut) >= len(rows):
        raise ReadError(f"{first} (as {len(short)} of {len(rows)} rows do): a cell lost from each row, or a "
                        "delimiter missing?", source)
    warn(source, "%s (%d of %d rows): their missing cells are read as gaps", first, len(short), len(rows))


def numeric_tsv(text: str, source: str) -> tuple[list[str], np.ndarray]:
    """``(header, rows)`` of a tab-separated table every cell of which is a number.

    For the metric files a library writes itself, row by row (DVCLive's, CatBoost's): no person
    edits them, so a cell that is not a number or a row of the wrong width means a damaged file,
    which is said, not read as a gap (a last line cut off mid-write is left out, with a warning).
    ``nan`` and ``inf`` are numbers (DVCLive writes a NaN loss so).
    """
    from ._source import without_cut_line

    text = without_cut_line(text, source)  # as read_file does
    numbered = [(n, ln) for n, ln in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1)
                if ln.strip()]
    if not numbered:
        raise ReadError("empty file", source)
    header = [h.strip() for h in numbered[0][1].split("\t")]
    if len(header) < 2 or not all(header):
        raise ReadError(f"not a tab-separated table (first line: {numbered[0][1][:80]!r})", source)
    if len(numbered) < 2:
        raise ReadError(f"no data rows (header only: {', '.join(header)})", source)
    rows = np.empty((len(numbered) - 1, len(header)))
    for i, (n, line) in enumerate(numbered[1:]):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ReadError(f"line {n} has {len(cells)} cells, the header {len(header)} "
                            "(a truncated or damaged file)", source)
        for j, c in enumerate(cells):
            try:
                rows[i, j] = float(c.replace("\u2212", "-"))  # (a minus sign typed as U+2212: _UNICODE_MINUS)
            except ValueError:
                what = "is empty (a truncated or damaged file)" if not c.strip() else \
                    f"holds {c.strip()[:40]!r}, not a number"
                raise ReadError(f"line {n}, column {header[j]!r} {what}", source) from None
    return header, rows
