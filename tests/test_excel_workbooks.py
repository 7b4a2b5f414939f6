"""Excel workbooks (.xlsx) read as the sheets they hold: real Keras CSVLogger logs (tests/fixtures/logs/
keras_rlrop.csv, make_logs.py's ``keras_rlrop``; the bundled examples/keras_csvlogger.csv) written into workbooks
here by pandas' ``to_excel`` (its openpyxl engine; its XlsxWriter
engine where that is installed) and by openpyxl as users make them (percent cells, a title row, error values, two
column levels, several sheets), each diagnosed by the CLI against its CSV twin: the same verdict, X and values. A
workbook that cannot be read as it stands (formulas never computed, a cut file, no openpyxl) is one line, exit 2;
the input file is never changed."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from cli_helpers import run_cli as _cli, md5 as _md5, refused as _refused  # tests/cli_helpers.py
from losslens.exceptions import MissingExtraError

pd = pytest.importorskip("pandas")
openpyxl = pytest.importorskip("openpyxl")

HERE = Path(__file__).parent
RLROP = HERE / "fixtures" / "logs" / "keras_rlrop.csv"  # Keras CSVLogger, SGD(0.5) + ReduceLROnPlateau, 60 epochs
EXAMPLE = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"  # Keras CSVLogger, 80 epochs


def _diagnosis(path: Path, *options) -> tuple[dict, str]:
    """``diagnose --json``'s object without the file's own names, and ``diagnose``'s text with the run's name
    masked."""
    res = _cli("diagnose", "--json", path, *options)
    assert res.exit_code == 0, res.output
    [obj] = [json.loads(line) for line in res.stdout.splitlines()]
    name = obj.pop("run")
    obj.pop("source")
    text = _cli("diagnose", path, *options)
    assert text.exit_code == 0, text.output
    return obj, text.stdout.replace(f"{name}:", "RUN:", 1)


def _close(a, b, where="") -> None:
    """``a == b``, floats to 1e-9 relative: openpyxl writes a float to 16 significant digits (%.16g), the CSV
    logger to 17, so a value may differ in its last bit."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b)), (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), (where, list(a), list(b))
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def _same_run(got, want) -> None:
    assert got.axis_name == want.axis_name
    np.testing.assert_array_equal(got.axis, want.axis)
    assert list(got.series) == list(want.series)
    for key in want.series:
        np.testing.assert_allclose(got.series[key], want.series[key], rtol=1e-15, err_msg=key)


def _as_twin(path: Path, csv: Path, *options, said: str | None = None) -> None:
    """``path`` reads and diagnoses as ``csv`` does, and is left unchanged; ``said``: the one note it adds."""
    before = _md5(path)
    [got], [want] = losslens.read(path, run_id=options[1] if options else None), losslens.read(csv)
    _same_run(got, want)
    (obj, text), (obj0, text0) = _diagnosis(path, *options), _diagnosis(csv)
    if said is not None:
        assert obj["notes"] == [said] + obj0["notes"], obj["notes"]
        obj["notes"] = obj0["notes"]
    _close(obj, obj0)
    assert text == text0
    assert _md5(path) == before


def _sheet(book, title: str, df, *, top: int = 1, percent: bool = False):
    """``df`` into a new sheet of ``book`` by openpyxl, its header at row ``top``; accuracies as percent cells
    (the value 0.935 under the format 0.00%, which Excel shows as 93.50%) where ``percent``."""
    ws = book.create_sheet(title)
    for j, name in enumerate(df.columns, 1):
        ws.cell(top, j, name)
    for i, row in enumerate(df.itertuples(index=False), top + 1):
        for j, (name, v) in enumerate(zip(df.columns, row), 1):
            cell = ws.cell(i, j, None if isinstance(v, float) and np.isnan(v) else v)
            if percent and "accuracy" in name:
                cell.number_format = "0.00%"
    return ws


def _book():
    book = openpyxl.Workbook()
    book.remove(book.active)
    return book


# -- one sheet, as its CSV twin -----------------------------------------------------------------------------

@pytest.mark.parametrize("log", [RLROP, EXAMPLE], ids=["rlrop", "example"])
@pytest.mark.parametrize("how", ["pandas", "pandas_index", "openpyxl"])
def test_a_workbook_diagnoses_as_its_csv_twin(tmp_path, log, how):
    # pandas' to_excel (with its index column, the row number, as to_csv's is); openpyxl cell by cell. Keras
    # numbers epochs from 0 in both; example's epoch 0 has no validation (blank cells: gaps).
    df = pd.read_csv(log)
    path = tmp_path / f"{log.stem}.xlsx"
    if how == "openpyxl":
        book = _book()
        _sheet(book, "Sheet1", df)
        book.save(path)
    else:
        df.to_excel(path, index=how == "pandas_index", engine="openpyxl")
    _as_twin(path, log)


def test_a_loss_ending_in_blank_cells_is_said_as_in_its_csv(tmp_path):
    # The validation columns blank from epoch 50 while the training loss goes on: blank cells are what pandas
    # writes for NaN too, so the reading (no longer logged) is said, as for the CSV.
    df = pd.read_csv(EXAMPLE)
    df.loc[df["epoch"] >= 50, ["val_loss", "val_accuracy"]] = np.nan
    path, plain = tmp_path / "example.xlsx", tmp_path / "example.csv"
    df.to_excel(path, index=False, engine="openpyxl")
    df.to_csv(plain, index=False)
    _as_twin(path, plain)
    res = _cli("diagnose", "--json", path)
    assert any("val_loss has no value after epoch 49 (blank cells" in n for n in json.loads(res.stdout)["notes"])


def test_run_naming_the_only_sheet_reads_it(tmp_path):
    path = tmp_path / "keras_rlrop.xlsx"
    pd.read_csv(RLROP).to_excel(path, index=False, sheet_name="sgd", engine="openpyxl")
    _as_twin(path, RLROP, "--run", "sgd")


def test_a_sheet_whose_stated_size_is_one_cell_is_read_whole(tmp_path):
    # Some writers leave a sheet's <dimension> at "A1"; openpyxl's read-only mode reads as far as it states: every
    # row and column but A1 was cut off. The workbook is pandas', its dimension rewritten so.
    import re
    import zipfile

    written, path = tmp_path / "written.xlsx", tmp_path / "keras_rlrop.xlsx"
    pd.read_csv(RLROP).to_excel(written, index=False, engine="openpyxl")
    with zipfile.ZipFile(written) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part in zin.namelist():
            data = zin.read(part)
            if part == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
                assert n == 1
            z.writestr(part, data)
    _as_twin(path, RLROP)


def test_dates_flags_and_a_header_on_two_lines_read_as_their_export(tmp_path):
    # A header typed with Alt+Enter ("val" / "loss" on two lines in its cell), the time each epoch ended (date
    # cells), a TRUE/FALSE column and a text note: the CSV export's names and text, the curves the same.
    import datetime

    df = pd.read_csv(RLROP)[["epoch", "loss", "val_loss"]]
    ended = [datetime.datetime(2026, 12, 6, 6, 0) + datetime.timedelta(seconds=37 * i) for i in range(len(df))]
    path, plain = tmp_path / "keras_rlrop.xlsx", tmp_path / "keras_rlrop.csv"
    book = _book()
    ws = book.create_sheet("Sheet1")
    ws.append(["epoch", "loss", "val\nloss", "ended", "best", "note"])
    for (e, loss, val), when in zip(df.itertuples(index=False), ended):
        ws.append([e, loss, val, when, bool(val == df["val_loss"][:e + 1].min()), "lr cut" if e == 12 else None])
    book.save(path)
    assert isinstance(openpyxl.load_workbook(path)["Sheet1"]["D2"].value, datetime.datetime)
    twin = df.rename(columns={"val_loss": "val loss"}).assign(
        ended=[t.isoformat() for t in ended],
        best=["TRUE" if v == df["val_loss"][:i + 1].min() else "FALSE" for i, v in enumerate(df["val_loss"])],
        note=["lr cut" if e == 12 else "" for e in df["epoch"]])
    twin.to_csv(plain, index=False)
    _as_twin(path, plain)


def test_percent_cells_are_their_values(tmp_path):
    # Accuracies formatted as percents: the cell holds 0.6547..., shown as 65.47%; read as the value, at full
    # precision (a CSV export holds the 65.47% shown).
    path = tmp_path / "keras_rlrop.xlsx"
    book = _book()
    ws = _sheet(book, "Sheet1", pd.read_csv(RLROP), percent=True)
    assert ws["B2"].number_format == "0.00%" and ws["B1"].value == "accuracy"
    book.save(path)
    _as_twin(path, RLROP)


def test_a_title_row_above_the_header_is_passed_over(tmp_path):
    # A title merged across the table in row 1, a blank row, the header in row 3; the table pasted at B3 in a
    # second workbook (column A blank).
    df = pd.read_csv(RLROP)
    path = tmp_path / "keras_rlrop.xlsx"
    book = _book()
    ws = _sheet(book, "Sheet1", df, top=3)
    ws["A1"] = "Digits MLP, SGD(0.5) with ReduceLROnPlateau"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(df.columns))
    book.save(path)
    _as_twin(path, RLROP)
    pasted = tmp_path / "pasted" / "keras_rlrop.xlsx"
    pasted.parent.mkdir()
    df.to_excel(pasted, index=False, startrow=2, startcol=1, engine="openpyxl")
    _as_twin(pasted, RLROP)


def test_two_header_rows_read_as_one(tmp_path):
    # pandas' to_excel of a frame with two column levels (train / val over loss / accuracy): the names joined,
    # train_loss ..., as the CSV with those names reads.
    df = pd.read_csv(EXAMPLE).set_index("epoch")
    two = df[["loss", "accuracy", "val_loss", "val_accuracy"]].copy()
    two.columns = pd.MultiIndex.from_tuples([("train", "loss"), ("train", "accuracy"), ("val", "loss"),
                                             ("val", "accuracy")])
    path, plain = tmp_path / "example.xlsx", tmp_path / "example.csv"
    two.to_excel(path, engine="openpyxl")
    flat = two.copy()
    flat.columns = ["train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    flat.to_csv(plain)
    assert openpyxl.load_workbook(path).active.merged_cells.ranges  # ("train" merged over its two columns)
    _as_twin(path, plain)


def test_error_cells_are_gaps_said_once(tmp_path):
    # Error values typed into the validation columns every third epoch: #N/A a gap (NA() says "no value"),
    # #DIV/0! gaps said in one warning, as in the sheet's CSV export (test_spreadsheet_exports.py).
    df = pd.read_csv(RLROP)
    clean = df.copy()
    clean.loc[clean.index % 3 == 1, ["val_loss", "val_accuracy"]] = np.nan
    plain = tmp_path / "plain.csv"
    clean.to_csv(plain, index=False)
    for token, said in (("#N/A", False), ("#DIV/0!", True)):
        path = tmp_path / f"errors_{token.strip('#!').replace('/', '')}.xlsx"
        book = _book()
        ws = _sheet(book, "Sheet1", df)
        for i in range(1, len(df), 3):
            for j in (df.columns.get_loc("val_loss") + 1, df.columns.get_loc("val_accuracy") + 1):
                ws.cell(i + 2, j, token)
        book.save(path)
        assert ws.cell(3, df.columns.get_loc("val_loss") + 1).data_type == "e"  # (an error cell, not text)
        [got], [want] = losslens.read(path), losslens.read(plain)
        _same_run(got, want)
        res = _cli("diagnose", "--json", path)
        assert res.exit_code == 0, res.output
        notes = json.loads(res.stdout)["notes"]
        assert notes == ([f"40 cells hold a spreadsheet's error value (#DIV/0! in column 'val_accuracy', data row 2): "
                          "read as gaps"] if said else []), notes


def test_a_run_is_read_back_by_the_name_its_source_is_given(tmp_path):
    """The source a run of a several-run file is given (``book.xlsx#SHEET``, ``long.csv#RUN``) reads that run back
    in diagnose as in compare: PATH#RUN where PATH exists and the whole string does not. A file whose own name holds
    '#' is read as that file."""
    book, long = tmp_path / "sweep.xlsx", tmp_path / "long.csv"
    frames = {"sgd_0.5": pd.read_csv(RLROP), "adam": pd.read_csv(EXAMPLE)}
    with pd.ExcelWriter(book) as xl:
        for sheet, frame in frames.items():
            frame.to_excel(xl, sheet_name=sheet, index=False)
    pd.concat([f.assign(run=name) for name, f in frames.items()]).to_csv(long, index=False)
    before = _md5(book), _md5(long)
    for path in (book, long):
        runs = losslens.read(path)
        assert len(runs) == 2
        for run in runs:  # (a sheet's source is book.xlsx#SHEET; a long CSV's runs keep the file's)
            again = losslens.read(f"{path}#{run.name}")
            assert len(again) == 1 and again[0].source == run.source
            _same_run(again[0], run)
        res = _cli("diagnose", f"{path}#adam")
        assert res.exit_code == 0, res.output
        assert res.stdout == _cli("diagnose", path, "--run", "adam").stdout and "overfitting" in res.stdout
        res = _cli("diagnose", f"{path}#sgd_0.5", "--run", "adam")
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "give one" in res.stderr, res.output
    res = _cli("diagnose", f"{book}#nosuch")
    assert res.exit_code == 2 and res.stderr.startswith(f"losslens: {book}: no run 'nosuch'"), res.output
    assert (_md5(book), _md5(long)) == before
    hashed = tmp_path / "sweep.xlsx#adam"  # exists: read as itself (the sgd_0.5 run), not as sweep.xlsx's adam sheet
    pd.read_csv(RLROP).to_csv(hashed, index=False)
    _same_run(losslens.read(hashed)[0], losslens.read(RLROP)[0])


# -- several sheets -------------------------------------------------------------------------------------------

def test_each_sheet_holding_a_loss_is_a_run_named_by_it(tmp_path):
    path = tmp_path / "sweep.xlsx"
    book = _book()
    _sheet(book, "sgd_0.5", pd.read_csv(RLROP))
    notes = book.create_sheet("notes")
    notes["A1"], notes["A2"] = "digits, 10 classes", "two runs, one a sheet"
    _sheet(book, "adam", pd.read_csv(EXAMPLE))
    book.save(path)
    before = _md5(path)
    runs = losslens.read(path)
    assert [r.name for r in runs] == ["sgd_0.5", "adam"]
    assert [r.source for r in runs] == [f"{path}#sgd_0.5", f"{path}#adam"]
    _same_run(runs[0], losslens.read(RLROP)[0])
    _same_run(runs[1], losslens.read(EXAMPLE)[0])
    res = _cli("diagnose", path)
    assert res.exit_code == 0, res.output
    assert "sgd_0.5: converged" in res.stdout and "adam: overfitting" in res.stdout, res.stdout
    # --run SHEET reads that sheet, as its CSV twin
    for sheet, log in (("sgd_0.5", RLROP), ("adam", EXAMPLE)):
        _as_twin(path, log, "--run", sheet)
    res = _cli("diagnose", path, "--run", "sgd")
    assert res.exit_code == 2 and "no run 'sgd' (2 runs: sgd_0.5, adam)" in res.stderr, res.output
    assert _md5(path) == before


def test_one_sheet_of_several_holding_a_run_reads_as_the_file(tmp_path):
    # The log beside a sheet of notes and an empty one: one run, named as the file, diagnosed as its CSV twin.
    path = tmp_path / "keras_rlrop.xlsx"
    book = _book()
    notes = book.create_sheet("about")
    notes["A1"] = "SGD(0.5) on digits"
    _sheet(book, "log", pd.read_csv(RLROP))
    book.create_sheet("Sheet3")["C7"] = " "
    book.save(path)
    [run] = losslens.read(path)
    assert run.name == "keras_rlrop" and run.source == f"{path}#log"
    obj, text = _diagnosis(path)
    obj0, text0 = _diagnosis(RLROP)
    _close(obj, obj0)
    assert text == text0


def test_no_sheet_with_a_loss_is_one_line_naming_the_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    book = _book()
    a = book.create_sheet("params")
    a.append(["lr", "batch_size"])
    a.append([0.5, 32])
    b = book.create_sheet("notes")
    b["A1"] = "to do"
    book.save(path)
    _refused(path, "no sheet holds a loss or accuracy column (2 sheets: 'params': no loss",
             "(found: lr, batch_size)", "'notes': no numbers in the sheet")
    blank = tmp_path / "blank.xlsx"  # (a new workbook, a space typed into a cell)
    book = openpyxl.Workbook()
    book.active["B3"] = "  "
    book.save(blank)
    _refused(blank, "an Excel workbook with no cell filled in")


# -- what cannot be read as it stands ---------------------------------------------------------------------------

def _with_gap(path: Path, df, *, formula_in: str = "gap") -> Path:
    """``df`` written by openpyxl with a ``gap`` column of formulas (``=val_loss-loss``), which openpyxl saves
    with no computed value; ``formula_in="val_loss"`` writes the validation loss as a formula instead."""
    book = _book()
    ws = _sheet(book, "Sheet1", df)
    letter = {c: openpyxl.utils.get_column_letter(j) for j, c in enumerate(df.columns, 1)}
    at = len(df.columns) + 1 if formula_in == "gap" else list(df.columns).index(formula_in) + 1
    ws.cell(1, at, formula_in)
    for i in range(2, len(df) + 2):
        ws.cell(i, at, f"={letter['val_loss']}{i}-{letter['loss']}{i}" if formula_in == "gap"
                else f"={letter['loss']}{i}+0.1")
    book.save(path)
    return path


def test_a_column_of_formulas_never_computed_is_left_out_said_once(tmp_path):
    # openpyxl writes a formula with no value (only a spreadsheet computes one): a gap column added beside the
    # log's values is left out, said once; the log reads and diagnoses as its CSV twin.
    df = pd.read_csv(RLROP)
    path = _with_gap(tmp_path / "formulas.xlsx", df)
    note = ("column gap: 60 formula cells hold no computed value (a workbook written by a program, openpyxl, pandas "
            "or XlsxWriter, is saved without them, or with 0 in their place; open and save it in Excel or "
            "LibreOffice to read them): left out")
    _as_twin(path, RLROP, said=note)  # (the note once, in --json's notes as on stderr)
    # the gap column asked for is refused, not read as blank
    res = _cli("diagnose", path, "--metric", "gap")
    assert res.exit_code == 2 and "60 formula cells hold no computed value (column gap;" in res.stderr, res.output


def test_a_loss_of_formulas_never_computed_is_refused(tmp_path):
    df = pd.read_csv(RLROP)
    path = _with_gap(tmp_path / "formulas.xlsx", df, formula_in="val_loss")
    _refused(path, "60 formula cells hold no computed value (column val_loss;",
             "open and save it in Excel or LibreOffice")
    # a sheet of formulas alone holds nothing to read
    only = tmp_path / "only.xlsx"
    book = _book()
    ws = book.create_sheet("Sheet1")
    ws.append(["gap"])
    for i in range(2, 12):
        ws.cell(i, 1, f"={i}*2")
    book.save(only)
    _refused(only, "10 formula cells hold no computed value (column gap;")


def test_xlsxwriters_workbooks_read_and_its_uncomputed_formulas_are_said(tmp_path):
    # XlsxWriter, pandas' other engine (its default where installed): a log written by it reads as its CSV twin,
    # and so does a formula given its value; a formula written without one holds 0 for Excel to compute on
    # opening (the workbook asks for it: fullCalcOnLoad), which read a loss of 0 at every epoch: a loss so is
    # refused, another column left out.
    xlsxwriter = pytest.importorskip("xlsxwriter")
    df = pd.read_csv(RLROP)
    path = tmp_path / "keras_rlrop.xlsx"
    df.to_excel(path, index=False, engine="xlsxwriter")
    _as_twin(path, RLROP)
    computed, zeros = tmp_path / "computed.xlsx", tmp_path / "zeros.xlsx"
    for target, give in ((computed, True), (zeros, False)):
        book = xlsxwriter.Workbook(str(target))
        ws = book.add_worksheet()
        ws.write_row(0, 0, ["epoch", "train_loss", "val_loss"])
        for i, r in enumerate(df.itertuples(index=False), 1):
            ws.write_row(i, 0, [r.epoch, r.loss])
            # (the validation loss as the training loss plus the gap, a formula: its value given, or not)
            ws.write_formula(i, 2, f"=B{i + 1}+{r.val_loss - r.loss!r}", None, *([r.val_loss] if give else []))
        book.close()
    [run] = losslens.read(computed)
    np.testing.assert_allclose(run.series["val_loss"], df["val_loss"], rtol=1e-12)
    _refused(zeros, "60 formula cells hold no computed value (column val_loss;", "or with 0 in their place")
    gap = tmp_path / "gap.xlsx"
    book = xlsxwriter.Workbook(str(gap))
    ws = book.add_worksheet()
    ws.write_row(0, 0, list(df.columns) + ["gap"])
    for i, r in enumerate(df.itertuples(index=False), 1):
        ws.write_row(i, 0, list(r))
        ws.write_formula(i, len(df.columns), f"=F{i + 1}-D{i + 1}")
    book.close()
    _as_twin(gap, RLROP, said=("column gap: 60 formula cells hold no computed value (a workbook written by a program, "
                               "openpyxl, pandas or XlsxWriter, is saved without them, or with 0 in their place; "
                               "open and save it in Excel or LibreOffice to read them): left out"))


def test_a_truncated_workbook_is_one_line(tmp_path):
    path = tmp_path / "cut.xlsx"
    pd.read_csv(RLROP).to_excel(path, index=False, engine="openpyxl")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    _refused(path, "truncated or corrupt Excel workbook", "BadZipFile")
    renamed = tmp_path / "cut.csv"  # (known by its content, whatever its name)
    renamed.write_bytes(data[:len(data) // 2])
    _refused(renamed, "truncated or corrupt Excel workbook")


def test_without_openpyxl_the_line_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "keras_rlrop.xlsx"
    pd.read_csv(RLROP).to_excel(path, index=False, engine="openpyxl")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # (import openpyxl raises ModuleNotFoundError)
    err = _refused(path, "an Excel workbook", "needs the package 'openpyxl'", "pip install 'losslens[excel]'",
                   "save the sheet as CSV")
    assert "Traceback" not in err
    with pytest.raises(MissingExtraError) as info:
        losslens.read(path)
    assert info.value.extra == "excel"


#: The opening bytes of an OLE2 compound file (Excel 97-2003's .xls; an .xlsx saved with a password to open).
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 480


@pytest.mark.parametrize("name", ["run.ods", "run.xls", "locked.xlsx"])
def test_other_workbooks_stay_refused_naming_what_is_read(tmp_path, name):
    # LibreOffice's .ods and Excel 97-2003's .xls: a CSV or an .xlsx is what to save; an .xlsx with a password to
    # open is encrypted (an OLE2 file, no zip): a copy without it.
    path = tmp_path / name
    if name == "locked.xlsx":
        path.write_bytes(OLE2)
        _refused(path, "a password-protected Excel workbook", "without the password")
        return
    if name.endswith(".ods"):
        import zipfile
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            z.writestr("content.xml", "<office:document-content/>")
        what = "an OpenDocument spreadsheet (LibreOffice)"
    else:
        path.write_bytes(OLE2)
        what = "an Excel 97-2003 workbook"
    _refused(path, what, "as CSV or as an Excel workbook (.xlsx)")
