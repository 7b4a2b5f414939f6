"""A stated noise floor weighs in every verdict, not only converged: at the floor no action promises a lower loss, a
bounce at the floor is not read as a step too large, and a converged loss far above it says so and names capacity.

Fixtures: tests/fixtures/ecosystem/stated_noise_floor (make.py: digits MLPs on 20% / 40% flipped labels and their
counterfactuals, a Keras MLP on breast_cancer with 20% flipped, a regression under MSE and MAE; make.out has each
run's floor and best)."""
from pathlib import Path

import pandas as pd

import losslens
from losslens.diagnosis import GAP_REMEDY, NOISE_FLOOR_NEAR

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "stated_noise_floor"
P40, P20, BC, SIGMA2 = 1.552, 0.940, 0.5004, 0.25  # (make.out: 1.5519, 0.9398)


def _best(name: str) -> float:
    return float(pd.read_csv(HERE / f"{name}.csv")["val_loss"].min())


def _promises_lower(actions) -> list[str]:
    """Actions that offer a way to a loss lower than the best reached: a gap remedy, a bigger model, less
    regularization, the capacity-or-floor run."""
    return [a for a in actions if getattr(a, "kind", None) == GAP_REMEDY or a.startswith("a bigger model")
            or "less regularization" in a or "simpler or smaller" in a or "more training data" in a]


def test_overfitting_at_the_floor_keeps_only_the_early_stop():
    """40% flipped labels, floor 1.552: best 1.700 (1.10x). Old code: "also likely: underfitting (63%) ... a bigger
    model ... less regularization" beside overfitting's "a simpler or smaller model", byte-identical with and without
    the floor. Twice the width reached 1.698: no model change goes lower."""
    assert _best("digits_p40_w32") > 0.99 * _best("digits_p40_w16")  # the premise: a bigger model gains nothing
    d = losslens.diagnose(HERE / "digits_p40_w16.csv", classes=10, noise_floor=P40)
    assert d.verdict == "overfitting"
    assert [c.id for c in d.causes] == ["overfitting"]
    v = d.causes[0]
    assert any("early stopping" in a for a in v.actions)
    assert not [a for c in d.causes for a in _promises_lower(c.actions)]
    assert any("noise floor 1.552" in e and "1.10x" in e for e in v.evidence)
    assert any("less noisy" in a for a in v.actions)
    # Without the floor the log alone cannot tell: the reading is as it was.
    bare = losslens.diagnose(HERE / "digits_p40_w16.csv", classes=10)
    assert "underfitting" in [c.id for c in bare.causes]
    assert not any("noise floor" in e for c in bare.causes for e in c.evidence)


def test_keras_overfitting_below_the_floor_offers_no_way_lower():
    """Keras, breast_cancer with 20% flipped, floor 0.5004: best 0.464 at epoch 1 (0.93x), then memorised. Old code
    offered "regularize / a simpler model / more training data" as ways lower."""
    d = losslens.diagnose(HERE / "keras_bc_p20.csv", noise_floor=BC)
    assert d.verdict == "overfitting"
    v = d.causes[0]
    assert v.actions[0].startswith("early stopping")
    assert not [a for c in d.causes for a in _promises_lower(c.actions)]
    assert not any(c.id in ("underfitting", "data_limited") for c in d.causes)
    assert any("noise floor 0.5004" in e for e in v.evidence)


def test_a_bounce_at_the_floor_is_not_a_step_too_large():
    """20% flipped, floor 0.940: the loss bounces at 1.082 (1.15x), read "lower the lr (try 1/10)" at 68% with
    underfitting 51% beside it. lr / 10 for 400 epochs ended no lower and its best was higher; 4x the width's best
    1.039 against 1.042."""
    base, slow = pd.read_csv(HERE / "digits_p20_w64.csv"), pd.read_csv(HERE / "digits_p20_w64_lr10.csv")
    assert slow.val_loss.min() > base.val_loss.min()
    assert slow.val_loss.iloc[-20:].median() > 0.98 * base.val_loss.iloc[-20:].median()
    assert _best("digits_p20_w256") > 0.99 * _best("digits_p20_w64")
    bare = losslens.diagnose(HERE / "digits_p20_w64.csv", classes=10)
    assert bare.verdict == "lr_too_high"  # the reading the floor corrects
    d = losslens.diagnose(HERE / "digits_p20_w64.csv", classes=10, noise_floor=P20)
    assert d.verdict == "converged"
    assert any("noise floor 0.94 " in e for e in d.causes[0].evidence)
    high = next(c for c in d.causes if c.id == "lr_too_high")
    assert high.status == "possible" and high.confidence <= 0.5
    assert any("noise floor" in e for e in high.evidence)
    assert not any(c.id == "underfitting" for c in d.causes)
    assert not _promises_lower(d.causes[0].actions)


def test_the_longer_run_at_lr_over_10_is_not_underfitting_at_the_floor():
    """lr / 10 for 400 epochs (1.069 best, 1.14x) read underfitting as its verdict in old code."""
    d = losslens.diagnose(HERE / "digits_p20_w64_lr10.csv", classes=10, noise_floor=P20)
    assert d.verdict == "converged"
    assert not any(c.id == "underfitting" for c in d.causes)


def test_converged_far_above_its_floor_says_it_and_names_capacity():
    """A linear model on a nonlinear function, 3.9x its noise variance 0.25: old code read converged with the floor
    nowhere; a 64-64 net reaches 0.270."""
    assert _best("reg_mlp") < NOISE_FLOOR_NEAR * SIGMA2 < _best("reg_linear") / 3
    d = losslens.diagnose(HERE / "reg_linear.csv", noise_floor=SIGMA2)
    assert d.verdict == "converged"
    v = d.causes[0]
    assert any("3.94x the data's noise floor 0.25" in e for e in v.evidence)
    assert v.numbers["noise_floor_ratio"] > 3.5
    assert any(a.startswith("a bigger model") for a in v.actions)
    # The net that reaches the floor is read at it, with no capacity route.
    mlp = losslens.diagnose(HERE / "reg_mlp.csv", noise_floor=SIGMA2)
    assert mlp.verdict == "converged"
    assert any("less noisy targets" in a for a in mlp.causes[0].actions)
    assert not [a for c in mlp.causes for a in _promises_lower(c.actions)]


def test_the_floor_is_a_noise_variance_only_under_mse():
    """Under MAE the floor is sigma sqrt(2/pi), no variance: old code called it "the targets' noise variance"."""
    d = losslens.diagnose(HERE / "reg_mae.csv", noise_floor=0.3989)
    assert d.verdict == "converged"
    ev = " ".join(d.causes[0].evidence)
    assert "the data's noise floor 0.3989" in ev
    assert "variance" not in ev


def test_diagnose_json_states_the_floor_it_read_against_as_it_states_the_baseline():
    """--json said a stated --baseline-loss (facts.baseline_loss) and not a stated --noise-floor, though the floor
    moved the verdict's evidence and actions: the floor was in the JSON only where it held a quoted forecast. The
    command line is what a CI job reads."""
    import json

    from typer.testing import CliRunner

    from losslens.cli import app

    path = str(HERE / "digits_p40_w16.csv")
    out = CliRunner().invoke(app, ["diagnose", path, "--classes", "10", "--noise-floor", str(P40),
                                   "--baseline-loss", "2.3", "--json"])
    assert out.exit_code == 0, out.output
    facts = json.loads(out.stdout)["facts"]
    assert facts["noise_floor"] == P40 and facts["baseline_loss"] == 2.3
    bare = json.loads(CliRunner().invoke(app, ["diagnose", path, "--classes", "10", "--json"]).stdout)["facts"]
    assert "noise_floor" not in bare and "baseline_loss" not in bare  # (absent where not stated, as before)
    train = json.loads(CliRunner().invoke(app, ["diagnose", path, "--classes", "10", "--noise-floor", str(P40),
                                                "--metric", "train_loss", "--json"]).stdout)["facts"]
    assert "noise_floor" not in train  # (a training loss is not bounded by it: stated_noise_floor)
