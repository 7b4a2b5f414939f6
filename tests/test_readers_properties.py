"""Property-based tests (hypothesis): whatever the bytes, ``read()`` returns Runs or raises a
:class:`~losslens.exceptions.LosslensError` -- no other exception, no hang, no change to the file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losslens.exceptions import LosslensError
from losslens.readers import read
from losslens.run import Run

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"
FIXTURES = sorted(p for p in LOGS.rglob("*") if p.is_file() and p.suffix != ".py")
# LOSSLENS_FUZZ_EXAMPLES=5000 explores further (random seeds); CI replays the same examples.
_FUZZ = int(os.environ.get("LOSSLENS_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=_FUZZ or 100, deadline=None, derandomize=not _FUZZ,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _read_ok_or_clean_error(path: Path):
    """The property: Runs, or a one-line LosslensError naming the file; the file unchanged."""
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        runs = read(path)
    except LosslensError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(str(path)), msg
        runs = None
    else:
        assert runs and all(isinstance(r, Run) for r in runs)
        for r in runs:
            assert r.axis.ndim == 1 and all(v.shape == r.axis.shape for v in r.series.values())
            assert np.all(np.diff(r.axis) > 0)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    return runs


@SETTINGS
@given(data=st.binary(min_size=0, max_size=2000))
def test_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("b") / "log"
    path.write_bytes(data)
    _read_ok_or_clean_error(path)


@SETTINGS
@given(data=st.binary(max_size=500))
def test_random_bytes_behind_format_prefixes(tmp_path_factory, data):
    # Junk after a plausible start: a CSV header, a JSON opening, gzip magic, a TFRecord-ish head.
    for prefix in (b"epoch,loss,val_loss\n", b'{"log_history": [', b'{"loss": [', b"\x1f\x8b\x08", b"[{"):
        path = tmp_path_factory.mktemp("p") / "log"
        path.write_bytes(prefix + data)
        _read_ok_or_clean_error(path)


_TEXT = st.text(alphabet=st.sampled_from(list("epochlsvaridn_0123456789.,;\t|\n -+eEINFaN\"{}[]:")),
                max_size=400)


@SETTINGS
@given(text=_TEXT)
def test_random_table_like_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("t") / "log.csv"
    path.write_text(text)
    _read_ok_or_clean_error(path)


@SETTINGS
@given(fixture=st.sampled_from(FIXTURES), cut=st.floats(0.0, 1.0), zipped=st.booleans())
def test_truncated_real_logs(tmp_path_factory, fixture, cut, zipped):
    data = fixture.read_bytes()
    data = data[: int(len(data) * cut)]
    if zipped:
        data = gzip.compress(fixture.read_bytes())[: max(1, int(len(data) * cut))]
    path = tmp_path_factory.mktemp("c") / fixture.name
    path.write_bytes(data)
    _read_ok_or_clean_error(path)


_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e300, 1e300),
                    st.just(0.0), st.just(-1.0), st.just(float("nan")), st.just(float("inf")))


@SETTINGS
@given(loss=st.lists(_VALUES, min_size=1, max_size=40), val=st.lists(_VALUES, min_size=1, max_size=40),
       constant=st.booleans())
def test_keras_csv_with_nan_inf_huge_negative_constant_values(tmp_path_factory, loss, val, constant):
    n = min(len(loss), len(val))
    loss, val = loss[:n], val[:n]
    if constant:
        loss = [loss[0]] * n
    path = tmp_path_factory.mktemp("v") / "run.csv"
    lines = ["epoch,loss,val_loss"] + [f"{i},{'NA' if math.isnan(a) else repr(a)},{repr(b)}"
                                       for i, (a, b) in enumerate(zip(loss, val))]
    path.write_text("\n".join(lines) + "\n")
    runs = _read_ok_or_clean_error(path)
    has_value = any(not math.isnan(x) for x in loss + val)
    # Only an all-missing loss is refused; val_loss spelled "nan" on every row of two or more is a
    # run that diverged before its first value.
    assert (runs is not None) == (has_value or n >= 2)
    if runs:
        np.testing.assert_array_equal(runs[0].series["train_loss"], np.array(loss, dtype=float))
        np.testing.assert_array_equal(runs[0].series["val_loss"], np.array(val, dtype=float))


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda kids: st.lists(kids, max_size=6) | st.dictionaries(
                         st.sampled_from(["loss", "val_loss", "epoch", "step", "eval_loss", "history",
                                          "log_history", "lr", "run_id", "x"]), kids, max_size=6),
                     max_leaves=40)


@SETTINGS
@given(obj=_JSON, lines=st.booleans())
def test_random_json_and_json_lines(tmp_path_factory, obj, lines):
    path = tmp_path_factory.mktemp("j") / "log.json"
    if lines and isinstance(obj, list):
        path.write_text("\n".join(json.dumps(o) for o in obj) + "\n")
    else:
        path.write_text(json.dumps(obj))
    _read_ok_or_clean_error(path)


@SETTINGS
@given(rows=st.lists(st.fixed_dictionaries({"step": st.integers(-5, 50)}, optional={
    "loss": _VALUES, "eval_loss": _VALUES, "epoch": st.floats(0, 5), "learning_rate": _VALUES,
    "train_runtime": st.floats(0, 10), "eval_accuracy": st.one_of(_VALUES, st.text(max_size=3))}),
    max_size=30))
def test_random_trainer_states(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("h") / "trainer_state.json"
    path.write_text(json.dumps({"log_history": rows, "global_step": 50}))
    _read_ok_or_clean_error(path)


def test_one_row_logs(tmp_path):
    (tmp_path / "one.csv").write_text("epoch,loss,val_loss\n0,0.7,0.8\n")
    [run] = read(tmp_path / "one.csv")
    assert len(run) == 1 and run.series["val_loss"][0] == 0.8


def _write_million_rows(path: Path, n: int = 1_000_000) -> np.ndarray:
    rng = np.random.default_rng(0)
    loss = np.exp(-np.arange(n) / 2e5) + 0.01 * rng.random(n)
    val = np.where(np.arange(n) % 10 == 9, loss + 0.05, np.nan)
    with open(path, "w") as fh:
        fh.write("step,loss,val_loss,lr\n")
        body = "\n".join(f"{i},{a:.6g},{'NA' if b != b else f'{b:.6g}'},0.001"
                         for i, a, b in zip(range(n), loss, val))
        fh.write(body + "\n")
    return loss


@pytest.mark.slow
def test_million_row_csv(tmp_path):
    path = tmp_path / "big.csv"
    loss = _write_million_rows(path)
    [run] = read(path)
    assert len(run) == 1_000_000 and run.axis_name == "step"
    np.testing.assert_allclose(run.series["train_loss"], loss, rtol=1e-5)
    assert np.isfinite(run.series["val_loss"]).sum() == 100_000


@pytest.mark.slow
def test_hundred_thousand_step_trainer_state(tmp_path):
    rng = np.random.default_rng(0)
    log = []
    for s in range(1, 100_001):
        log.append({"epoch": s / 3125, "grad_norm": float(rng.random()), "learning_rate": 5e-5 * (1 - s / 1e5),
                    "loss": float(np.exp(-s / 2e4) + 0.1 * rng.random()), "step": s})
        if s % 3125 == 0:
            log.append({"epoch": s / 3125, "eval_loss": float(rng.random()), "eval_runtime": 3.0, "step": s})
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": log, "global_step": 100_000}, indent=2))
    [run] = read(path)
    assert len(run) == 100_000 and np.isfinite(run.series["val_loss"]).sum() == 32
