"""The lab: batched training equals one-model-at-a-time training, Keras's defaults, real short runs,
saved runs readable by ``losslens diagnose``, the CLI."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losslens.lab import data, nets, train  # noqa: E402
from losslens.lab.experiments import EXP1, EXP2, EXP3  # noqa: E402

# The lab trains on one torch thread (runner.run_seed_lab's threads=1); the tests that call train_arm or verify_arm
# directly trained on torch's default two, whose spinning made the conv net's test take 640 s on the busy 2 cores.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_batched_layers_equal_independent_models():
    """Each seed's copy computes exactly what a lone model with its weights computes."""
    seeds = [0, 1, 2]
    net = nets.convnet((3, 32, 32), 5, seeds)
    x = torch.rand(3, 4, 3, 32, 32)
    y = net(x)
    conv, d1, d2 = net.layers
    for s in range(3):
        h = torch.nn.functional.conv2d(x[s], conv.weight[32 * s:32 * (s + 1)], conv.bias[32 * s:32 * (s + 1)])
        h = torch.nn.functional.max_pool2d(torch.relu(h), 2).flatten(1)
        h = torch.relu(h @ d1.weight[s] + d1.bias[s])
        assert torch.allclose(h @ d2.weight[s] + d2.bias[s], y[s], atol=1e-5)


def test_seed_copies_train_independently():
    """A seed's history does not depend on which other seeds train beside it."""
    split = lambda s: data.linear_1d(s, n_train=64, n_val=32)  # noqa: E731
    both = train.fit(nets.linear(1, [3, 4]), train.Data.stack([split(3), split(4)]), [3, 4], epochs=3)
    alone = train.fit(nets.linear(1, [4]), train.Data.stack([split(4)]), [4], epochs=3)
    np.testing.assert_allclose(both[1]["val_loss"], alone[0]["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(both[1]["grad_norm"], alone[0]["grad_norm"], rtol=1e-5)


def test_keras_defaults():
    net = nets.mlp(2, (64,), 1, [0, 1])
    w = net.layers[0].weight.detach()
    limit = np.sqrt(6 / (2 + 64))
    assert float(w.abs().max()) <= limit and float(w.abs().max()) > 0.8 * limit  # glorot-uniform
    assert float(net.layers[0].bias.detach().abs().max()) == 0.0                         # zero biases
    opt = train.make_optimizer(net, "adam", 1e-3)
    assert opt.defaults["eps"] == 1e-7 and opt.defaults["lr"] == 1e-3
    sgd = train.make_optimizer(net, "sgd", 0.01)
    assert sgd.defaults["momentum"] == 0.0


def test_article_data_matches_the_articles_numpy_calls():
    np.random.seed(7)
    x = np.random.rand(1000, 2)
    y = 2 * x[:, 0] + 3 * x[:, 1] + np.random.normal(0, 0.1, 1000)
    xt, yt, xv, yv = data.linear_2d(7)
    np.testing.assert_array_equal(x, xt)
    np.testing.assert_array_equal(y, yt)
    assert xv.shape == (200, 2) and yv.shape == (200,)
    xi, yi, _, _ = data.random_images(0)
    assert xi.shape == (100, 3, 32, 32) and set(np.unique(yi)) <= set(range(5))


def test_history_is_keras_style_and_records_lr_and_grad_norm():
    seeds = [0, 1]
    d = train.Data.stack([data.linear_1d(s, n_train=100, n_val=20) for s in seeds])
    hist = train.fit(nets.linear(1, seeds), d, seeds, optimizer="sgd", lr=0.01, epochs=4,
                     lr_schedule=lambda e: 0.01 / (1 + e))
    h = hist[0]
    assert h["epoch"] == [0, 1, 2, 3]
    assert set(h) == {"epoch", "loss", "val_loss", "lr", "grad_norm"}
    assert h["lr"] == pytest.approx([0.01, 0.005, 0.01 / 3, 0.0025])
    assert all(g > 0 for g in h["grad_norm"])
    assert h["loss"][-1] < h["loss"][0]


def test_short_seed_lab_saves_runs_that_diagnose_reads(tmp_path):
    """Every experiment for 2 seeds x 6 epochs: runs saved as JSON, read back by losslens."""
    import losslens
    from losslens.lab import report, runner

    res = runner.run_seed_lab(range(2), epochs=6)
    assert [e.experiment.key for e in res.experiments] == ["exp1", "exp2", "exp3"]
    paths = runner.save_runs(res.arms(), tmp_path)
    assert len(paths) == 10
    saved = json.loads(paths[0].read_text())
    assert {"epoch", "loss", "val_loss", "lr", "grad_norm", "meta"} <= set(saved)
    assert saved["meta"]["seed"] == 0 and saved["meta"]["framework"] == "torch"
    img = json.loads((tmp_path / "runs" / "exp2_random_images_seed1.json").read_text())
    assert {"accuracy", "val_accuracy"} <= set(img) and img["meta"]["classes"] == 5
    run = losslens.read(str(paths[0]))[0]
    assert run.has("train_loss") and run.has("val_loss") and run.has("grad_norm") and run.has("lr")
    assert len(run) == 6
    text = report.lab_text(res)
    assert "The article says" in text and "losslens's diagnosis" in text and "2 seeds" in text
    for arm in res.arms():
        assert len(arm.diagnoses) == 2
    # What the runs show was measured on 50-epoch runs: 6 epochs are not judged against it (before: "losslens
    # agrees ... for 0/5" and "DISAGREES: the runs show converged" of a deep net whose loss fell 98% in 4 epochs).
    assert all(arm.agrees() is None for arm in res.arms())
    assert "DISAGREES" not in text and "agrees with what the runs show for" not in text
    assert "not compared: what the runs show (converged) was measured at 50 epochs, these ran 6" in text
    assert "(at the article’s 50 epochs; these ran 6)" in text


@pytest.fixture(scope="module")
def seed_lab_3():
    """The article's experiments as written, seeds 0-2 x 50 epochs, trained once for the two tests that read them
    (each seed's run is the same whichever experiments train beside it: the counterfactuals' test trained
    experiments 1 and 3 again). Those tests share an xdist_group so one worker trains it."""
    from losslens.lab import runner

    return runner.run_seed_lab(range(3))


@pytest.mark.slow
@pytest.mark.xdist_group("seed_lab_3")
def test_seed_lab_honest_outcome(seed_lab_3):
    """The article's experiments as written, 3 seeds x 50 epochs: the measurements of DEVELOPERS.md."""
    e1, e2, e3 = seed_lab_3.experiments
    mlp, lin = e1.arm("exp1_complex"), e1.arm("exp1_linear")
    # the deep net sits at the noise floor (0.01) with no train/validation gap; the linear one is far above
    assert np.all(mlp.final("val_loss") < 2 * EXP1.noise_floor)
    assert np.all(np.abs(mlp.final("val_loss") - mlp.final("loss")) < EXP1.noise_floor)
    assert np.all(lin.final("val_loss") > 10 * EXP1.noise_floor)
    # random labels: validation accuracy at chance (20 validation images: 2 binomial sds = 0.18)
    img = e2.arm("exp2_random_images")
    assert abs(img.curves("val_accuracy")[:, -10:].mean() - EXP2.chance) < 0.18
    # SGD(0.01) ends lower than Adam(1e-3), both still falling over the last 10 epochs
    sgd, adam = e3.arm("exp3_sgd"), e3.arm("exp3_adam")
    assert np.all(sgd.final("val_loss") < adam.final("val_loss"))
    for a in (sgd, adam, lin):
        assert np.all(a.curves("val_loss")[:, -1] < a.curves("val_loss")[:, -11])
    # losslens's verdicts on the regression experiments
    assert mlp.verdicts()["converged"] >= 2 and not mlp.verdicts().get("overfitting")
    assert lin.verdicts()["lr_too_low"] == 3
    assert sgd.verdicts()["lr_too_low"] >= 2 and adam.verdicts()["lr_too_low"] >= 2


@pytest.mark.slow
@pytest.mark.xdist_group("seed_lab_3")
def test_the_lab_verdicts_hold_under_their_counterfactuals(seed_lab_3):
    """Experiment 3's SGD(0.01) reads lr_too_low; retrained at 10x the rate (losslens.verify,
    3 seeds) it ends at the noise floor and reads converged. Experiment 1's MLP reads converged;
    twice the epochs gain < 2%. The diagnoses hold by intervention."""
    from losslens.lab import runner

    e1, _, e3 = seed_lab_3.experiments
    lab = runner.LabResult([e1, e3], seed_lab_3.seeds, seed_lab_3.seconds, seed_lab_3.threads)
    assert runner.verify_lab(lab) > 0
    sgd, mlp = lab.experiments[1].arm("exp3_sgd"), lab.experiments[0].arm("exp1_complex")
    assert sgd.majority() == "lr_too_low" and sgd.verification.confirmed is True
    (r,) = sgd.verification.results
    assert r.check.change == {"lr_factor": 10.0} and r.value < 1.1 * EXP3.noise_floor < r.baseline
    assert r.verdicts.count("converged") >= 2
    assert mlp.majority() == "converged" and mlp.verification.confirmed is True
    more, slower = mlp.verification.results
    assert more.check.change == {"epochs_factor": 2.0} and more.change_rel > -0.02
    assert slower.check.change["lr_factor"] == 0.1 and slower.change_rel > -0.15


def test_cli_lab_rejects_bad_options(tmp_path):
    from typer.testing import CliRunner

    from losslens.cli import app

    r = CliRunner().invoke(app, ["lab", "seed", "--framework", "jax", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "torch or keras" in r.output
    r = CliRunner().invoke(app, ["lab", "variants", "bogus", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "'bogus' is not one of 'overfit', 'data', 'lr'" in r.output, r.output
    # The CLI's names are the lab's variants (kept apart so the CLI imports no torch).
    from losslens.commands.lab import Variant
    from losslens.lab import variants
    assert [v.value for v in Variant] == list(variants.VARIANTS)


def test_cli_lab_variants_help_names_the_variants():
    """Its help showed the argument as `which... <list[str]>`; it names what it takes."""
    from typer.testing import CliRunner

    from losslens.cli import app

    r = CliRunner().invoke(app, ["lab", "variants", "--help"])
    assert r.exit_code == 0 and "list[str]" not in r.output, r.output
    assert "NAME <list[overfit|data|lr]>" in r.output and "[NAME]..." in r.output, r.output


def test_cli_lab_seed_writes_report(tmp_path):
    from typer.testing import CliRunner

    from losslens.cli import app

    out = tmp_path / "lab"
    r = CliRunner().invoke(app, ["lab", "seed", "--seeds", "2", "--epochs", "5", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert (out / "report.md").exists() and "wrote" in r.output
    assert len(list((out / "runs").glob("*.json"))) == 10
    report = (out / "report.md").read_text()
    assert "3. Optimizer limits" in report and "checked by retraining" in report
    # The page the demo sends a reader to ("open the report: report.html") held only the runs and the
    # retraining lines, none of the article's claims nor the figures measured against them.
    import html
    page = html.unescape((out / "report.html").read_text())
    for line in report.splitlines():
        line = line.strip().removeprefix("- ")
        if line.startswith(("The article says", "What a run as written shows", "losslens agrees", "Its verdict")):
            assert line in page, line
    assert "checked by retraining (2 seeds, means)" in page
    assert "<li>linear, SGD(0.01)<ul><li>final train loss" in page and "val loss / noise floor 0.01 = " in page


def test_band_agreement_counts_epochs_inside_the_seed_band():
    from losslens.lab.compare import band_agreement

    rng = np.random.default_rng(0)
    seeds = np.exp(np.log(np.linspace(1.0, 0.1, 30)) + 0.1 * rng.standard_normal((5, 30)))
    inside = band_agreement("val_loss", seeds.mean(0), seeds)
    assert inside.inside == 1.0 and abs(inside.final_z) < 1
    outside = band_agreement("val_loss", seeds.mean(0) * 3, seeds)   # 3x off on a log scale
    assert outside.inside == 0.0 and outside.final_z > 2
    acc = band_agreement("val_accuracy", np.full(30, 0.2), np.full((5, 30), 0.2) + 0.01 * rng.standard_normal((5, 30)))
    assert acc.inside > 0.8


@pytest.mark.slow
def test_keras_article_code_runs_and_is_compared(tmp_path):
    """The article's Keras code (experiment 3, 5 epochs) against 3 PyTorch seeds of the same experiment."""
    pytest.importorskip("keras")
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    from losslens.lab import compare, runner

    lab = runner.run_seed_lab(range(3), epochs=5, experiments=(EXP3,))
    comps = compare.compare_keras(lab, seed=0, epochs=5)
    assert [c.arm_key for c in comps] == ["exp3_sgd", "exp3_adam"]
    for c in comps:
        assert len(c.history["val_loss"]) == 5 and c.diagnosis is not None
        assert {g.key for g in c.curves} == {"loss", "val_loss"}
    text = "\n".join(compare.comparison_text(comps, lab))
    assert "inside band" in text and "Keras seed 0" in text


def test_cli_lab_seed_runs_one_article_example_by_its_name_for_one_seed(tmp_path):
    """A reader of the article runs its Example 3 alone, once: ``-e optimizer -n 1`` (before: no way to
    pick an experiment, and ``--seeds`` had to be >= 2). The report names it and quotes no spread."""
    from typer.testing import CliRunner

    from losslens.cli import app
    from losslens.commands.lab import ArticleExperiment
    from losslens.lab.experiments import SEED_EXPERIMENTS

    assert [e.value for e in ArticleExperiment] == [e.name for e in SEED_EXPERIMENTS]
    out = tmp_path / "lab"
    r = CliRunner().invoke(app, ["lab", "seed", "-e", "optimizer", "-n", "1", "--epochs", "5", "--no-verify",
                                 "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (out / "runs").glob("*.json")) == ["exp3_adam_seed0.json", "exp3_sgd_seed0.json"]
    report = (out / "report.md").read_text()
    assert report.startswith("# losslens lab: the article's experiment 3, measured")
    assert "1 seed (0)" in report and "Measured (1 seed x 5 epochs):" in report
    assert "1. Overly complex" not in report and " ± " not in report
    assert "--experiment" in CliRunner().invoke(app, ["lab", "seed", "--help"]).output


def test_cli_lab_never_overwrites_a_users_file_and_says_what_it_replaces(tmp_path):
    """``--out .`` in a folder holding the user's own report.md: one line, rc 2, before any training, the file
    untouched (before: silently overwritten). Files of an earlier lab run are replaced with a note, and runs
    it leaves beside the new ones are named (``losslens diagnose OUT/runs`` reads them too)."""
    from typer.testing import CliRunner

    from losslens.cli import app

    out = tmp_path / "lab"
    out.mkdir()
    (out / "report.md").write_text("# my notes\n")
    args = ["lab", "seed", "--epochs", "5", "--no-verify", "--out", str(out), "-q"]
    r = CliRunner().invoke(app, args + ["-n", "2"])
    assert r.exit_code == 2 and "report.md: exists and was not written by losslens lab" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1 and not (out / "runs").exists()
    assert (out / "report.md").read_text() == "# my notes\n"
    (out / "report.md").unlink()
    assert CliRunner().invoke(app, args + ["-n", "2"]).exit_code == 0
    r = CliRunner().invoke(app, args + ["-n", "1"])
    assert r.exit_code == 0, r.output
    assert "replacing 7 file(s) an earlier losslens lab run wrote" in r.output
    assert "also holds 5 other run(s) this run does not rewrite (exp1_complex_seed1.json" in r.output
    (out / "variants.md").write_text("mine\n")
    r = CliRunner().invoke(app, ["lab", "variants", "lr", "--out", str(out)])
    assert r.exit_code == 2 and "variants.md: exists and was not written by losslens lab" in r.output
    assert (out / "variants.md").read_text() == "mine\n"


@pytest.mark.slow
def test_experiment_3s_truth_names_the_rates_its_checks_retrain_at():
    """What the runs show of experiment 3 names the rates at which the step-limited arms reach the noise floor: the
    rates the lab's lr_too_low check retrains them at, read off what verify ran. It said "SGD at 0.03" where the lab
    retrains SGD(0.01) at 0.1 (SGD(0.03) is a run no part of the lab makes)."""
    from losslens.lab import report, runner

    res = runner.run_seed_lab(range(1), experiments=(EXP3,))  # (at 5 epochs both read still_improving: no lr check)
    runner.verify_lab(res)
    [truth] = [line for line in report.lab_text(res).splitlines() if line.startswith("What a run as written shows")]
    for a in res.arms():
        [r] = [r for r in a.verification.results if r.check.change.get("lr_factor", 1) > 1]
        opt = a.arm.optimizer_name
        assert f"{opt} at {a.arm.lr * r.check.change['lr_factor']:g} " in truth, truth
    assert "0.03" not in truth, truth


def test_lab_report_measures_where_the_retrained_runs_end_against_the_noise_floor(tmp_path):
    """What the runs show says "SGD at 0.1 or Adam at 0.01 reaches the noise floor"; the retraining line
    gave only the change ("learning rate x 10: 0.1972 → 0.009701"), never the lr it ran at nor where that
    sits against the floor. Each check of a regression arm now says both, per seed."""
    from losslens.lab import report, runner

    res = runner.run_seed_lab(range(2), epochs=5, experiments=(EXP3,))
    runner.verify_lab(res, epochs=5)
    text = report.lab_text(res)
    # "got 0.8496 → 0.025" beside "final val loss 0.816 ± 0.86": the report says what a check's "ends" is.
    assert "“ends”, it is the median of the last 3 epochs" in text
    sgd, adam = res.arms()
    for a in (sgd, adam):
        assert a.verification is not None
        r = a.verification.results[0]
        line = report.retrained_floor(a, r)
        assert line and f"{len(r.per_seed)} seeds: val loss / noise floor 0.01 = " in line and line in text
        ratio = np.array(r.per_seed) / 0.01
        assert report.pm(ratio, 2) in line
        if r.check.change.get("lr_factor"):
            assert f"retrained at lr {a.arm.lr * r.check.change['lr_factor']:g}" in line
    # The HTML report's notes carry the same lines, digit for digit.
    import html
    page = html.unescape(report.write_reports(res, tmp_path)[-1].read_text())
    for a in (sgd, adam):
        assert f"<li>{report.retrained_floor(a, a.verification.results[0])}</li>" in page


def test_keras_comparison_says_why_the_keras_verdict_differs_and_floor_ratios_keep_two_digits():
    """`lab seed --framework keras` printed "Keras verdict still_improving, PyTorch verdicts lr_too_low 5/5"
    with no word on why (the Keras History logs no lr, so lr_too_low is only beside still_improving), and
    "2.5 ± 2.7 (2x above the floor)" for Adam(1e-2)'s retrained runs (0.00988 ... 0.0725; `:.0f` of 2.5)."""
    from conftest import ARTICLE
    from losslens.lab import compare, report, runner

    lab = runner.run_seed_lab(range(2), experiments=(EXP3,))
    adam = lab.experiments[0].arm("exp3_adam")
    assert adam.majority() == "lr_too_low"
    keras_history = json.loads((ARTICLE / "exp3_adam.json").read_text())["history"]  # the article's Keras code
    run = runner.histories_to_runs([keras_history], "keras_exp3_adam", [0], dict(adam.meta, framework="keras"))[0]
    comp = compare.KerasComparison("exp3_adam", 0, keras_history, diagnosis=runner.diagnose_runs([run])[0],
                                   curves=[compare.band_agreement(k, keras_history[k], adam.curves(k))
                                           for k in ("loss", "val_loss")])
    assert comp.diagnosis.verdict == "still_improving" and "lr_too_low" in comp.diagnosis.cause_ids()
    text = "\n".join(compare.comparison_text([comp], lab))
    assert ("Keras verdict still_improving, PyTorch verdicts lr_too_low 2/2 (lr_too_low among its causes: "
            "Keras's History logs no lr, the lab's runs do)") in text, text
    floor = report.floor_text([0.00988, 0.0127, 0.0164, 0.0725, 0.0136], 0.01)
    assert floor == "val loss / noise floor 0.01 = 2.5 ± 2.7 (2.5x above the floor)", floor


@pytest.mark.slow
def test_lab_checks_underfitting_seeds_with_a_model_twice_the_size():
    """Random labels, seeds 0 and 3: seed 0 memorises (no_signal), seed 3 fits nothing (underfitting): its Dense(10)
    layer dies. The majority verdict is retrained with labels shuffled, which cannot tell a dead net (it answers
    alike whatever the labels); the report said "✓ no_signal" and left seed 3's underfitting unchecked. A model
    twice the size (Dense(20)) is that reading's own counterfactual: retrained for seed 3 alone, it fits its
    training labels while validation stays at chance, so the report says underfitting is not confirmed."""
    from losslens.lab import report, runner

    a = runner.train_arm(EXP2, EXP2.arms[0], [0, 3])
    assert [d.verdict for d in a.diagnoses] == ["no_signal", "underfitting"]
    runner.verify_arm(EXP2, a)
    assert [r.check.cause for r in a.verification.results] == ["no_signal"]
    v = a.size_check
    assert v.seeds == [3] and {r.check.change["size_factor"] for r in v.results} == {2.0}
    assert v.holds("underfitting") is False
    bigger = next(r.runs for r in v.results if r.runs)[0]
    assert bigger.train_acc[-10:].mean() > 0.5 and abs(bigger.val_acc[-10:].mean() - 0.2) < 0.18
    lines = report.diagnosis_lines(a)
    assert not any(line.startswith("not checked by retraining") for line in lines), lines
    assert any(line.startswith("seed 3 (underfitting), the model twice the size: train accuracy 0.") for line in lines)
    assert ("seed 3 (underfitting): the underfitting reading is NOT confirmed: the bigger model fits its training "
            "labels and validation stays at chance: no signal") in lines, lines
    head = report.head_lines(runner.LabResult([runner.ExperimentResult(EXP2, [a])], [0, 3], 1.0, 1))
    assert any("underfitting confirmed for 0/1" in line for line in head), head


def test_mlp_at_the_noise_floor_is_read_at_the_floor_where_the_lab_states_it():
    """Experiment 1's 64-128-64 MLP ends at val MSE 0.0094 / 0.0092 (seeds 0, 1) against the noise variance 0.01
    the lab generated: converged, and no model goes lower. It read "to go lower, change the data or the model"; a
    bigger model cannot beat the noise floor. Without a stated floor (a user's run) the flat level is read as
    before: a model twice the size tells capacity from floor (the slow test below)."""
    from dataclasses import replace

    from losslens.diagnosis import diagnose_run
    from losslens.lab import runner

    a = runner.train_arm(EXP1, EXP1.arms[0], [0, 1])
    for d in a.diagnoses:
        assert d.verdict == "converged"
        ev, acts = " ".join(d.causes[0].evidence), " ".join(d.causes[0].actions)
        assert "the data's noise floor 0.01" in ev and "change the data or the model" not in acts
        assert "less noisy targets" in acts
        assert not {"underfitting", "data_limited"} & {c.id for c in d.causes}
    for run in a.runs:
        unstated = replace(run, meta={k: v for k, v in run.meta.items() if k != "noise_floor"})
        d = diagnose_run(unstated)
        assert d.verdict == "converged" and "noise floor" not in " ".join(d.causes[0].evidence)
        assert "to go lower, change the data or the model, not the epoch count" in d.causes[0].actions


@pytest.mark.slow
def test_the_report_says_which_seeds_sit_at_the_noise_floor_and_which_list_data_limited():
    """The demo's experiment 1 MLP: "val loss / noise floor 0.01 = 1.1 ± 0.23 (at the floor: nothing left to learn)"
    over 5 seeds, then "secondary causes: data_limited 2/5", which more data cannot give at the floor. The mean was
    at the floor; seeds 2 and 4 were not (1.42x, 1.33x: their diagnoses read no floor and list data_limited). Seed 1
    ends at 0.92x, seed 2 at 1.42x: the report names the seed off the floor and the one that lists data_limited."""
    from losslens.lab import report, runner

    a = runner.train_arm(EXP1, EXP1.arms[0], [1, 2])
    ratio = a.final("val_loss") / EXP1.noise_floor
    assert ratio[0] <= 1.25 < ratio[1] and ratio.mean() <= 1.25  # the mean alone says "at the floor"
    assert [c.id for c in a.diagnoses[0].causes] == ["converged"]
    assert [c.id for c in a.diagnoses[1].causes] == ["converged", "data_limited"]
    floor = next(line for line in report.arm_measurements(None, EXP1.noise_floor, a) if "noise floor" in line)
    assert "nothing left to learn" not in floor
    assert floor.endswith(f"(at the floor, within 1.25x, in 1/2 seeds; seed 2 at {ratio[1]:.2g}x)"), floor
    assert "secondary causes: data_limited 1/2 (seed 2)" in report.diagnosis_lines(a)


@pytest.mark.slow
def test_verify_with_a_bigger_model_says_the_mlp_level_is_not_its_limit():
    """Where no floor is stated, losslens verify's follow-up for converged (a model twice the size, 128-256-128)
    tells the floor from capacity: on seeds 0-2 it ended +4.5% (training) and +1.1% (validation), and the last
    line says the level is not the model's limit."""
    from dataclasses import replace

    import losslens
    from losslens.lab import runner

    arm = EXP1.arms[0]

    def train_fn(size_factor=1.0, epochs_factor=1.0, seed=0):
        hidden = tuple(round(h * size_factor) for h in (64, 128, 64))
        a = replace(arm, build=lambda s: nets.mlp(2, hidden, 1, s))
        run = runner.train_arm(EXP1, a, [seed], epochs=round(50 * epochs_factor), diagnose=False).runs[0]
        return replace(run, meta={k: v for k, v in run.meta.items() if k != "noise_floor"})

    with runner.torch_threads(1):
        v = losslens.verify(train_fn, seeds=[0, 1, 2], progress=False)
    assert v.diagnosis.verdict == "converged"
    bigger = [r for r in v.results if r.check.cause == "underfitting"]
    assert bigger and not any(r.holds for r in bigger)
    assert "a model twice the size did not lower both losses: the level is not the model's limit" in str(v)


@pytest.mark.slow
def test_a_bigger_dense_layer_tells_dead_units_from_random_labels():
    """Random labels, seeds 2 and 3: the article's Dense(10) layer dies (no unit active on any training image) and
    the run reads underfitting with no_signal beside it; the evidence says a bigger model tells which. Dense(64)
    keeps units alive, fits its training data, and validation stays at chance: no_signal."""
    from dataclasses import replace

    from losslens.lab import runner

    wide = replace(EXP2.arms[0], build=lambda s: nets.convnet((3, 32, 32), 5, s, dense=64))
    a = runner.train_arm(EXP2, wide, [2, 3])
    assert [d.verdict for d in a.diagnoses] == ["no_signal", "no_signal"]
    assert (a.final("accuracy") > 0.9).all() and (a.final("val_accuracy") < 0.5).all()


def test_arm_trainer_scales_only_an_arm_with_a_width():
    """Experiment 2's conv net takes size_factor (its Dense(10) made Dense(20) at 2); an arm with no width to
    scale does not offer the keyword, so verify skips its size checks and says so rather than failing them."""
    from losslens.lab import runner
    from losslens.verification import keywords_taken

    assert "size_factor" in keywords_taken(runner.arm_trainer(EXP2, EXP2.arms[0], [0]))
    assert "size_factor" not in keywords_taken(runner.arm_trainer(EXP1, EXP1.arms[0], [0]))
    assert EXP2.arms[0].resize([0], 2.0).layers[1].weight.shape[-1] == 20
    assert EXP2.arms[0].build([0]).layers[1].weight.shape[-1] == 10


def test_demo_report_nests_its_lines_as_the_markdown_does_and_says_which_runs_log_an_accuracy(tmp_path):
    """The demo's report.html flattened report.md's nesting: every line under an arm repeated "64-128-64 MLP,
    Adam(1e-3), losslens's diagnosis: ...". And under the table, "these runs solve 2 problems (exp2_... alone log an
    accuracy)": three problems (two regressions, one classifier) told apart only by the accuracy one logs."""
    import html
    import re

    from typer.testing import CliRunner

    from losslens.cli import app
    from losslens.lab import report, runner

    res = runner.run_seed_lab(range(1), epochs=5)
    page = html.unescape(report.write_reports(res, tmp_path)[-1].read_text())
    notes = page[:page.index('<div class="ll-overview') if '<div class="ll-overview' in page else len(page)]
    for e in res.experiments:
        for a in e.arms:
            label = re.escape(a.arm.label)
            # Once over its measurements, once under the diagnosis heading: each heads a list of its own lines.
            assert len(re.findall(rf"<li>{label}<ul><li>", notes)) == 2, a.arm.label
            assert f"{a.arm.label}:" not in notes and f"{a.arm.label}, losslens's diagnosis" not in notes
    assert notes.count("<li>losslens's diagnosis (each seed's run)<ul>") == 3
    md = (tmp_path / "report.md").read_text()
    for line in md.splitlines():
        line = line.strip().removeprefix("- ")
        if line.startswith(("The article says", "final ", "val loss", "verdicts:", "evidence (")):
            assert f"<li>{line}</li>" in page, line
    runner.save_runs(res.arms(), tmp_path)
    out = CliRunner().invoke(app, ["diagnose", str(tmp_path / "runs")]).output
    assert ("no best named: these runs solve at least 2 problems (exp2_random_images_seed0 logs an accuracy where "
            "the other 4 do not), whose val_loss values do not compare") in out, out


@pytest.mark.slow
def test_variants_default_to_a_folder_of_their_own_beside_the_demos_runs(tmp_path, monkeypatch):
    """`losslens demo` then `losslens lab variants lr -n 1`: both wrote into losslens-lab/runs, so `losslens diagnose
    losslens-lab/runs` (what the demo suggests) read the variants beside the 25 seed runs. The variants now default
    to losslens-lab/variants/ and say how to read and draw what they wrote."""
    from typer.testing import CliRunner

    from losslens.cli import app

    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["lab", "variants", "lr", "-n", "1"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "losslens-lab" / "runs").exists()
    runs = sorted(p.name for p in (tmp_path / "losslens-lab" / "variants" / "runs").glob("*.json"))
    assert len(runs) == 3 and all(n.startswith("variant_lr_") for n in runs), runs
    assert (tmp_path / "losslens-lab" / "variants" / "variants.md").exists()
    assert "losslens diagnose losslens-lab/variants/runs" in r.output, r.output
    d = CliRunner().invoke(app, ["diagnose", "losslens-lab/variants/runs", "--json"])
    assert d.exit_code == 0 and len(d.stdout.splitlines()) == 3, d.output


@pytest.mark.slow
def test_variants_write_a_report_html_as_the_demo_does(tmp_path):
    """`losslens lab variants` wrote variants.md and no page, where the demo writes report.html beside its report.md:
    a user who ran the demo looks for one. It is written in the variants' own folder (never the demo's), built as the
    demo's is (report/html.py): each run's chart and card, each variant's measurements, findings and answer above
    them, the same lines variants.md gives; a report.html the lab did not write is refused before any training."""
    import html

    from typer.testing import CliRunner

    from losslens.cli import app

    out = tmp_path / "lab" / "variants"
    r = CliRunner().invoke(app, ["lab", "variants", "lr", "-n", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    page_path = out / "report.html"
    assert f"wrote {page_path}" in r.output and f"open the report: {page_path}" in r.output, r.output
    assert not (tmp_path / "lab" / "report.html").exists()
    page = html.unescape(page_path.read_text(encoding="utf-8"))
    assert "<title>losslens lab: variants that make each phenomenon real</title>" in page
    runs = sorted(p.stem for p in (out / "runs").glob("*.json"))
    assert len(runs) == 3 and "3 runs" in page
    for name in runs:  # every run's card, under its name
        assert f">{name}<" in page, name
    md = (out / "variants.md").read_text(encoding="utf-8")
    lines = [ln.removeprefix("- ") for ln in md.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
    assert lines and all(f"<li>{ln}</li>" in page for ln in lines), [ln for ln in lines if f"<li>{ln}</li>" not in page]
    # A page of the user's own at that path stops the next run before it trains.
    page_path.write_text("<html>mine</html>")
    r = CliRunner().invoke(app, ["lab", "variants", "lr", "-n", "1", "--out", str(out)])
    assert r.exit_code == 2 and "report.html: exists and was not written by losslens lab" in r.output, r.output
    assert page_path.read_text() == "<html>mine</html>"



def test_the_step_claim_of_experiment_1_counts_the_seeds_its_retraining_takes_to_the_floor():
    """"at Adam(1e-2) most seeds reach the floor in the same 50 epochs" was a fixed sentence, printed above the
    retrained runs' own per-seed ratios 0.99, 1.3, 1.6, 7.3, 1.4: one seed of five within the floor's 1.25x. The
    claim is now counted off those runs, by that bar."""
    from dataclasses import replace

    from losslens.diagnosis import NOISE_FLOOR_NEAR
    from losslens.lab import report, runner

    exp = replace(EXP1, arms=tuple(a for a in EXP1.arms if a.key == EXP1.step_arm))
    res = runner.run_seed_lab(range(5), experiments=(exp,))
    runner.verify_lab(res)
    (linear,) = res.arms()
    r = next(r for r in linear.verification.results if r.check.change.get("lr_factor") == 10.0)
    ratio = np.array(r.per_seed) / EXP1.noise_floor
    k = int(np.sum(ratio <= NOISE_FLOOR_NEAR))
    text = report.lab_text(res)
    said = f"at Adam(0.01) {k} of 5 seeds reach the floor, within 1.25x, in the same 50 epochs"
    assert said in text and "most seeds" not in text, text
    if k < 5:
        far = ratio[ratio > NOISE_FLOOR_NEAR]
        assert f"{report._times(far.max())} above it" in text
    # the same figures as the retraining's own line beneath it
    assert report.retrained_floor(linear, r) in text


@pytest.mark.slow
def test_the_headline_counts_a_verdict_confirmed_in_part_as_in_part():
    """Experiment 1's 64-128-64 MLP, 5 seeds: converged, lr / 10 held and twice the epochs was not decided (within
    the tail's noise): "confirmed in part" on its own line, and "confirmed ... for 5/5" in the report's head."""
    from dataclasses import replace

    from losslens.lab import report, runner

    exp = replace(EXP1, arms=tuple(a for a in EXP1.arms if a.key == "exp1_complex"))
    res = runner.run_seed_lab(range(5), experiments=(exp,))
    runner.verify_lab(res)
    (mlp,) = res.arms()
    v = mlp.verification
    assert v.confirmed is True and [r.check.name for r in v.unrun] == ["twice the epochs"], str(v)
    head = " ".join(report.head_lines(res))
    assert ("confirmed by retraining with the counterfactual for 0/1 of them, in part for 64-128-64 MLP, "
            "Adam(1e-3) (twice the epochs not decided)") in head, head
