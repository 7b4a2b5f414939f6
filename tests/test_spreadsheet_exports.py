"""Logs that went through a spreadsheet or another operating system, as users hand them over: one real Keras
CSVLogger log exported as Excel, LibreOffice and Google Sheets write it (pandas' ``to_csv`` with their settings,
or cells spelled as the application shows them), each diagnosed by the CLI (text and ``--json``) against the same
values as a plain CSV. The same diagnosis, or one line saying what to do; never a value read wrong or left out
with no word, and never a changed input file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest

import losslens
from cli_helpers import run_cli as _cli, md5 as _md5, refused as _refused  # tests/cli_helpers.py

pd = pytest.importorskip("pandas")

KERAS_LOG = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"  # 80 epochs, written by Keras


def _log() -> "pd.DataFrame":
    """The Keras log, its accuracies to 4 decimals: what a sheet showing them as 93.45% holds."""
    df = pd.read_csv(KERAS_LOG)
    df[["accuracy", "val_accuracy"]] = df[["accuracy", "val_accuracy"]].round(4)
    return df


def _percent(df, decimal="."):
    out = df.copy()
    for c in ("accuracy", "val_accuracy"):
        out[c] = ["" if np.isnan(v) else f"{100 * v:.2f}%".replace(".", decimal) for v in df[c]]
    return out


def _steps(df):
    """The log by step (1,024 steps an epoch) and with no epoch column: the steps are the axis."""
    out = df.drop(columns="epoch")
    out.insert(0, "step", (df["epoch"] + 1) * 1024)
    return out


def _grouped(df, column, sep):
    out = df.copy().astype({column: object})
    out[column] = [f"{v:,}".replace(",", sep) for v in df[column]]
    return out


# (name, the file as the application writes it, the same values as a plain CSV writes them)
def _variants():
    df = _log()
    steps = _steps(df)
    gaps = df.astype({"val_loss": object, "val_accuracy": object})

    def missing(token):
        out = gaps.copy()
        out.loc[out.index % 3 == 1, ["val_loss", "val_accuracy"]] = token
        return out

    clean_gaps = df.copy()
    clean_gaps.loc[clean_gaps.index % 3 == 1, ["val_loss", "val_accuracy"]] = np.nan
    french = df.rename(columns={"epoch": "Époque"}).assign(**{"Époque": df["epoch"] + 1})
    return [
        # Excel's "CSV UTF-8" files joined with cat: the second's byte-order mark glued to its header line
        ("joined_bom.csv", lambda p: p.write_bytes(
            df.iloc[:40].to_csv(index=False, encoding="utf-8-sig").encode("utf-8-sig")
            + df.iloc[40:].to_csv(index=False).encode("utf-8-sig")), df),
        # Google Sheets in a locale whose decimal mark is a comma: ',' between fields, "0,512" quoted
        ("gsheets_comma.csv", lambda p: p.write_text(df.to_csv(index=False, decimal=",")), df),
        ("gsheets_comma_crlf.csv", lambda p: p.write_bytes(
            df.to_csv(index=False, decimal=",", lineterminator="\r\n").encode()), df),
        # a percent-formatted accuracy column, written as shown
        ("percent.csv", lambda p: _percent(df).to_csv(p, index=False), df),
        ("percent_euro.csv", lambda p: _percent(df, ",").to_csv(p, index=False, sep=";", decimal=","), df),
        ("percent_utf16.txt", lambda p: _percent(df, ",").to_csv(p, index=False, sep="\t", decimal=",",
                                                                encoding="utf-16"), df),
        # a step column with its thousands grouped, as shown: "1,024" (quoted), 1.024, 1 024 (no-break space)
        ("steps_grouped.csv", lambda p: _grouped(steps, "step", ",").to_csv(p, index=False), steps),
        ("steps_grouped_euro.csv", lambda p: _grouped(steps, "step", ".").to_csv(p, index=False, sep=";",
                                                                               decimal=","), steps),
        ("steps_grouped_french.csv", lambda p: _grouped(steps, "step", "\u00a0").to_csv(
            p, index=False, sep=";", decimal=",", encoding="cp1252"), steps),
        # Excel's missing values: NA() shows #N/A, a formula dividing by zero #DIV/0!
        ("excel_na.csv", lambda p: missing("#N/A").to_csv(p, index=False), clean_gaps),
        ("excel_div0.csv", lambda p: missing("#DIV/0!").to_csv(p, index=False), clean_gaps),
        # a row ended by its separator: an empty unnamed column at the end
        ("trailing_separator.csv", lambda p: p.write_text(
            "".join(line + ",\n" for line in df.to_csv(index=False).splitlines())), df),
        # Excel on Windows, French: "CSV (séparateur : point-virgule)" in Windows-1252, epochs counted from 1
        ("french_excel.csv", lambda p: french.to_csv(p, index=False, sep=";", decimal=",", encoding="cp1252"),
         df.assign(epoch=df["epoch"] + 1)),
        # one column typed with decimal points into a sheet written with decimal commas: each cell says its mark
        ("mixed_marks.csv", lambda p: df.astype({"val_loss": str}).to_csv(p, index=False, sep=";", decimal=","), df),
    ]


VARIANTS = {name: (write, clean) for name, write, clean in _variants()}


def _diagnosis(path: Path) -> tuple[dict, str]:
    """``diagnose --json``'s object without the file's own names, and ``diagnose``'s text."""
    res = _cli("diagnose", "--json", path)
    assert res.exit_code == 0, res.output
    [obj] = [json.loads(line) for line in res.stdout.splitlines()]
    for key in ("source", "run"):
        obj.pop(key)
    text = _cli("diagnose", path)
    assert text.exit_code == 0, text.output
    return obj, text.stdout.replace(f"{path.name.split('.')[0]}:", "RUN:", 1)


#: What reading excel_div0.csv says (on stderr, and in --json's notes).
DIV0_NOTE = "54 cells hold a spreadsheet's error value (#DIV/0! in column 'val_accuracy', data row 2): read as gaps"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_spreadsheets_export_diagnoses_as_the_plain_csv(tmp_path, name):
    write, clean = VARIANTS[name]
    path, plain = tmp_path / name, tmp_path / "plain" / f"{name.split('.')[0]}.csv"
    plain.parent.mkdir()
    write(path)
    clean.to_csv(plain, index=False)
    before = _md5(path)
    [got], [want] = losslens.read(path), losslens.read(plain)
    assert got.axis_name == want.axis_name
    np.testing.assert_allclose(got.axis, want.axis)
    assert list(got.series) == list(want.series)
    for key in want.series:  # (93.45% is 0.9345 to the bit: 93.45 / 100 is not)
        np.testing.assert_array_equal(got.series[key], want.series[key], err_msg=key)
    (obj, text), (obj0, text0) = _diagnosis(path), _diagnosis(plain)
    notes, notes0 = obj.pop("notes", []), obj0.pop("notes", [])
    assert obj == obj0
    assert text == text0
    assert notes == notes0 + ([DIV0_NOTE] if name == "excel_div0.csv" else []), notes
    assert _md5(path) == before


def test_a_windows_csv_names_its_runs_in_windows_1252(tmp_path):
    # Excel's "CSV (Comma delimited)" on Windows is Windows-1252, not Latin-1: its dash (0x96) read as a control
    # character named the run "lr 1e-3 \x96 Adam".
    df = _log()
    long = pd.concat([df.assign(run=f"lr {lr} \u2013 Adam") for lr in ("1e-3", "1e-2")])
    path = tmp_path / "sweep.csv"
    long.to_csv(path, index=False, encoding="cp1252")
    assert b"\x96" in path.read_bytes()
    assert [r.name for r in losslens.read(path)] == ["lr 1e-3 \u2013 Adam", "lr 1e-2 \u2013 Adam"]


def test_cells_that_read_as_two_numbers_and_nothing_says_which_are_refused(tmp_path):
    # Losses shown to 3 decimals, all above 1, from Google Sheets with a comma for the decimal mark: "2,950" is
    # 2.95 there and 2950 in a sheet grouping thousands; no cell tells. Read as text, the columns were left out:
    # "no loss or accuracy column".
    df = pd.DataFrame({"epoch": range(20), "loss": 3 - 0.05 * np.arange(20), "val_loss": 3.2 - 0.04 * np.arange(20)})
    path = tmp_path / "sheet.csv"
    df.to_csv(path, index=False, decimal=",", float_format="%.3f")
    _refused(path, "data row 1 holds '3,000', 3.000 where the decimal mark is a comma, 3000 where it is a point",
             "one decimal mark")


def test_a_number_grouped_without_quotes_is_named_as_such(tmp_path):
    # Typed by hand (a spreadsheet quotes a cell holding its separator): "1,024,2.0" is three cells.
    path = tmp_path / "steps.csv"
    with open(path, "w", newline="") as fh:
        fh.write("step,loss\n")
        fh.writelines(f"{1024 * (i + 1):,},{2 - 0.01 * i}\n" for i in range(30))
    _refused(path, "data row 1 has 3 cells under 2 column names", "digits grouped ('1,024')", "quote the cell")


def _xlsx(df, path: Path) -> None:
    """The sheet as an .xlsx: pandas' writer where openpyxl is installed, else the same package by hand (the
    parts ECMA-376 requires of a workbook of one sheet; Excel opens it)."""
    try:
        df.to_excel(path, index=False)
        return
    except ImportError:
        pass

    def ref(row, col):
        return f"{chr(65 + col)}{row + 1}"

    cells = ["".join(f'<c r="{ref(0, j)}" t="inlineStr"><is><t>{escape(n)}</t></is></c>'
                     for j, n in enumerate(df.columns))]
    cells += ["".join(f'<c r="{ref(i, j)}"><v>{v!r}</v></c>' for j, v in enumerate(rec))
              for i, rec in enumerate(df.itertuples(index=False), 1)]
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" '
                           'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
                                      'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>'
                                    + "".join(f'<row r="{i + 1}">{c}</row>' for i, c in enumerate(cells))
                                    + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)


@pytest.mark.parametrize("name", ["run.xlsx", "run.csv"])
def test_an_excel_workbook_is_read_as_its_sheet_or_names_the_extra(tmp_path, name):
    # (run.csv: a workbook renamed, or saved with "Excel Workbook" picked where "CSV" was meant: read by its content)
    path, plain = tmp_path / name, tmp_path / "plain" / "run.csv"
    plain.parent.mkdir()
    _xlsx(_log(), path)
    try:
        import openpyxl  # noqa: F401
    except ImportError:  # (the core install: the one line names the extra)
        _refused(path, "an Excel workbook", "pip install 'losslens[excel]'", "save the sheet as CSV")
        return
    # (the values the workbook holds: openpyxl writes a float to 16 significant digits, to_csv to 17)
    pd.read_excel(path, engine="openpyxl").to_csv(plain, index=False)
    before = _md5(path)
    (obj, text), (obj0, text0) = _diagnosis(path), _diagnosis(plain)
    assert obj == obj0
    assert text == text0
    assert _md5(path) == before


def test_an_empty_column_a_user_named_column_n_is_kept_and_a_trailing_separators_is_dropped(tmp_path):
    # A trailing separator's empty column was known by the name made up for its blank header cell, "column_<index>":
    # an empty column the user named so at that index ("column_2", a pandas frame built from a list of lists) was
    # dropped with it. Only the blank header cell says a column is the separator's.
    df = _log()[["epoch", "loss", "val_loss"]]
    named = df.copy()
    named.insert(2, "column_2", np.nan)
    other = named.rename(columns={"column_2": "notes"})
    path, plain = tmp_path / "named.csv", tmp_path / "other.csv"
    named.to_csv(path, index=False)
    other.to_csv(plain, index=False)
    assert path.read_text().splitlines()[1].count(",,") == 1  # (pandas writes the empty column's cells empty)
    [got], [want] = losslens.read(path), losslens.read(plain)
    assert list(got.series) == [k.replace("notes", "column_2") for k in want.series]
    assert "column_2" in got.series and np.isnan(got.series["column_2"]).all()
    # the same file with each row ended by its separator: the unnamed empty column after val_loss is left out
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("".join(line + ",\n" for line in named.to_csv(index=False).splitlines()))
    [got] = losslens.read(trailing)
    assert list(got.series) == [k.replace("notes", "column_2") for k in want.series]


#: U+2212, the minus sign: what spreadsheets in some locales write before a negative number, and what numbers copied
#: from a web page hold.
MINUS = "\u2212"


def _minus_variants():
    """(name, the log with U+2212 minus signs written, the same log with '-'): a log-likelihood, a reward and a
    log10 learning rate beside the losses, as pandas writes them (a point and a comma; a comma and ';'; tabs)."""
    n = 30
    df = pd.DataFrame({"epoch": range(n), "loss": np.linspace(2.0, 0.4, n) ** 1.5,
                       "val_loss": np.linspace(2.1, 0.6, n) ** 1.5,
                       "val_log_likelihood": -np.linspace(3.0, 0.7, n), "reward": np.linspace(-5.0, 2.0, n),
                       "log10_lr": np.log10(np.geomspace(1e-2, 1e-4, n))})

    def signed(frame, decimal="."):
        out = frame.astype(object)
        for c in ("val_log_likelihood", "reward", "log10_lr"):
            out[c] = [repr(float(v)).replace(".", decimal).replace("-", MINUS) for v in frame[c]]
        return out
    return [
        ("minus.csv", lambda p: signed(df).to_csv(p, index=False), lambda p: df.to_csv(p, index=False)),
        ("minus_euro.csv", lambda p: signed(df, ",").to_csv(p, index=False, sep=";", decimal=","),
         lambda p: df.to_csv(p, index=False, sep=";", decimal=",")),
        ("minus.tsv", lambda p: signed(df).to_csv(p, index=False, sep="\t"),
         lambda p: df.to_csv(p, index=False, sep="\t")),
    ]


@pytest.mark.parametrize("name,write,write_plain", _minus_variants(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_unicode_minus_sign_reads_as_a_minus(tmp_path, name, write, write_plain):
    # Python's float() does not read "\u22120.5": the three columns were text, left out with no word (and the
    # reward column gone, the losses no longer read as a reinforcement-learning run's).
    path, plain = tmp_path / name, tmp_path / "plain" / name
    plain.parent.mkdir()
    write(path)
    write_plain(plain)
    assert MINUS in path.read_text(encoding="utf-8")
    before = _md5(path)
    [got], [want] = losslens.read(path), losslens.read(plain)
    assert list(got.series) == list(want.series) and "reward" in got.series
    for key in want.series:
        np.testing.assert_array_equal(got.series[key], want.series[key], err_msg=key)
    assert got.series["reward"][0] == -5.0
    (obj, text), (obj0, text0) = _diagnosis(path), _diagnosis(plain)
    assert obj == obj0 and text == text0
    assert _md5(path) == before
