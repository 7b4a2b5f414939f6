"""The forecast benchmark's training-half mode: a change to the method is chosen on the half the
interval quantiles are fitted on, and the held-out half is neither forecast nor written over."""

import re

import pytest


def test_split_train_scores_the_training_half_only(shared_curves, capsys, monkeypatch):
    from benchmarks import forecast_eval as fe

    curves = fe.load_curves(shared_curves)
    first = {}
    for c in curves:  # the --limit 4 selection: the first 4 curves of each dataset
        first.setdefault(c.dataset, []).append(c)
    picked = [c for cs in first.values() for c in cs[:4]]
    training = [c for c in picked if not c.held_out]
    assert 0 < len(training) < len(picked)  # both halves among them, else the test proves nothing

    forecast = fe.forecast_curve
    seen = []

    def spy(x, y, horizon=None, **kw):
        seen.append(tuple(y[:5]))  # a curve's first points name it
        return forecast(x, y, horizon, **kw)

    monkeypatch.setattr(fe, "forecast_curve", spy)
    monkeypatch.setattr(fe, "CURVES", shared_curves)
    results = fe.RESULTS / "forecast.md"
    before = results.read_text()
    assert fe.main(["--split", "train", "--mcmc", "0", "--limit", "4"]) == 0
    out = capsys.readouterr().out
    assert results.read_text() == before  # printed, never written

    assert out.startswith("# Forecast benchmark (training half of the runs)")
    assert re.search(rf"^{len(training)} curves \(", out.splitlines()[2])
    assert "the held-out half was not forecast" in out
    # No held-out curve was forecast (nor timed): every curve forecast is a training-half one.
    train_keys = {tuple(c.y[:5]) for c in curves + fe.load_train_curves(shared_curves) if not c.held_out}
    held_keys = {tuple(c.y[:5]) for c in picked if c.held_out} - train_keys
    assert held_keys and seen and set(seen) <= train_keys


def test_split_column_follows_the_half(shared_curves):
    from benchmarks import forecast_eval as fe

    curves = fe.load_curves(shared_curves)
    some = [c for c in curves if c.dataset == "deepobs"][:6]
    df = fe.evaluate(some, mcmc_n=0, split="train")
    assert (df.scored == ~df.held_out).all() and df.scored.any() and (~df.scored).any()
    table = fe.table(df)
    rows = [r for r in table.splitlines() if r.startswith("| deepobs | 50% |")]
    n_train = int((df.scored & (df.frac == 0.5) & ~df.withheld).sum())
    assert rows and rows[0].split("|")[3].strip().split()[0] == str(n_train)
    with pytest.raises(ValueError):
        fe.evaluate(some, mcmc_n=0, split="test")
