"""The JSON / command-line contract's gaps a walker found (walk 45): a torch loop's f-string tensors in a CSV, a
loss column of words, a run never finite given no forecast object, several paths where one gives no report, a
forecast that moved with the loss's units, and the forecast object's ``source`` / ``run``."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import losslens
from cli_helpers import refused, run_cli  # tests/cli_helpers.py

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE = Path(losslens.__file__).resolve().parent / "examples" / "keras_csvlogger.csv"
KERAS_NAN = FIXTURES / "ecosystem" / "keras_nan"


def _torch_loop_log(path: Path, cell) -> list[float]:
    """A tiny torch regression trained 12 epochs, each epoch's line written as a user's loop writes it,
    ``f.write(f"{epoch},{loss},{val_loss}\\n")`` with the tensors themselves (``cell`` turns each into its text);
    the validation losses as floats."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    torch.manual_seed(0)
    X = torch.randn(256, 4)
    y = X @ torch.randn(4, 1) + 0.1 * torch.randn(256, 1)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    vals = []
    with open(path, "w") as f:
        f.write("epoch,loss,val_loss\n")
        for epoch in range(12):
            loss = F.mse_loss(model(X[:192]), y[:192])
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                val = F.mse_loss(model(X[192:]), y[192:])
            f.write(f"{epoch},{cell(loss)},{cell(val)}\n")
            vals.append(float(val))
    return vals


def test_a_torch_loops_f_string_tensors_are_read_as_their_numbers(tmp_path):
    # str(tensor): "tensor(0.8123, grad_fn=<MseLossBackward0>)" for the training loss (its comma splits the CSV
    # cell), "tensor(0.7931)" for validation's. The val_loss column was dropped as text, and the training loss
    # diagnosed in its place with no word.
    path = tmp_path / "log.csv"
    vals = _torch_loop_log(path, str)
    assert "grad_fn=<MseLossBackward0>" in path.read_text()
    res = run_cli("diagnose", "--json", path)
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["metric"] == "val_loss" and d["length"] == 12
    assert any("tensor" in n and "read as the number" in n for n in d["notes"]), d["notes"]
    run = losslens.read(path)[0]
    # (torch prints 4 decimals)
    assert np.allclose(run.series["val_loss"], vals, atol=5.1e-5)
    assert np.isfinite(run.series["train_loss"]).all()


def test_numpy_scalar_reprs_are_read_as_their_numbers(tmp_path):
    # NumPy 2's repr of a scalar: "np.float32(0.7931)".
    path = tmp_path / "log.csv"
    vals = _torch_loop_log(path, lambda t: repr(np.float32(t.item())))
    assert "np.float32(" in path.read_text()
    run = losslens.read(path)[0]
    assert np.allclose(run.series["val_loss"], vals, rtol=1e-6)
    assert losslens.diagnose(path).metric == "val_loss"


_ONE_ELEMENT = {
    # str() of a 1-element tensor: "tensor([0.8123], grad_fn=<ViewBackward0>)" for the training loss (its comma
    # splits the CSV cell), "tensor([0.7931])" for validation's
    "tensor": lambda t: str(t.reshape(1)),
    # the same tensor on a GPU ("tensor([0.7931], device='cuda:0')"): its printed form, as this machine has none
    "tensor_cuda": lambda t: str(t.detach().reshape(1))[:-1] + ", device='cuda:0')",
    "list": lambda t: str([t.item()]),  # [0.7931...]: a loss appended to a list, the list written
    "array_repr": lambda t: repr(t.detach().numpy().reshape(1)),  # array([0.7931], dtype=float32)
    "array_str": lambda t: str(t.detach().numpy().reshape(1)),  # [0.7931]
    "numpy_0d": lambda t: repr(t.detach().numpy()),  # array(0.7931, dtype=float32)
}


@pytest.mark.parametrize("form", sorted(_ONE_ELEMENT))
def test_one_element_tensors_arrays_and_lists_are_read_as_their_number(tmp_path, form):
    # A loop that forgot .item() / [0] on a 1-element value: each such column "held no number" and the file was
    # refused (or, the CSV's comma cutting "tensor([0.81], grad_fn=...)", read as a text column).
    path = tmp_path / "log.csv"
    vals = _torch_loop_log(path, _ONE_ELEMENT[form])
    assert "[" in path.read_text() or "array(" in path.read_text()
    res = run_cli("diagnose", "--json", path)
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["metric"] == "val_loss" and d["length"] == 12
    assert any("read as the number" in n for n in d["notes"]), d["notes"]
    run = losslens.read(path)[0]
    assert np.allclose(run.series["val_loss"], vals, atol=5.1e-5)
    assert np.isfinite(run.series["train_loss"]).all()


def _two_elements(t):
    import torch

    return torch.stack([t.detach(), 2 * t.detach()])


@pytest.mark.parametrize("cell", [lambda t: str(_two_elements(t)), lambda t: str([t.item(), t.item()])])
def test_a_several_element_tensor_or_list_stays_an_error(tmp_path, cell):
    # A loss of one value per sample or per GPU: which of its numbers is the loss is not for a reader to guess.
    path = tmp_path / "log.csv"
    _torch_loop_log(path, cell)
    refused(path, "'loss'", "holds no number")


def test_a_loss_column_holding_no_number_is_an_error_naming_it(tmp_path):
    # A Keras CSVLogger log whose val_loss cells were written as 2-element tensors ("tensor([0.2820, 0.2820])"):
    # no number in the column. It was left out as a text column and val_accuracy diagnosed in its place.
    rows = list(csv.reader(EXAMPLE.open()))
    j = rows[0].index("val_loss")
    for r in rows[1:]:
        r[j] = f"tensor([{float(r[j]):.4f}, {float(r[j]):.4f}])"
    path = tmp_path / "keras_csvlogger.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    err = refused(path, "'val_loss'", "holds no number", "tensor([")
    assert "data row 1" in err


def test_a_text_column_named_for_its_loss_function_stays_text(tmp_path):
    # "loss_fn", "loss_type": names that hold "loss" but say which loss, in words: no curve, read as before.
    rows = list(csv.reader(EXAMPLE.open()))
    rows = [r + (["loss_fn"] if i == 0 else ["categorical_crossentropy"]) for i, r in enumerate(rows)]
    path = tmp_path / "keras_csvlogger.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    res = run_cli("diagnose", "--json", path)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metric"] == "val_loss"


@pytest.mark.parametrize("name", ["nan_plain.csv", "history.json", "console.txt"])
def test_a_run_never_finite_gets_its_withheld_forecast(name):
    # Keras at SGD 0.01 on inputs x3: NaN from the first epoch. diagnose reads it diverged, exit 0; forecast
    # printed nothing, exit 2, and losslens.forecast() raised NoLossError.
    path = KERAS_NAN / name
    res = run_cli("forecast", "--json", path)
    assert res.exit_code == 0, res.output
    fc = json.loads(res.stdout)
    assert fc["withheld"] == "diverged" and fc["value"] is None and fc["n_points"] == 0
    assert fc["source"] == str(path) and fc["horizon"] == 38  # (twice its 20 rows, from epoch 0)
    assert "never had a finite value" in fc["reason"]
    text = run_cli("forecast", "--stop-gain", "0.01", path)
    assert text.exit_code == 0 and "no finite value logged" in text.stdout, text.output
    api = losslens.forecast(path)
    assert api.withheld == "diverged" and api.p_improve is None
    assert losslens.diagnose(path).verdict == "diverged"


def test_a_folder_with_a_run_never_finite_gives_each_run_its_object():
    res = run_cli("forecast", "--json", KERAS_NAN)
    assert res.exit_code == 0, res.output
    objs = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(objs) == 3 and {o["withheld"] for o in objs} == {"diverged"}


def _cut(tmp_path: Path, name: str, rows: int) -> Path:
    """The example Keras CSVLogger log cut to its first ``rows`` epochs (a run stopped early)."""
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    path = tmp_path / name
    path.write_text("".join(lines[:1 + rows]))
    return path


def test_a_named_path_too_short_among_several_is_its_line_and_exit_2(tmp_path):
    # README: of several paths, each that cannot be read is its line and the others are reported, then exit 2.
    # A file named on the command line that gives no report is one; it was only "skipped ...", exit 0.
    one = _cut(tmp_path, "one.csv", 2)  # (2 values of val_loss: diagnose needs 3)
    res = run_cli("diagnose", "--json", EXAMPLE, one)
    assert res.exit_code == 2, res.output
    assert len(res.stdout.splitlines()) == 1 and json.loads(res.stdout)["run"] == "keras_csvlogger"
    err = res.stderr.strip()
    assert err.startswith(f"losslens: {one} ") and "too short" in err and "skipped" not in err, err
    report = run_cli("report", EXAMPLE, one, "-o", tmp_path / "r.html")
    assert report.exit_code == 2 and (tmp_path / "r.html").exists(), report.output


def test_several_named_paths_none_reported_each_get_their_line(tmp_path):
    one, two = _cut(tmp_path, "one.csv", 1), _cut(tmp_path, "two.csv", 2)
    res = run_cli("diagnose", one, two)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2 and str(one) in lines[0] and str(two) in lines[1], lines
    assert "more run" not in res.stderr


def test_a_short_run_inside_a_folder_stays_skipped_exit_0(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "full.csv")
    _cut(folder, "one.csv", 2)
    res = run_cli("diagnose", "--json", folder)
    assert res.exit_code == 0, res.output
    assert "skipped" in res.stderr and "one.csv" in res.stderr


def test_a_missing_path_is_exit_2_under_noise_floor_too(tmp_path):
    # with_noise_floor copied the runs into a plain list, which lost the paths that could not be read: exit 0.
    res = run_cli("diagnose", "--noise-floor", "0.01", tmp_path / "nosuch.csv", EXAMPLE)
    assert res.exit_code == 2, res.output
    # (with_offset_free made the same plain list: exit 0 under --offset-free until both state through one copy.)
    res = run_cli("diagnose", "--offset-free", tmp_path / "nosuch.csv", EXAMPLE)
    assert res.exit_code == 2, res.output


@pytest.mark.parametrize("scale", [1e-10, 1e-15])
def test_a_forecast_does_not_move_with_the_losss_units(scale):
    # The same curve in other units (a loss summed and divided by a large constant): 1e-12 floors in the curve's
    # units moved P(improve) 0.85 -> 0.70 at 1e-10 and the gain 1000x at 1e-15.
    run = losslens.read(EXAMPLE)[0]
    hist = {k: list(run.series[k]) for k in ("train_loss", "val_loss")}
    base = losslens.forecast(hist)
    small = losslens.forecast({k: [v * scale for v in vs] for k, vs in hist.items()})
    assert small.p_improve == pytest.approx(base.p_improve, abs=1e-6)
    assert small.gain == pytest.approx(base.gain, rel=1e-6)
    assert small.value / scale == pytest.approx(base.value, rel=1e-6)


def test_forecast_source_names_a_dict_of_unequal_lists_too():
    # A History with validation every 2nd epoch (Keras' validation_freq=2): "source" was null, "dict" for equal
    # lists.
    rows = list(csv.DictReader(EXAMPLE.open()))
    thinned = {"loss": [float(r["loss"]) for r in rows], "val_loss": [float(r["val_loss"]) for r in rows][1::2]}
    assert len(thinned["val_loss"]) * 2 == len(thinned["loss"])
    assert losslens.forecast(thinned).to_dict()["source"] == "dict"


def test_the_forecast_inside_diagnose_leaves_the_naming_to_the_diagnosis():
    # It said "source": null, "run": null inside a diagnosis naming both (a forecast of raw arrays says that);
    # `losslens forecast --json` prints schema, source, run, axis and then this object's keys.
    path = FIXTURES / "logs" / "keras_rlrop.csv"
    d = json.loads(run_cli("diagnose", "--json", path).stdout)
    fc = json.loads(run_cli("forecast", "--json", path).stdout)
    assert "source" not in d["forecast"] and "run" not in d["forecast"]
    assert (fc["source"], fc["run"]) == (d["source"], d["run"]) == (str(path), "keras_rlrop")
    assert d["forecast"]["axis"] == fc["axis"] == "epoch"


def test_data_limited_says_where_validation_was_last_finite(tmp_path):
    # The example log with val_loss NaN from epoch 60: "validation ends 0.36 above training" of a run whose
    # validation ended NaN.
    rows = list(csv.reader(EXAMPLE.open()))
    j = rows[0].index("val_loss")
    for r in rows[1:]:
        if int(r[0]) >= 60:
            r[j] = "nan"
    path = tmp_path / "keras_csvlogger.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    d = losslens.diagnose(path)
    assert d.verdict == "diverged"
    dl = next(c for c in d.causes if c.id == "data_limited")
    assert dl.evidence[0].startswith("validation's last finite value (epoch 59; NaN/inf from epoch 60) sits "), dl.evidence
