"""The benchmark's label rules, its scoring and its baselines, on real curves (fast)."""

import csv
import gzip
import json
from pathlib import Path

import sys

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks/ lives at the repository root, not in the package

from benchmarks import split_of  # noqa: E402
from benchmarks.labels import rules  # noqa: E402
import losslens  # noqa: E402
IMDB = "fchollet/deep-learning-with-python-notebooks:first_edition/3.5-classifying-movie-reviews.ipynb#cell32"
REUTERS = "fchollet/deep-learning-with-python-notebooks:first_edition/3.6-classifying-newswires.ipynb#cell27"


@pytest.fixture(scope="module")
def keras_curves(shared_curves):
    import pandas as pd
    frame = pd.read_csv(shared_curves / "keras_notebook_curves.csv", low_memory=False)
    return {rid: g.sort_values("epoch") for rid, g in frame.groupby("run_id")}


@pytest.fixture(scope="module")
def fmnist_adam(shared_curves):
    """DeepOBS fmnist_2c2d + Adam: {learning_rate: [test_loss curves]}."""
    import pandas as pd
    runs = pd.read_csv(shared_curves / "deepobs_baselines_runs.csv")
    runs = runs[(runs.testproblem == "fmnist_2c2d") & (runs.optimizer == "AdamOptimizer")]
    wanted = set(runs.run_id)
    rows = []
    with gzip.open(shared_curves / "deepobs_baselines_curves.csv.gz", "rt") as f:
        reader = csv.reader(f)
        header = next(reader)
        for row in reader:
            if row[0] in wanted:
                rows.append(row)
    frame = pd.DataFrame(rows, columns=header)
    for col in header[1:]:
        frame[col] = pd.to_numeric(frame[col])
    lr = {rid: float(f"{v:.6g}") for rid, v in zip(runs.run_id, runs.learning_rate)}
    out = {}
    for rid, g in frame.groupby("run_id"):
        out.setdefault(lr[rid], []).append(g.sort_values("epoch"))
    return out


def _run(curve):
    from losslens.run import Run
    series = {k: curve[k].to_numpy(dtype=float) for k in ("train_loss", "val_loss") if k in curve}
    return Run(curve.epoch.to_numpy(dtype=float), series, name="case")


# ------------------------------------------------------------------------------ rules
def test_plateau_x_is_designs_definition_on_a_real_curve(keras_curves):
    c = keras_curves[REUTERS]
    val, axis = c.val_loss.to_numpy(), c.epoch.to_numpy()
    x = rules.plateau_x(val, axis)
    i = int(np.flatnonzero(axis == x)[0])
    drop = val[0] - val.min()
    assert val[i] - val.min() <= 0.05 * drop
    assert np.all(val[:i] - val.min() > 0.05 * drop)
    assert rules.plateau_x(np.full(10, 2.3)) is None  # no drop, no plateau epoch


def test_overfitting_rule_on_the_keras_book_examples(keras_curves):
    for rid in (IMDB, REUTERS):
        c = keras_curves[rid]
        o = rules.overfitting(c.val_loss.to_numpy(), c.train_loss.to_numpy())
        assert o["holds"], rid
        assert o["rise"] >= rules.OVERFIT_RISE * o["drop"]
        assert o["train_end"] <= 0.95 * o["train_at_val_min"]
    # The training curve alone keeps falling: not an overfitting validation curve.
    c = keras_curves[IMDB]
    assert not rules.overfitting(c.train_loss.to_numpy())["holds"]


def test_converged_shape_needs_the_curve_to_end_at_its_floor(keras_curves):
    # handson-ml3 ch. 10 cell 92: val_loss falls 305.9 -> 0.37, then ends ~6x above that
    # minimum. Beside the 306-unit drop the rise is ~1%, which the drop test alone passed as
    # "converged"; a curve whose minimum is 15% or more below its end left its floor.
    c = keras_curves["ageron/handson-ml3:10_neural_nets_with_keras.ipynb#cell92"]
    val, train = c.val_loss.to_numpy(), c.train_loss.to_numpy()
    cv = rules.converged_shape(val, train)
    assert cv["rise_over_drop"] <= rules.CONVERGED_MAX_RISE  # the old test passed it
    assert rules.tail_level(val) >= 1.5 * np.nanmin(val)
    assert not cv["holds"]
    # A Keras-book curve that does sit at its floor still holds.
    held = [rid for rid, g in keras_curves.items()
            if rules.converged_shape(g.val_loss.to_numpy(), g.train_loss.to_numpy())["holds"]]
    assert len(held) >= 10


def test_growth_with_falling_train_loss_is_not_divergence(keras_curves):
    c = keras_curves[IMDB]
    val, train = c.val_loss.to_numpy(), c.train_loss.to_numpy()
    if rules.diverged(val) is None:
        pytest.skip("IMDB val loss does not grow 1.5x in this copy")
    assert rules.diverged(val, train=train) is None


def test_deepobs_lr_grid_gives_stuck_diverged_and_lr_labels(fmnist_adam):
    best_lr = max(fmnist_adam, key=lambda lr: len(fmnist_adam[lr]))
    assert len(fmnist_adam[best_lr]) == 10
    mean = np.nanmean([c.test_loss.to_numpy() for c in fmnist_adam[best_lr]], axis=0)
    ref_min = float(np.nanmin(mean))
    # lr 0.1: the test loss sits at ln(10) from the start (the best rate goes far lower).
    stuck = fmnist_adam[0.1][0].test_loss.to_numpy()
    s = rules.stuck(stuck, ref_min)
    assert s["holds"] and abs(s["l0"] - np.log(10)) < 0.05
    # lr 100: grows far above its start.
    assert rules.diverged(fmnist_adam[100.0][0].test_loss.to_numpy()) is not None
    # lr 0.0158: trains, but the best rate's mean reaches a >= 15% lower minimum.
    high = fmnist_adam[min(fmnist_adam, key=lambda lr: abs(lr - 0.0158))][0].test_loss.to_numpy()
    assert not rules.stuck(high, ref_min)["holds"]
    assert rules.gained(ref_min, float(np.nanmin(high)))


# ------------------------------------------------------------------------------ labels
def test_committed_real_labels_are_reproduced_by_the_rules(shared_curves):
    import pandas as pd

    from benchmarks.labels import real
    with open(real.LABELS, newline="") as f:
        committed = {r["case_id"]: r for r in csv.DictReader(f)}
    runs = pd.read_csv(shared_curves / "keras_notebook_runs.csv")
    curves = pd.read_csv(shared_curves / "keras_notebook_curves.csv", low_memory=False)
    rebuilt = real.label_shape("keras", runs, curves, "Keras val_loss")
    kept = [r for r in rebuilt if r["case_id"] in committed]
    assert len(kept) >= 50
    for r in kept:
        assert committed[r["case_id"]]["cause"] == r["cause"]
        assert json.loads(committed[r["case_id"]]["numbers"]) == json.loads(r["numbers"])
    for row in committed.values():
        assert row["rule"] and row["metric"] == "val_loss" and row["metric_source"]
        assert row["cause"] in rules_vocabulary()


def rules_vocabulary():
    from losslens.result import CAUSES
    return CAUSES


def test_split_is_fixed_and_holds_out_about_30_percent():
    with open(REPO / "benchmarks" / "labels" / "real_labels.csv", newline="") as f:
        ids = [r["case_id"] for r in csv.DictReader(f)]
    test = [i for i in ids if split_of(i) == "test"]
    assert 0.2 < len(test) / len(ids) < 0.4
    # Fixed: these held-out cases stay held out (rules were never tuned on them), in any process; a
    # salted hash() or another held-out share moves them. (split_of(x) == split_of(x) held either way.)
    assert [split_of(f"yolo/27hrs/YOLOv8:runs/detect/train{k}/results.csv") for k in (3, 4, 5)] == \
        ["train", "test", "test"]
    assert [split_of(f"keras/ageron/handson-ml2:10_neural_nets_with_keras.ipynb#cell{c}") for c in (94, 122)] == \
        ["train", "test"]


def test_generated_labels_carry_intervention_numbers_that_meet_their_rule():
    path = REPO / "benchmarks" / "scenarios" / "labels.csv"
    if not path.exists():
        pytest.skip("generated scenarios not built (python -m benchmarks.scenarios)")
    with open(path, newline="") as f:
        labels = list(csv.DictReader(f))
    causes = {r["cause"] for r in labels}
    assert {"converged", "overfitting", "lr_too_high", "lr_too_low", "underfitting", "no_signal",
            "diverged", "stuck_at_init", "still_improving"} <= causes
    for r in labels:
        n = json.loads(r["numbers"])
        if r["cause"] == "lr_too_high":
            slow = [v for k, v in n.items() if k.startswith("val_end_lr/10")][0]
            assert slow <= 0.85 * n["val_end"]
        elif r["cause"] == "lr_too_low":
            assert n["val_end_lr_x10"] <= 0.85 * n["val_end"]
        elif r["cause"] == "underfitting":
            assert n["train_end_bigger_model"] <= 0.70 * n["train_end"]
        elif r["cause"] == "no_signal":
            assert n["val_min"] > 0.9 * n["chance_loss_lnK"]
        elif r["cause"] == "data_limited":
            lc = {int(k): v for k, v in n["learning_curve_val_min"].items()}
            small, big = sorted(lc)[1], sorted(lc)[2]
            assert lc[big] <= 0.85 * lc[small]
        if r["x_true"]:
            assert 0 <= float(r["x_true"]) < float(r["length"])
    assert (REPO / "benchmarks" / "scenarios" / "curves.csv.gz").stat().st_size < 2_000_000


def test_a_generated_seed_gets_the_means_x_only_on_the_means_floor():
    """The 5-seed mean's X is a seed's truth only where the seed reaches the mean's floor L* (as the real
    part's seeds): under_digits' seed 0 stayed at ln 10 (2.30) while the others learned to ~1.6, and the
    mean's X = 36 (its slow fall) was scored against a run flat from epoch ~7."""
    path = REPO / "benchmarks" / "scenarios" / "labels.csv"
    if not path.exists():
        pytest.skip("generated scenarios not built (python -m benchmarks.scenarios)")
    with open(path, newline="") as f:
        labels = {r["case_id"]: r for r in csv.DictReader(f)}
    with gzip.open(REPO / "benchmarks" / "scenarios" / "curves.csv.gz", "rt", newline="") as f:
        val = {}
        for r in csv.DictReader(f):
            val.setdefault(r["case_id"], []).append(float(r["val_loss"]) if r["val_loss"] else np.nan)
    configs = {}
    for cid, r in labels.items():
        configs.setdefault(r["config"], []).append(cid)
    checked = 0
    for cfg, cids in configs.items():
        if len(cids) < 5 or not json.loads(labels[cids[0]]["numbers"]).get("mean_floor"):
            continue  # a seed dropped by its intervention is not stored: the mean cannot be rebuilt here
        mean = np.nanmean([val[c] for c in cids], axis=0)
        drop = mean[0] - np.nanmin(mean)
        for c in cids:
            n, r = json.loads(labels[c]["numbers"]), labels[c]
            assert n["seed_floor"] == pytest.approx(rules.floor_level(val[c]), abs=1e-5), c
            if rules.typical_seed(n["seed_floor"], rules.floor_level(mean), drop):
                assert float(r["x_true"]) == rules.plateau_x(mean), c
            else:
                assert r["x_true"] == "" and r["x_source"].startswith("none"), c
            checked += 1
    assert checked >= 50
    stuck = labels["gen/under_digits/seed0"]
    assert abs(rules.floor_level(val["gen/under_digits/seed0"]) - np.log(10)) < 0.01  # a uniform guess
    assert stuck["x_true"] == "" and stuck["x_source"].startswith("none")
    learned = labels["gen/under_digits/seed1"]
    assert float(learned["x_true"]) == 36.0  # the seeds on the mean's floor keep its X


def test_floor_level_is_the_best_of_a_curve_that_rose_after_it(keras_curves):
    c = keras_curves[IMDB]  # overfitting: validation's best, then a long rise
    val = c.val_loss.to_numpy()
    assert rules.floor_level(val) < rules.tail_level(val)
    assert val.min() <= rules.floor_level(val) <= np.sort(val)[2]


def test_the_x_seeds_study_scores_a_seed_against_its_groups_x_only_on_the_groups_floor():
    """benchmarks/x_seeds.py scores one seed's X against its 5-seed group's X only where the benchmark's labels
    give that seed the group's X: under_digits' seeds 1-3, not seed 0 (stuck at ln 10 while the others learned)
    nor seed 4 (learned to 0.97, the mean to 1.62)."""
    from benchmarks.scenarios.generate import CONFIGS
    from benchmarks.x_seeds import study
    from losslens.diagnosis import diagnose_run
    from losslens.run import Run
    path = REPO / "benchmarks" / "scenarios" / "curves.csv.gz"
    if not path.exists():
        pytest.skip("generated scenarios not built (python -m benchmarks.scenarios)")
    cols = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")
    hists = {}
    with gzip.open(path, "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["case_id"].startswith("gen/under_digits/seed"):
                h = hists.setdefault(int(r["case_id"][-1]), {k: [] for k in cols})
                for k in cols:
                    h[k].append(float(r[k]))
    assert sorted(hists) == [0, 1, 2, 3, 4]
    cfg = next(c for c in CONFIGS if c.name == "under_digits")
    res = study(cfg, hists)
    with open(REPO / "benchmarks" / "scenarios" / "labels.csv", newline="") as f:
        x_true = {int(r["seed"]): float(r["x_true"]) for r in csv.DictReader(f)
                  if r["config"] == "under_digits" and r["x_true"]}
    assert sorted(x_true) == [1, 2, 3]
    span = len(hists[0]["val_loss"]) - 1.0
    errors = []
    for s, x_group in x_true.items():
        run = Run(np.arange(span + 1), {k: np.asarray(v) for k, v in hists[s].items()}, "epoch",
                  meta={"classes": 10})
        x = diagnose_run(run, metric="val_loss", classes=10).plateau_epoch
        errors.append(abs((span if x is None else x) - x_group) / span * 100)
    assert res["losslens"]["vs_group"] == pytest.approx(np.mean(errors))
    assert res["seeds"] == 5 and res["on_floor_group"] == res["on_floor_all"] == len(x_true)


def test_a_run_that_grew_from_its_first_epochs_has_the_first_epoch_as_x():
    """gen/high_moons/seed4: SGD(0.3) on moons, whose training loss drifted up from epoch 1 to
    57% above its start. DESIGN's X with L* its (barely lower than the start) best is the first
    epoch; before, no X was given, which the benchmark scores as the last epoch."""
    from benchmarks import load_cases
    from losslens.diagnosis import diagnose_run

    (case,) = [c for c in load_cases(("generated",)) if c.case_id == "gen/high_moons/seed4"]
    d = diagnose_run(case.run, metric=case.metric)
    assert d.verdict == "diverged"
    assert d.plateau_epoch == case.run.axis[0]
    # Its best (a dip at epoch 2) is not the floor the 5-seed mean reached: the mean's X = 9 is not its truth.
    assert case.x_true is None


# ------------------------------------------------------------------------------ scoring
def test_macro_f1_matches_scikit_learn_on_real_labels():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    from benchmarks.score import macro_f1
    with open(REPO / "benchmarks" / "labels" / "real_labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    truth = [r["cause"] for r in rows]
    # A deterministic, imperfect prediction: every third label replaced by "converged".
    pred = [t if i % 3 else "converged" for i, t in enumerate(truth)]
    labels = sorted(set(truth))
    expected = sklearn_metrics.f1_score(truth, pred, labels=labels, average="macro", zero_division=0)
    assert macro_f1(truth, pred, labels) == pytest.approx(expected)


def test_x_error_is_a_percentage_of_run_length(keras_curves):
    from benchmarks import Case
    from benchmarks.baselines import Prediction
    from benchmarks.score import summarize, x_error
    run = _run(keras_curves[REUTERS])
    span = run.axis[-1] - run.axis[0]
    case = Case("c", "real", run, "val_loss", "overfitting", x_true=float(run.axis[3]), length=span)
    assert x_error(case, Prediction("overfitting", float(run.axis[5]))) == pytest.approx(100 * 2 / span)
    # No X predicted counts as "the last epoch".
    assert x_error(case, Prediction("still_improving", None)) == pytest.approx(100 * (span - 3) / span)
    s = summarize([case], {"c": Prediction("overfitting", float(run.axis[3]))}, "naive", 1.0)
    assert s["accuracy"] == 1.0 and s["x_error"] == 0.0 and s["plateau_f1"] == 1.0


def test_x_errors_list_every_train_case_with_a_truth_largest_first_and_average_to_the_table():
    """``losslens bench --x-errors`` (``python -m benchmarks --x-errors``): the per-case X errors the train split's
    X err cell averages (the generated cases, scored by the naive rule, which gives no X on a run it reads as still
    improving)."""
    from typer.testing import CliRunner

    from benchmarks import load_cases
    from losslens.cli import app
    result = CliRunner().invoke(app, ["bench", "--parts", "generated", "--methods", "naive", "--out", "-",
                                      "--x-errors"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    rows = [r.split("\t") for r in out.splitlines() if r.startswith("generated\t")]
    truth = {c.case_id: c.x_true for c in load_cases(("generated",)) if c.split == "train" and c.x_true is not None}
    assert sorted(r[1] for r in rows) == sorted(truth)
    assert all(float(r[5]) == truth[r[1]] for r in rows)
    errors = [float(r[-1]) for r in rows]
    assert errors == sorted(errors, reverse=True)
    table = out[out.index("### generated — train"):]
    cell = next(line for line in table.splitlines() if line.startswith("| naive |")).split("|")[7]
    assert np.mean(errors) == pytest.approx(float(cell), abs=0.06)
    assert any(r[4] == "\u2014" for r in rows)  # no X predicted: shown as such, scored as the last epoch


def test_bootstrap_interval_brackets_the_value_and_pairs_the_comparison(keras_curves):
    from benchmarks import Case
    from benchmarks.baselines import Prediction
    from benchmarks.score import uncertainty
    run = _run(keras_curves[REUTERS])
    span = run.axis[-1] - run.axis[0]
    causes = ["overfitting", "converged"] * 6
    cases = [Case(f"c{i}", "real", run, "val_loss", cause, x_true=float(run.axis[3]), length=span)
             for i, cause in enumerate(causes)]
    # losslens: every cause right, X off by one epoch on every case; naive: half the causes wrong
    # but X exact.
    preds = {"losslens": {c.case_id: Prediction(c.cause, float(run.axis[4])) for c in cases},
             "naive": {c.case_id: Prediction("converged", float(run.axis[3])) for c in cases}}
    f1 = uncertainty(cases, preds, ["losslens", "naive"], "macro_f1", reps=300)
    assert f1["value"] == 1.0 and f1["ci"] == (1.0, 1.0) and f1["p_target"] == 1.0
    assert f1["best"] == "naive" and f1["diff"] > 0 and f1["p_better"] == 1.0
    x = uncertainty(cases, preds, ["losslens", "naive"], "x_error", reps=300)
    one = 100 / span
    assert x["value"] == pytest.approx(one) and x["best_value"] == 0.0
    # Paired: every resample has the same one-epoch difference, so the interval is a point.
    assert x["diff_ci"] == pytest.approx((one, one)) and x["p_better"] == 0.0
    assert uncertainty(cases[:3], preds, ["losslens", "naive"], "x_error") is None  # too few cases


# ------------------------------------------------------------------------------ baselines
def test_keras_early_stopping_and_reduce_lr_on_plateau_find_the_imdb_minimum(keras_curves):
    pytest.importorskip("keras")
    pytest.importorskip("torch")
    from benchmarks.baselines import keras_early_stopping, torch_reduce_lr_on_plateau
    run = _run(keras_curves[IMDB])
    val = run.series["val_loss"]
    best = float(run.axis[int(np.nanargmin(val))])
    es = keras_early_stopping(run, "val_loss", 5)
    assert es.cause is None and es.x == best  # stopped; X = Keras's best_epoch
    assert keras_early_stopping(run.head(int(np.nanargmin(val)) + 2), "val_loss", 10).cause == "still_improving"
    rop = torch_reduce_lr_on_plateau(run, "val_loss")
    assert rop.cause is None or rop.cause == "still_improving"


def test_prechelt_criteria_fire_on_overfitting_only(keras_curves, fmnist_adam):
    from benchmarks.baselines import _prechelt
    run = _run(keras_curves[IMDB])
    best = float(run.axis[int(np.nanargmin(run.series["val_loss"]))])
    gl = _prechelt(run, "val_loss", "GL", 5.0)
    assert gl.cause == "overfitting" and gl.x == best
    # A steadily falling curve (DeepOBS fmnist, Adam at lr 1e-5) never triggers GL5 or UP3.
    slow = fmnist_adam[min(fmnist_adam)][0].rename(columns={"test_loss": "val_loss"})
    r = _run(slow)
    assert _prechelt(r, "val_loss", "GL", 5.0).cause is None
    assert _prechelt(r, "val_loss", "UP", 3).cause is None


def test_trainspotter_findings_map_onto_the_vocabulary(keras_curves):
    pytest.importorskip("trainspotter")
    from benchmarks.baselines import trainspotter_baseline, trainspotter_findings
    run = _run(keras_curves[IMDB])
    detectors = {f.detector for f in trainspotter_findings(run, "val_loss")}
    assert "overfitting" in detectors  # it sees the rise (and calls its growth a divergence too)
    p = trainspotter_baseline(run, "val_loss")
    assert p.cause == ("diverged" if "divergence" in detectors else "overfitting")


def test_losslens_bench_command_prints_the_table(shared_curves, tmp_path):
    from typer.testing import CliRunner

    from losslens.cli import app
    out = tmp_path / "diagnosis.md"
    result = CliRunner().invoke(app, ["bench", "--parts", "real", "--methods", "naive,prechelt_gl5",
                                      "--limit", "12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "| naive |" in result.output and "| prechelt_gl5 |" in result.output
    assert out.read_text().startswith("# Diagnosis benchmark")
    bad = CliRunner().invoke(app, ["bench", "--methods", "nosuch", "--limit", "1"])
    assert bad.exit_code == 2


def test_bench_names_an_extra_only_for_a_package_an_extra_installs(tmp_path):
    """A ModuleNotFoundError met while the benchmark is imported or scored: a baseline's framework missing is
    "bench needs keras: pip install ... 'losslens[bench]'" (exit 2); a module no extra installs (a losslens
    submodule gone, a typo'd import) is a bug, the internal-error line (exit 3), not advice that would not mend it."""
    import os
    import subprocess

    def bench(score_py: str):
        checkout = tmp_path / f"c{len(list(tmp_path.iterdir()))}"
        (checkout / "benchmarks").mkdir(parents=True)
        (checkout / "pyproject.toml").write_text("")
        (checkout / "benchmarks" / "__init__.py").write_text("")
        (checkout / "benchmarks" / "score.py").write_text(score_py)
        # A process of its own, run in the stand-in checkout: this one has imported the real benchmarks/.
        return subprocess.run([sys.executable, "-c", "from losslens.cli import main; main()", "bench", "--limit", "1"],
                              cwd=checkout, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(Path(losslens.__file__).parents[1])})

    for score_py in ("import losslens.no_such_part\ndef main(argv):\n    return 0\n",
                     "def main(argv):\n    import pandsa\n"):
        done = bench(score_py)
        assert done.returncode == 3, (score_py, done.stderr)
        assert "internal error (ModuleNotFoundError" in done.stderr and "pip install" not in done.stderr, done.stderr
    # A baseline's framework missing as it is scored (what `import keras` raises without Keras):
    done = bench("def main(argv):\n    raise ModuleNotFoundError(\"No module named 'keras'\", name='keras')\n")
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "losslens: bench needs keras: pip install torch==2.13.0 'losslens[bench]'"], done.stderr


@pytest.mark.slow
@pytest.mark.slower  # (90 s quiet, CI's longest pole; `python -m benchmarks.learned` reruns the same evaluation)
def test_learned_classifier_protocols():
    """benchmarks.learned: problems are grouped as documented, and on the generated part a model
    scored on problems it never saw does far worse than on the random split, where seeds of
    the same setup sit on both sides (the leak docs/benchmarks.md warns about)."""
    pytest.importorskip("sklearn")
    from benchmarks import load_cases
    from benchmarks.learned import evaluate, group_of

    assert group_of("deepobs/cifar10_3c3d/AdamOptimizer/x/random_seed__42") == "cifar10_3c3d"
    assert group_of("gen/high_reg/seed3") == "high_reg"
    assert group_of("keras/ageron/handson-ml2:10#cell1") == "keras"
    cases = [c for c in load_cases(("generated",))]
    (r,) = evaluate(cases)
    assert r["part"] == "generated" and r["groups"] >= 25
    assert r["learned_random"] > r["learned_lopo"] + 0.2
    assert 0.0 <= r["rules_test"] <= 1.0


def test_retraining_confirms_a_right_verdict_and_redirects_a_converged_reading_of_a_bouncing_run():
    """benchmarks/verify_eval.py on three generated cases, retrained for real: a linear
    regression at its noise floor is converged and stays so (a bigger model does not lower the
    validation loss); logistic regression on moons, its loss at 46% of ln 2 with train ≈ val, is
    underfitting and a model twice the size confirms it; SGD at a large constant step reads
    converged from its noisy tail, retraining finds lr/10 from the plateau lowers the loss, and the
    case ends lr_too_high, as labeled."""
    pytest.importorskip("torch")
    from benchmarks.scenarios.generate import load_generated_cases
    from benchmarks.verify_eval import evaluate, table

    cases = {c.case_id: c for c in load_generated_cases()}
    rows = evaluate([cases[k] for k in ("gen/conv_linreg/seed0", "gen/under_moons/seed1", "gen/high_reg/seed4")],
                    log=lambda s: None)
    conv, under, high = rows
    assert conv["verdict"] == conv["final"] == "converged" and conv["confirmed"] is True
    assert under["verdict"] == under["final"] == "underfitting" and under["confirmed"] is True
    assert high["label"] == "lr_too_high" and high["verdict"] == "converged" and high["confirmed"] is False
    assert high["final"] == "lr_too_high"
    assert "| all | 3 |" in table(rows)


@pytest.mark.slow
def test_verify_eval_counts_not_decided_apart_from_no_check():
    """benchmarks/verify_eval.py's table put verify's "not decided" (the case retrained, its change within the runs'
    own noise: an overfitting digits MLP) under "no check (stuck at init)", beside the stuck_at_init verdicts, which
    have no check: 17 train cases there, 2 of them retrained. Each now has its column, and the mistakes table and the
    log say which."""
    pytest.importorskip("torch")
    from benchmarks.scenarios.generate import load_generated_cases
    from benchmarks.verify_eval import evaluate, table

    cases = {c.case_id: c for c in load_generated_cases()}
    said = []
    stuck, undecided = evaluate([cases["gen/stuck_dead_moons/seed2"], cases["gen/over_digits/seed1"]],
                                log=said.append)
    assert stuck["verdict"] == "stuck_at_init" and undecided["verdict"] == "overfitting"
    assert stuck["confirmed"] is None and undecided["confirmed"] is None  # (the one value both had)
    assert said[0].endswith("(no check)") and said[1].endswith("(not decided)"), said
    head, _, *body = table([stuck, undecided]).splitlines()
    columns = [c.strip() for c in head.strip("|").split("|")]
    rows = {r.strip("|").split("|")[0].strip(): [c.strip() for c in r.strip("|").split("|")] for r in body}
    assert rows["all"][columns.index("not decided (within the noise)")] == "1"
    assert rows["all"][columns.index("no check (stuck at init)")] == "1"


@pytest.mark.slow
def test_a_temporary_plateau_is_checked_by_twice_the_epochs_and_asks_whether_a_bigger_model_goes_lower():
    """A deep linear net (generated case, retrained for real) sits at its initial loss for ~40
    epochs, drops and is still falling at 120: temporary_plateau. verify used to end "not
    checked"; now twice the epochs is its check (measured 0.142 -> 0.029) and a model twice the
    size, the follow-up, is tried although underfitting is not among the causes."""
    pytest.importorskip("torch")
    from benchmarks.scenarios.generate import CONFIGS, load_generated_cases
    from benchmarks.verify_eval import case_trainer
    from losslens.verification import verify

    case = next(c for c in load_generated_cases() if c.case_id == "gen/temp_deeplinear/seed1")
    cfg = next(c for c in CONFIGS if c.name == "temp_deeplinear")
    v = verify(case_trainer(cfg, 1), baseline=case.run, metric=case.metric, classes=case.classes, progress=False)
    assert v.diagnosis.verdict == "temporary_plateau" and "underfitting" not in v.diagnosis.cause_ids()
    (own,) = [r for r in v.results if r.check.cause == "temporary_plateau"]
    assert own.check.change == {"epochs_factor": 2.0} and own.holds and own.change_rel < -0.5
    assert v.confirmed is True and "verdict temporary_plateau: confirmed by retraining" in str(v)
    bigger = [r for r in v.results if r.check.cause == "underfitting"]
    assert len(bigger) == 2 and not any(r.shared for r in bigger) and bigger[0].check.change == {"size_factor": 2.0}


def test_underfitting_is_checked_whenever_the_diagnosis_lists_it():
    """A bigger model is the one change no other cause makes: underfitting's check runs at any
    status (a "possible" underfitting was left out with the other possibilities)."""
    import dataclasses

    from benchmarks.scenarios.generate import load_generated_cases
    from losslens.verification import checks_for

    case = next(c for c in load_generated_cases() if c.case_id == "gen/under_digits/seed2")
    d = losslens.diagnose(case.run, metric=case.metric, classes=case.classes)
    assert d.verdict == "lr_too_low" and "underfitting" in d.cause_ids()
    causes = [dataclasses.replace(c, status="possible") if c.id != d.verdict else c for c in d.causes]
    d = dataclasses.replace(d, causes=causes)
    asked = {c.cause for c in checks_for(d)}
    assert "underfitting" in asked and "still_improving" not in asked  # possible: only underfitting


def test_a_linear_model_on_moons_reads_underfitting_against_ln_k_whatever_its_first_loss():
    """The generated runs (real torch training, committed): logistic regression on moons starts
    anywhere from 0.57 to 1.03 by seed and flattens at 0.32, 46% of ln 2, with train ≈ val; a
    two-layer MLP on the same data flattens at 0.17 (24%). The first is underfitting on every seed
    (a bigger model lowered its training loss >= 30%), the second converged on every seed."""
    from benchmarks.scenarios.generate import load_generated_cases

    cases = [c for c in load_generated_cases() if c.case_id.split("/")[1] in ("under_moons", "conv_moons")]
    assert len(cases) == 10
    for c in cases:
        d = losslens.diagnose(c.run, metric=c.metric, classes=c.classes)
        if "under_moons" in c.case_id:
            assert d.verdict == "underfitting", c.case_id
            assert "of ln 2 = 0.6931" in d.causes[0].evidence[0]
        else:
            assert d.verdict == "converged", c.case_id
            assert "underfitting" not in {x.id for x in d.causes}


def test_no_committed_log_lists_a_surer_cause_without_saying_why():
    """A cause listed after the verdict with a higher confidence carries its 'ranked after it' reason
    (diagnosis._ranked_after): over every committed example and fixture log (~400 diagnoses of logs the real
    libraries wrote), none is left without one. The census is benchmarks.ranking's, which adds the shared curves."""
    from benchmarks import ranking

    rows = ranking.census()
    assert len(rows) > 300
    left = [(r["source"], r["verdict"], r["unexplained"]) for r in rows if r["unexplained"]]
    assert not left, left


def test_reliability_table_counts_every_scored_verdict_once():
    """``python -m benchmarks`` prints, per part and split, losslens's verdicts by the confidence it gave them;
    the bins hold every case of the split, and the Brier score and AUROC are those of scikit-learn."""
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    from typer.testing import CliRunner

    from benchmarks import load_cases
    from losslens.cli import app
    result = CliRunner().invoke(app, ["bench", "--parts", "generated", "--methods", "losslens", "--limit", "40",
                                      "--out", "-"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for split in ("held-out (test)", "train"):
        head = f"### generated — {split}: "
        n = int(out[out.index(head) + len(head):].split()[0])
        section = out[out.index(head):]
        table = section[section.index("| verdict confidence |"):].split("\n\n")[0].splitlines()[2:]
        assert [r.split("|")[1].strip() for r in table][:5] == ["< 0.6", "0.6–0.7", "0.7–0.8", "0.8–0.9", ">= 0.9"]
        counts = [int(r.split("|")[2]) for r in table]
        assert sum(counts) == n and n > 0
        own = section.split("\n### ")[0].split("\n## ")[0]
        assert "Brier score " in own and "AUROC of confidence" in own
        given = own[own.index("| verdict | verdicts |"):].split("\n\n")[0].splitlines()[2:]
        assert sum(int(r.split("|")[2]) for r in given) == n

    from benchmarks.baselines import losslens_method
    from benchmarks.score import reliability
    cases = load_cases(("generated",))[:40]
    preds = {c.case_id: losslens_method(c.run, c.metric, classes=c.classes) for c in cases}
    r = reliability(cases, preds)
    right = [preds[c.case_id].cause == c.cause for c in cases]
    conf = [preds[c.case_id].confidence for c in cases]
    assert r["n"] == r["scored"] == len(cases) == sum(b["n"] for b in r["bins"])
    # Per verdict given: every scored verdict once, its right ones and mean confidence its own.
    assert sum(v["n"] for v in r["by_verdict"]) == r["scored"]
    for v in r["by_verdict"]:
        mine = [c for c in cases if (preds[c.case_id].cause or "—") == v["verdict"]]
        assert v["n"] == len(mine) and v["right"] == sum(preds[c.case_id].cause == c.cause for c in mine)
        assert v["mean_conf"] == pytest.approx(np.mean([preds[c.case_id].confidence for c in mine]))
    assert sum(b["right"] for b in r["bins"]) == sum(right)
    assert r["brier"] == pytest.approx(sklearn_metrics.brier_score_loss(right, conf))
    if 0 < sum(right) < len(right):
        assert r["auroc"] == pytest.approx(sklearn_metrics.roc_auc_score(right, conf))


def test_the_underfit_probe_reads_the_train_split_only_and_shows_capacity_limited_runs_still_shedding_loss():
    """benchmarks/underfit_probe.py lists every train-split case where underfitting's level reading is a cause.
    On the generated part the runs a bigger model confirmed (under_moons seeds 1 and 3: a linear model on moons,
    a [64, 64] net lowered the training loss >= 30%) are read underfitting while their training loss still falls
    at its end (t < -3): the evidence that "a run still shedding loss is not capacity-limited" would lose real
    underfitting (docs/benchmarks.md). No held-out case is read."""
    if not (REPO / "benchmarks" / "scenarios" / "curves.csv.gz").exists():
        pytest.skip("generated scenarios not built (python -m benchmarks.scenarios)")
    from benchmarks.underfit_probe import probe
    rows = probe(("generated",))
    assert rows and all(split_of(r["case_id"]) == "train" for r in rows)
    confirmed = {r["case_id"]: r for r in rows if r["label"] == r["verdict"] == "underfitting"}
    assert {"gen/under_moons/seed1", "gen/under_moons/seed3"} <= set(confirmed)
    for r in confirmed.values():
        assert r["train_t"] < -3 and 0.40 <= r["level"] < 0.50  # still falling, ~46% of ln 2


def test_the_x_probe_reads_the_train_split_only_and_finds_seeds_that_leave_a_temporary_plateau_before_their_mean():
    """benchmarks/x_probe.py sets losslens's X beside each seed's own DESIGN X on every train-split case with a truth
    X. The generated temporary plateaus (a deep linear net's flat start, 5 seeds) are left at each seed's own epoch,
    and the truth, the 5-seed mean's X, is set by the late ones: seeds whose own raw-curve X is losslens's exactly
    still sit >= 8% of the run before it. That share of the generated X error is the seed's, which no reader of one
    run removes (docs/benchmarks.md). No held-out case is read."""
    if not (REPO / "benchmarks" / "scenarios" / "curves.csv.gz").exists():
        pytest.skip("generated scenarios not built (python -m benchmarks.scenarios)")
    from benchmarks.x_probe import group_of, probe
    rows = probe(("generated",))
    assert rows and all(split_of(r["case_id"]) == "train" and r["x_true"] is not None for r in rows)
    early = [r for r in rows if group_of(r["case_id"]).startswith("gen/temp_deeplinear")
             and r["x_own"] == r["x_losslens"] and r["x_own"] < r["x_true"] and r["err_own"] >= 8.0]
    assert len(early) >= 3, rows
    # The own X is DESIGN's on the seed's raw curve: the naive rule's X wherever that rule gives one.
    assert all(r["x_naive"] == r["x_own"] for r in rows if r["x_naive"] is not None)


def test_bench_writes_only_where_out_says_relative_to_the_folder_it_ran_in(tmp_path):
    """`losslens bench` run from any folder found the checkout and rewrote its tracked
    benchmarks/results/diagnosis.md (a new user's walk, from an unrelated folder). It prints the tables, writes
    no file unless --out names one, relative to where it ran, and says where it wrote."""
    import hashlib
    import os
    import subprocess

    committed = Path(losslens.__file__).resolve().parents[2] / "benchmarks" / "results" / "diagnosis.md"
    before = hashlib.md5(committed.read_bytes()).hexdigest()
    env = {**os.environ, "PYTHONPATH": str(Path(losslens.__file__).resolve().parents[1]), "KERAS_BACKEND": "torch"}

    def bench(*args):
        return subprocess.run([sys.executable, "-c", "from losslens.cli import main; main()", "bench", "--parts",
                               "generated", "--methods", "naive", "--limit", "3", *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)

    done = bench()
    assert done.returncode == 0, done.stderr
    assert "| naive |" in done.stdout and "--out FILE saves the tables" in done.stderr, done.stderr
    assert hashlib.md5(committed.read_bytes()).hexdigest() == before
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran either
    done = bench("--out", "mine.md")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine.md").read_text().startswith("# Diagnosis benchmark")
    assert f"wrote {tmp_path.resolve() / 'mine.md'}" in done.stderr, done.stderr
    assert hashlib.md5(committed.read_bytes()).hexdigest() == before


def test_python_m_benchmarks_writes_its_default_under_the_current_folder(tmp_path):
    """`python -m benchmarks` wrote the file next to its own module, wherever it ran: from the repository root that
    is the committed file (how it is regenerated), from elsewhere a file under the current folder."""
    import hashlib
    import os
    import subprocess

    committed = REPO / "benchmarks" / "results" / "diagnosis.md"
    before = hashlib.md5(committed.read_bytes()).hexdigest()
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'src'}", "KERAS_BACKEND": "torch"}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--parts", "generated", "--methods", "naive",
                           "--limit", "3"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "benchmarks" / "results" / "diagnosis.md"
    assert written.read_text().startswith("# Diagnosis benchmark")
    assert f"wrote {written.resolve()}" in done.stderr, done.stderr
    assert hashlib.md5(committed.read_bytes()).hexdigest() == before


def test_callback_overhead_epoch_end_runs_on_the_watcher_it_times():
    """benchmarks/callback_overhead.py's end-of-epoch section fed its rows through ``Watcher._append`` after that
    became the public ``Watcher.record`` (2026-12-05) and crashed with an AttributeError until session 50: run it on
    a short run so such a rename fails here."""
    from benchmarks.callback_overhead import epoch_end_time

    out = epoch_end_time(lengths=(30,), repeats=3)
    assert out[30]["diagnosed"] >= 1 and out[30]["end_epoch mean"] > 0, out
