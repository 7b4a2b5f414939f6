"""Variants that make each phenomenon real: each trains for real and must be named by the diagnosis."""

import numpy as np
import pytest

pytest.importorskip("torch")

from losslens.lab import variants  # noqa: E402


def test_learning_curve_slope_and_rule():
    """A power law loss = n^-0.5 gives slope -0.5 and data_limited; a flat curve gives neither."""
    sizes = [100, 200, 400, 800]
    rng = np.random.default_rng(0)
    falling = {n: n ** -0.5 * (1 + 0.01 * rng.standard_normal(3)) for n in sizes}
    lc = variants.learning_curve(falling)
    assert lc.slope == pytest.approx(-0.5, abs=0.05)
    cause = variants.learning_curve_cause(lc)
    assert cause is not None and cause.id == "data_limited"
    # 1 - 2**(-0.5) = 29% on the exact power law; the slope is damped (x0.8, fitted on LCDB's real
    # curves, which bend flat) before extrapolating: 1 - 2**(-0.4) = 24%.
    assert cause.numbers["gain_if_doubled"] == pytest.approx(1 - 2 ** (0.8 * lc.slope), abs=1e-9)
    assert 0.22 < cause.numbers["gain_if_doubled"] < 0.26
    # The line quoting the curve's values, which the data variant's findings leave out (they quote the curve), is
    # found by its kind, not its words.
    from losslens.facts.learning_curve import CURVE_VALUES

    quoted = [e for e in cause.evidence if getattr(e, "kind", None) == CURVE_VALUES]
    assert len(quoted) == 1 and quoted[0].startswith("learning curve (") and "800: " in quoted[0]
    flat = {n: 0.3 * (1 + 0.01 * rng.standard_normal(3)) for n in sizes}
    assert variants.learning_curve_cause(variants.learning_curve(flat)) is None


def test_overfit_variant_is_named_and_the_simple_model_fixes_it():
    res = variants.overfit(seeds=range(3), epochs=400)
    deep, lin, wd = res.arm("overfit_deep"), res.arm("overfit_linear"), res.arm("overfit_weight_decay")
    assert res.named, res.text()
    assert np.all(deep.final("loss") < 0.25)                       # fits below the noise floor
    assert np.all(lin.final("val_loss") < deep.final("val_loss"))  # the simpler model generalises better
    assert np.all(wd.final("val_loss") < deep.final("val_loss"))
    assert not lin.verdicts().get("overfitting")


@pytest.mark.slow
def test_data_variant_learning_curve_says_data_limited():
    pytest.importorskip("sklearn")
    res = variants.data_limited(seeds=range(3), per_class=(20, 50, 100), steps=600, augment=False)
    lc = res.extra["learning_curve"]
    assert np.all(np.diff(lc.losses.mean(0)) < 0)   # more data, lower validation loss
    assert res.named, res.text()
    assert res.extra["cause"].id == "data_limited"


def test_lr_variant_is_named_and_decay_sits_lower():
    res = variants.lr_too_high(seeds=range(5))
    fixed, decayed = res.arm("lr_sgd_fixed"), res.arm("lr_sgd_decayed")
    tail = lambda a: a.curves("val_loss")[:, -15:]  # noqa: E731
    assert np.mean(tail(decayed).mean(1) < tail(fixed).mean(1)) >= 0.8
    assert np.all(tail(fixed).std(1) > 5 * tail(decayed).std(1))  # the fixed step bounces
    # The diagnosis lists lr_too_high for most seeds of the fixed step and for none of the decayed
    # one. As the *verdict* it wins only 2-3 of 5 seeds (no_signal / converged take the rest):
    # reported to the diagnosis owner, not tuned away here.
    mentioned = [any(c.id == "lr_too_high" for c in d.causes) for d in fixed.diagnoses]
    assert sum(mentioned) >= 3, res.text()
    assert not any(c.id == "lr_too_high" for d in decayed.diagnoses for c in d.causes)


def test_cli_lab_variants_lr_writes_runs_and_report(tmp_path):
    from typer.testing import CliRunner

    from losslens.cli import app

    r = CliRunner().invoke(app, ["lab", "variants", "lr", "--seeds", "2", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "Variant 3" in r.output and "lr_too_high" in r.output
    runs = sorted(p.name for p in (tmp_path / "runs").glob("variant_lr_*.json"))
    assert len(runs) == 6 and (tmp_path / "variants.md").exists()
