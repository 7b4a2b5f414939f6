"""The diagnosis's shortcuts (a basis computed once, values memoised, grids built once, facts copied without
deep-copying numbers) give exactly the numbers the long way gives, on curves real libraries logged."""

from dataclasses import asdict, fields, is_dataclass

import numpy as np
import pytest

import losslens
from losslens.facts import _plain
from losslens.forecasting import FAMILIES, _basis, _family_grids, _fit_family

from conftest import REPO

ECO = REPO / "tests" / "fixtures" / "ecosystem"
# PyTorch loops (an S-shaped training loss, a sigmoid MLP's slow validation loss), a DeepOBS run that blew up,
# a Keras net on wine: curves of different shapes and lengths.
CURVES = [("torch_forecast_long/relu_adam_bs512.csv", "val_loss"), ("torch_forecast_long/sigmoid_sgd.csv", "train_loss"),
          ("deepobs_blowup/adam_lr0.001.csv", None), ("capacity_or_floor/wine_w1.csv", "val_loss")]


def _normalised(path, metric):
    """(t, z) as forecast_curve fits them: the axis on [0, 1], the values centred and scaled by their range."""
    run = losslens.read(ECO / path)[0]
    x, y = run.finite(metric or run.default_metric())
    t = (x - x[0]) / (x[-1] - x[0])
    z = (y - np.median(y)) / np.ptp(y)
    return t, z


def _same(a, b) -> bool:
    """Exactly equal, NaN equal to NaN, arrays by value and dtype."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (float, np.floating)):
        return bool(a == b or (np.isnan(a) and np.isnan(b)))
    return bool(a == b)


@pytest.mark.parametrize("path,metric", CURVES)
def test_held_out_fit_on_a_shared_basis_is_the_fit_on_its_own(path, metric):
    # _ensemble computes each family's basis on the whole axis once and hands the held-out fit its first
    # columns: the fit must be the one its own basis gives, candidate for candidate, bit for bit.
    t, z = _normalised(path, metric)
    grids = _family_grids(float(np.min(np.diff(t))))
    n_fit = int(round(0.8 * t.shape[0]))
    for name in FAMILIES:
        if name == "const":
            continue
        whole = _basis(name, t, *grids[name])
        for c_min in (None, float(-np.median(z) - 0.2)):
            own = _fit_family(name, t[:n_fit], z[:n_fit], grids[name], 0.01, c_min=c_min)
            shared = _fit_family(name, t[:n_fit], z[:n_fit], grids[name], 0.01, c_min=c_min,
                                 basis=np.ascontiguousarray(whole[:, :n_fit]))
            for f in fields(own):
                if f.name != "_at":
                    assert _same(getattr(own, f.name), getattr(shared, f.name)), (name, f.name)


@pytest.mark.parametrize("path,metric", CURVES[:2])
def test_memoised_single_points_are_the_predictions(path, metric):
    t, z = _normalised(path, metric)
    grids = _family_grids(float(np.min(np.diff(t))))
    for name in FAMILIES:
        fit = _fit_family(name, t, z, grids.get(name), 0.01)
        for t1 in (1.0, 2.0, 3.7, 1.0):  # the last asks again: the memoised value
            want = fit.predict(np.array([t1]))[:, 0]
            got = fit.predict_at(t1)
            assert _same(np.asarray(got), np.asarray(want)), (name, t1)
        with pytest.raises(ValueError):
            fit.predict_at(1.0)[0] = 0.0  # shared by later calls: read-only


def test_grids_built_once_are_read_only_and_follow_the_step():
    a, b = _family_grids(0.01), _family_grids(1e-4)
    assert a["exp3"][0] is b["exp3"][0]
    with pytest.raises(ValueError):
        a["weibull"][1][0] = 9.0
    # pow3's offsets reach down to 1% of the axis step: built per step, not shared
    assert a["pow3"][1].min() == pytest.approx(1e-4) and b["pow3"][1].min() == pytest.approx(1e-5)
    assert a["pow3"][0].shape == (98,) and np.array_equal(a["pow3"][0], b["pow3"][0])


@pytest.mark.parametrize("path,metric", CURVES)
def test_facts_copied_as_asdict_copies_them(path, metric):
    d = losslens.diagnose(ECO / path, metric=metric)
    checked = 0
    for f in fields(d.facts):
        value = getattr(d.facts, f.name)
        if is_dataclass(value):
            assert _same(_plain(value), asdict(value)), f.name
            checked += 1
    assert checked >= 3
    whole = _plain(d.facts)
    assert _same(whole, asdict(d.facts))
    # Containers are new, as asdict's: the dict cannot reach into the facts.
    assert whole["plateau"]["interval"] == tuple(d.facts.plateau.interval)
    assert whole["plateau"]["interval"] is not d.facts.plateau.interval
