"""`losslens compare BEFORE AFTER`: a fix checked from two logs, with verify's predictions.

The pairs are what Keras' CSVLogger and Lightning's CSVLogger wrote (tests/fixtures/ecosystem/compare_keras,
compare_lightning, compare_resume, keras_sgd_overshoot, lightning_sgd_sweep_small_lr, lightning_weight_decay, hf_two_problems;
each with the make.py that trained it)."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
KC = ECO / "compare_keras"
LC = ECO / "compare_lightning"
OVERSHOOT = ECO / "keras_sgd_overshoot"
SWEEP = ECO / "lightning_sgd_sweep_small_lr" / "lightning_logs"
WD = ECO / "lightning_weight_decay"
RES = ECO / "compare_resume"
RES_LOGS = RES / "lightning" / "lightning_logs"
ROOT = Path(__file__).resolve().parent.parent

runner = CliRunner()


def cli(*args):
    """``losslens ARGS`` in a fresh interpreter: (exit code, stdout, stderr)."""
    # (the losslens this test imported: the checkout's src, or another tree's put first on PYTHONPATH)
    env = dict(os.environ, PYTHONPATH=f"{Path(losslens.__file__).resolve().parent.parent}{os.pathsep}{ROOT}")
    proc = subprocess.run([sys.executable, "-m", "losslens", *map(str, args)], capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def test_lr_over_10_after_a_step_too_large_holds():
    """Keras SGD(3.0) sat at ln 10 (lr_too_high); the same model at lr 0.3 reached val_loss 0.34."""
    res = runner.invoke(app, ["compare", str(OVERSHOOT / "lr3.0.csv"), str(OVERSHOOT / "cf_lr0.3.csv"),
                              "--change", "lr_factor=0.1"])
    assert res.exit_code == 0, res.output
    assert "before lr3.0: lr_too_high" in res.output
    assert "after  cf_lr0.3: " in res.output
    assert "change: lr_factor=0.1 (given)" in res.output
    assert ("✓ lr_too_high — learning rate / 10: predicts val_loss ends ≥ 15% lower; got 2.334 → 0.344 (-85.3%): "
            "holds") in res.output
    assert "verdict lr_too_high: confirmed by the AFTER run; from one run a side" in res.output


def test_a_change_that_did_not_help_does_not_hold():
    """SGD(0.3) read lr_too_high; at lr 0.03 the same 30 epochs ended higher, not 15% lower: exit 1."""
    res = runner.invoke(app, ["compare", str(KC / "sgd_lr0.3.csv"), str(KC / "sgd_lr0.03.csv"),
                              "--change", "lr_factor=0.1"])
    assert res.exit_code == 1, res.output
    assert "✗ lr_too_high — learning rate / 10: predicts val_loss ends ≥ 15% lower; got 0.344 → 0.392 (+14.0%): " \
           "does NOT hold (losslens on the AFTER run: still_improving)" in res.output
    # converged's lr / 10 is about the step at the floor (from the plateau on): two logs from scratch do not show it
    assert "· converged — learning rate / 10" in res.output and "not run (" in res.output
    assert "verdict lr_too_high: NOT confirmed" in res.output


def test_the_lr_ratio_is_read_from_lightnings_hparams_yaml():
    """No --change: hparams.yaml says lr 0.001 before and 1.0 after; lr_too_low predicted ≥ 15% lower."""
    code, out, err = cli("compare", SWEEP / "version_1", SWEEP / "version_2")
    assert code == 0, err
    assert "change: lr_factor=1000 (hparams.yaml: lr 0.001 → 1)" in out
    assert "✓ lr_too_low — learning rate x 1000, read as learning rate x 10: predicts val_loss ends ≥ 15% lower" in out
    assert "after  version_2: converged" in out


def test_the_weight_decay_ratio_is_read_and_underfitting_held_by_it_is_checked_by_lowering_it():
    c = losslens.compare(WD / "wd_0.05", WD / "wd_1e-05")
    assert c.change == pytest.approx({"decay_factor": 2e-4})
    assert c.change_from == "hparams.yaml: weight_decay 0.05 → 1e-05"
    assert c.diagnosis.verdict == "underfitting" and c.confirmed is True
    # verify's HELD_BY checks: both losses lower
    assert {(r.check.name, r.check.metric) for r in c.results} == {
        ("weight decay x 0.0002, read as weight decay / 100", "train_loss"),
        ("weight decay x 0.0002, read as weight decay / 100", "val_loss")}
    assert [x.verdict for x in c.after] == ["converged"]


def test_twice_the_epochs_of_a_converged_run_holds_read_from_max_epochs():
    code, out, err = cli("compare", LC / "e40", LC / "e80")
    assert code == 0, err
    assert "change: epochs_factor=2 (hparams.yaml: max_epochs 40 → 80)" in out
    assert "✓ converged — twice the epochs: predicts val_loss ends < 2% lower and < 15% higher; got 0.1552 → 0.16 " \
           "(+3.1%): holds" in out


def test_the_verdict_answers_for_lr_over_10_on_a_run_whose_training_held_near_validations_best():
    """lr 0.5 read overfitting (lr_too_high likely beside it, which answered for lr / 10: "verdict overfitting: not
    checked") while its training loss sat at 108% of validation's best, not falling; lr / 10 (hparams.yaml) went 90%
    lower. The verdict is lr_too_high now, and its own prediction holds."""
    code, out, err = cli("compare", LC / "lr0.5", LC / "e40")
    assert code == 0, err
    assert "before lr0.5: lr_too_high" in out
    assert "✓ lr_too_high — learning rate / 10: predicts val_loss ends ≥ 15% lower; got 1.525 → 0.1552 (-89.8%): holds" in out
    assert "verdict overfitting" not in out


def test_a_move_within_one_runs_own_noise_is_not_decided():
    """Adam 40 -> 80 epochs: -2.2% at the end, just past converged's 2% bar, inside the two tails' scatter."""
    code, out, err = cli("compare", KC / "adam_e40.csv", KC / "adam_e80.csv")
    assert code == 2
    assert "change: epochs_factor=2 (the logged lengths: 80 epochs against 40)" in out
    assert "· converged — twice the epochs: predicts val_loss ends < 2% lower and < 15% higher; got 0.4462 → " \
           "0.4365: not decided (the move is within the two runs' own epoch-to-epoch noise" in out
    # (a result, not a bad input: said on stdout's verdict line, with no "losslens: PATH: ..." line on stderr, the
    # form of a file that cannot be read)
    assert out.rstrip().splitlines()[-1].startswith("verdict converged: not decided: the move is within the runs' noise")
    assert err == ""
    code, out, err = cli("compare", KC / "adam_e40.csv", KC / "adam_e80.csv", "--json")
    obj = json.loads(out)
    assert code == 2 and err == "" and obj["confirmed"] is None
    assert obj["summary"].startswith("not decided: the move is within the runs' noise")


def test_several_runs_a_side_compare_means_and_the_json_says_what_was_compared():
    c = losslens.compare([KC / "sgd_lr3.0_s1.csv", KC / "sgd_lr3.0_s2.csv"],
                         [KC / "sgd_lr0.3_s1.csv", KC / "sgd_lr0.3_s2.csv"], change={"lr_factor": 0.1})
    assert c.confirmed is True and c.noise == "runs"
    r = c.results[0]
    assert r.check.cause == "lr_too_high" and len(r.per_seed) == 2 == len(r.baseline_per_seed)
    assert "lower in 2/2 runs" in r.line()
    out = c.to_dict()
    json.dumps(out, allow_nan=False)
    assert out["schema"] == "losslens.verification/1" and out["confirmed"] is True
    assert out["compare"]["change"] == {"lr_factor": 0.1} and out["compare"]["change_from"] == "given"
    assert out["compare"]["after_verdicts"] == ["overfitting", "lr_too_high"]
    assert out["compare"]["after_diagnosis"]["schema"] == "losslens.diagnosis/1"
    assert "means of 2 BEFORE and 2 AFTER runs" in str(c)


def test_json_and_plot_from_the_command_line(tmp_path):
    png = tmp_path / "cmp.png"
    code, out, err = cli("compare", OVERSHOOT / "lr3.0.csv", "--before", KC / "sgd_lr3.0_s1.csv",
                         OVERSHOOT / "cf_lr0.3.csv", KC / "sgd_lr0.3_s1.csv", "--change", "lr_factor=0.1", "--json",
                         "--plot", png)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["compare"]["before"][1].endswith("sgd_lr3.0_s1.csv") and len(obj["compare"]["after"]) == 2
    assert obj["checks"][0]["per_seed"] and len(obj["checks"][0]["per_seed"]) == 2
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_the_change_not_named_is_said_and_both_runs_still_compared():
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", KC / "sgd_lr0.3_s1.csv")
    assert code == 2
    assert "change: the change is not named" in out and "--change lr_factor=0.1" in out
    assert "val_loss: end (median of the last 3) 0.344 → 0.3509 (+2.0%); best 0.3218 → 0.323 (+0.4%)" in out
    # the text's word for this state, said once, on stdout: the outcome, not an input error on stderr
    assert "verdict lr_too_high: not checked: the change is not named" in out and err == ""


def _digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.mark.parametrize("args, said", [
    (["{nope}", KC / "sgd_lr0.3.csv"], "nope.csv: no such file or directory"),
    ([KC / "sgd_lr0.3.csv", KC / "make.py"], "make.py: a Python file, not a training log"),
    ([KC / "sgd_lr0.3.csv", ECO / "sb3_ppo" / "base" / "progress.csv"],
     "progress.csv: no val_loss, the series BEFORE was diagnosed on"),
    ([ECO / "hf_two_problems" / "classifier", ECO / "hf_two_problems" / "regression"],
     "another task than BEFORE's (num_labels: 2 before, 1 after, in their saved settings)"),
    ([KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", "--change", "lr=0.1"], "'lr' is not one of lr_factor"),
    ([KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", "--change", "lr_factor=-1"], "a finite factor above 0"),
    ([KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", "--change", "lr_factor=0.1", "--change", "lr_factor=10"],
     "change lr_factor given twice, lr_factor=0.1 and lr_factor=10: name it once"),
    ([KC / "sgd_lr0.3.csv", KC / "sgd_lr0.3.csv"], "sgd_lr0.3.csv: BEFORE and AFTER are the same run (identical "
                                                   "val_loss series)"),
    ([KC / "sgd_lr0.3.csv", SWEEP], f"holds 3 runs; compare takes one run a log: name one: {SWEEP}#version_0"),
    # resumed from BEFORE's end checkpoint: BEFORE logged none of the epochs it trained
    ([RES / "before.csv", RES / "resumed_at_end.csv"], "resumed_at_end.csv: AFTER starts at epoch 30, after BEFORE's "
                                                       "last (29): BEFORE logged none of its epochs to compare"),
    # seed 0's run resumed at epoch 7 and appended to its log, against seed 1's: not BEFORE's resume
    ([KC / "sgd_lr0.3_s1.csv", RES / "appended.csv"], "appended.csv: AFTER resumes a run other than BEFORE: its log "
                                                      "goes back to an earlier epoch over rows that are not BEFORE's"),
])
def test_bad_input_is_one_line_exit_2_and_no_file_changes(tmp_path, args, said):
    args = [str(tmp_path / "nope.csv") if a == "{nope}" else a for a in args]
    files = [Path(a) for a in args if isinstance(a, Path) and Path(a).is_file()]
    before = _digest(files)
    code, out, err = cli("compare", *args)
    assert code == 2, (out, err)
    assert err.startswith("losslens: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert said in err
    assert _digest(files) == before


def test_python_api_errors_are_losslens_errors():
    with pytest.raises(losslens.UsageError, match="not one of"):
        losslens.compare(KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", change={"momentum": 2})
    with pytest.raises(losslens.LosslensError, match="no val_loss"):
        losslens.compare(KC / "sgd_lr0.3.csv", ECO / "sb3_ppo" / "base" / "progress.csv")


@pytest.mark.parametrize("change, near", [
    ("lr_decrese", "lr_factor"), ({"lr_decrese": 0.1}, "lr_factor"), ("lr_decrese=0.1", "lr_factor"),
    ({"epoch_factor": 2}, "epochs_factor"), ({"shufle_labels": True}, "shuffle_labels"),
])
def test_a_misspelled_change_from_python_names_the_near_one_as_the_cli_does(change, near):
    """``losslens.compare(before, after, change="lr_decrese")`` said only "expected NAME=VALUE" (a dict with that
    name: the list of names), where ``--change`` adds "did you mean ...?". Both say it now, from one place
    (``comparison.change_hint``), before either log is read."""
    with pytest.raises(losslens.UsageError, match=f"did you mean {near}"):
        losslens.compare(KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", change=change)
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", "--change",
                         change if isinstance(change, str) else "{}={}".format(*next(iter(change.items()))))
    assert code == 2 and err.count("\n") == 1 and f"did you mean {near}" in err, err


def test_a_trainer_saves_no_lr_so_the_largest_lr_logged_is_compared_and_said_so():
    """Two Transformers Trainer runs of an lr sweep (trainer_state.json, config.json): the settings name no lr."""
    c = losslens.compare(ECO / "hf_lr_sweep" / "lr3e-4", ECO / "hf_lr_sweep" / "lr1e-3")
    assert c.change_from == "the logs: the largest lr logged 0.000292969 → 0.000976562"
    assert c.change == pytest.approx({"lr_factor": 3.3333}, rel=1e-3)
    # still_improving predicts nothing of a higher lr; lr_too_low's prediction, read off the same run, held
    assert c.confirmed is None and c.holds("lr_too_low") is True
    assert "learning rate x 3.333, read as" in str(c)


def test_one_run_of_a_workbook_or_a_long_csv_is_named_path_hash_run(tmp_path):
    """A workbook of two sheets (pandas' to_excel) and a long-format CSV holding the same two Keras runs: PATH#RUN
    picks one, as ``diagnose PATH --run RUN`` does; the file alone says how to name one."""
    import pandas as pd

    book, long = tmp_path / "two.xlsx", tmp_path / "long.csv"
    frames = {"lr0.3": pd.read_csv(KC / "sgd_lr0.3.csv"), "lr0.03": pd.read_csv(KC / "sgd_lr0.03.csv")}
    with pd.ExcelWriter(book) as xl:
        for sheet, frame in frames.items():
            frame.to_excel(xl, sheet_name=sheet, index=False)
    pd.concat([f.assign(run=name) for name, f in frames.items()]).to_csv(long, index=False)
    for path in (book, long):
        code, out, err = cli("compare", f"{path}#lr0.3", f"{path}#lr0.03", "--change", "lr_factor=0.1")
        assert code == 1, err
        assert "before lr0.3: lr_too_high" in out and "after  lr0.03: " in out
        assert "✗ lr_too_high — learning rate / 10: predicts val_loss ends ≥ 15% lower; got 0.344 → 0.392" in out
    code, out, err = cli("compare", book, KC / "sgd_lr0.03.csv")
    assert code == 2 and err == f"losslens: {book}: holds 2 runs; compare takes one run a log: name one: {book}#lr0.3\n"
    code, out, err = cli("compare", f"{book}#lr1", KC / "sgd_lr0.03.csv")
    assert code == 2 and err.startswith(f"losslens: {book}: no run 'lr1'") and err.count("\n") == 1


def test_a_log_against_its_own_copy_is_refused_as_the_same_run(tmp_path):
    """The Keras log copied by pandas into a TSV under another name, its columns reordered: the same val_loss."""
    import pandas as pd

    frame = pd.read_csv(KC / "sgd_lr0.3.csv")
    copy = tmp_path / "after.tsv"
    frame[list(reversed(frame.columns))].to_csv(copy, sep="\t", index=False)
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", copy, "--change", "lr_factor=0.1")
    assert code == 2 and out == ""
    assert err == f"losslens: {copy}: BEFORE and AFTER are the same run (identical val_loss series)\n"
    # a run of the same setting beside the copy (--before): still one of BEFORE's again
    with pytest.raises(losslens.LosslensError, match="the same run"):
        losslens.compare([KC / "sgd_lr0.3_s1.csv", KC / "sgd_lr0.3.csv"], [copy], change={"lr_factor": 0.1})


def test_a_copy_saved_at_six_digits_is_the_same_run_as_verify_judges_it(tmp_path):
    """The Keras log saved again by pandas with 6 significant digits (float_format %.6g, what many writers keep)
    under other column names: the values differ by rounding only, which verify's same_values passes over."""
    import pandas as pd

    frame = pd.read_csv(KC / "sgd_lr0.3.csv")
    copy = tmp_path / "after.csv"
    frame.rename(columns={"val_loss": "valid_loss"}).to_csv(copy, index=False, float_format="%.6g")
    frame = pd.read_csv(copy)
    assert not (frame["valid_loss"] == pd.read_csv(KC / "sgd_lr0.3.csv")["val_loss"]).all()  # (rounded)
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", copy, "--change", "lr_factor=0.1")
    assert code == 2 and out == ""
    assert err == f"losslens: {copy}: BEFORE and AFTER are the same run (identical val_loss series)\n"


def test_a_change_given_where_the_saved_settings_say_another_is_checked_as_given_with_a_note():
    """Lightning's hparams.yaml: lr 0.5 -> 0.05 at max_epochs 40 both; epochs_factor=2 claimed."""
    code, out, err = cli("compare", LC / "lr0.5", LC / "e40", "--change", "epochs_factor=2")
    lines = out.splitlines()
    assert lines[3:6] == ["change: epochs_factor=2 (given)",
                          "  note: the saved settings also differ: lr 0.5 → 0.05 (hparams.yaml); checked as given",
                          "  note: epochs_factor=2 given, but the logs do not show it: AFTER logged 40 epochs, "
                          "BEFORE 40"], out
    c = losslens.compare(LC / "lr0.5", LC / "e40", change={"epochs_factor": 2})
    assert c.to_dict()["compare"]["notes"] == c.notes and len(c.notes) == 2
    # the change the settings say, given: nothing to note; twice the epochs logged twice as long: nothing either
    assert losslens.compare(LC / "lr0.5", LC / "e40", change={"lr_factor": 0.1}).notes == []
    assert losslens.compare(LC / "e40", LC / "e80", change={"epochs_factor": 2}).notes == []
    # no setting saved, but AFTER trained twice as long as BEFORE: also said
    assert losslens.compare(KC / "adam_e40.csv", KC / "adam_e80.csv", change={"lr_factor": 0.5}).notes == [
        "the logged lengths also differ: 80 epochs against 40; checked as given"]


@pytest.mark.parametrize("change", [None, "lr_factor=0.1", "size_factor=2"])
def test_how_the_metric_moved_is_printed_whatever_the_change(change):
    """Not named, named and read, named and predicted nothing of by the verdict: the end and best still said."""
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", *(["--change", change] if change else []))
    assert "  val_loss: end (median of the last 3) 0.344 → 0.392 (+14.0%); best 0.3218 → 0.3876 (+20.4%)" in out.splitlines(), out


def test_a_best_is_read_against_the_scatter_around_it_not_the_tails():
    """Keras Adam on digits, a model half the size (make_walk.py). At lr 0.1 the validation loss scatters far more
    after its best than around it: the tail's noise (±194% of the best) could never decide a best. At lr 0.03 the
    best (epoch 13) is a dip in a stretch jumping 0.37-0.62 whose tail settled (differences of ~0.002): a +4.5%
    move read against the quiet tail was a decided "does NOT hold"."""
    code, out, err = cli("compare", KC / "walk_lr0.1.csv", KC / "walk_lr0.1_w32.csv", "--change", "size_factor=0.5")
    best = next(line for line in out.splitlines() if "best ≥ 10% lower" in line)
    assert "got 0.4752 → 0.486: not decided (the move is within the two runs' own epoch-to-epoch noise: " \
           "±2 standard errors = ±0.226 (±47.6% of 0.4752)" in best, best
    c = losslens.compare(KC / "walk_lr0.03.csv", KC / "walk_lr0.03_w32.csv", change={"size_factor": 0.5})
    best = next(r for r in c.results if r.check.statistic == "best")
    assert (best.baseline, best.value) == (pytest.approx(0.3689, abs=1e-4), pytest.approx(0.3856, abs=1e-4))
    assert best.holds is None and best.why == "noise" and "±32.1% of 0.3689" in best.skipped


def test_an_after_resumed_from_the_plateau_checkpoint_is_compared_from_there_as_verify_retrains():
    """Keras SGD(0.3) read lr_too_high (X at epoch 6, converged likely); the model saved after epoch 6, resumed at
    lr 0.03 with fit(initial_epoch=7) into a CSVLogger file of its own. Compared from epoch 7 on, as verify's
    from_epoch retraining is: converged's lr / 10, "not run" for two logs from scratch, is read."""
    code, out, err = cli("compare", RES / "before.csv", RES / "resumed.csv", "--change", "lr_factor=0.1")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[3] == ("AFTER resumes BEFORE at epoch 7 (its log starts there): compared with BEFORE's epochs 7–29, "
                        "the change made from there on"), out
    assert any(l.startswith("  ✗ lr_too_high — learning rate / 10 from epoch 7 on: predicts val_loss ends ≥ 15% lower; got 0.344 → "
            "0.3278 (-4.7%): does NOT hold (losslens on the AFTER run: converged)") for l in lines)
    assert any(l.startswith("  ✓ converged — learning rate / 10 from epoch 7 on: predicts val_loss ends < 15% lower; got 0.344 → "
            "0.3278 (-4.7%): holds (losslens on the AFTER run: converged)") for l in lines)
    assert "not run" not in out and "the the" not in out
    assert "verdict lr_too_high: NOT confirmed; the AFTER run points to converged instead" in out
    # (its first epochs are not missing: they are BEFORE's, which the output says)
    assert "earlier epochs are missing" not in err


def test_a_resume_appended_to_a_copy_of_befores_log_reads_as_the_same_resume(tmp_path):
    """CSVLogger(append=True) onto a copy of before.csv: epochs 0-29, then 7-29 again at lr 0.03. Its first 7 rows
    are BEFORE's; the same checkpoint and seed as resumed.csv, so the same reading; the JSON says it too."""
    png = tmp_path / "resume.png"
    code, out, err = cli("compare", RES / "before.csv", RES / "appended.csv", "--change", "lr_factor=0.1", "--json",
                         "--plot", png)
    assert code == 1, err
    obj = json.loads(out)
    assert obj["compare"]["resumed"]["epoch"] == 7 and obj["compare"]["resumed"]["from_epoch"] == 7
    assert obj["compare"]["resumed"]["said"].startswith(
        "AFTER resumes BEFORE at epoch 7 (its first 7 epochs are BEFORE's): compared with BEFORE's epochs 7–29")
    # (no spread's reading: BEFORE's tail bounced ±3.4% of its level, under the end's own 15% bar)
    assert [(c["cause"], c["change"], c["statistic"], c["holds"]) for c in obj["checks"]] == [
        ("lr_too_high", {"lr_factor": 0.1, "from_epoch": 7}, "end", False),
        ("converged", {"lr_factor": 0.1, "from_epoch": 7}, "end", True)]
    assert obj["checks"][1]["value"] == pytest.approx(0.3278, abs=1e-4)
    assert png.read_bytes()[:4] == b"\x89PNG"
    # the same resume trained on to epoch 40: compared over BEFORE's epochs, the rest said to be left out
    c = losslens.compare(RES / "before.csv", RES / "resumed_long.csv", change={"lr_factor": 0.1})
    assert c.resumed.epoch == 7 and c.resumed.until == 29
    assert c.notes == ["AFTER's epochs after 29 (to 39) left out: BEFORE ends at 29 (a BEFORE trained as long "
                       "compares them)"]
    assert [r.value for r in c.results if r.check.statistic == "end"] == pytest.approx([0.3278, 0.3278], abs=1e-4)


def test_lightnings_fit_from_the_plateau_checkpoint_in_a_new_version_folder_confirms_converged():
    """Lightning's e40 run (converged, X at epoch 6) resumed by a new Trainer from its epoch-6 checkpoint
    (fit(ckpt_path=)) at lr 0.005: version_1's metrics.csv goes on at epoch 7, its hparams.yaml says the lr."""
    code, out, err = cli("compare", RES_LOGS / "version_0", RES_LOGS / "version_1")
    assert code == 0, err
    assert "AFTER resumes BEFORE at epoch 7 (its log starts there): compared with BEFORE's epochs 7–39" in out
    assert "change: lr_factor=0.1 (hparams.yaml: lr 0.05 → 0.005)" in out
    # (0.005 / 0.05 is 0.0999...: the check's own tenth, named as it is)
    assert ("✓ converged — learning rate / 10 from epoch 7 on: predicts val_loss ends < 15% "
            "lower; got 0.1552 → 0.1679 (+8.2%): holds") in out
    assert "verdict converged: confirmed by the AFTER run" in out
    # the folder holding both: read as one run (version_0 joined to its resume), whose first 7 epochs are BEFORE's
    c = losslens.compare(RES_LOGS / "version_0", RES / "lightning", change={"lr_factor": 0.1})
    assert c.resumed.how == "its first 7 epochs are BEFORE's" and c.confirmed is True
    assert c.results[0].value == pytest.approx(0.1679, abs=1e-4)


def test_a_resume_compare_cannot_read_is_compared_as_two_runs_where_change_names_it():
    """--change given: the two are compared from scratch, and the note says why not as a resume."""
    c = losslens.compare(RES / "before.csv", RES / "resumed_at_end.csv", change={"lr_factor": 0.1})
    assert c.resumed is None
    assert c.notes[0].startswith("AFTER starts at epoch 30, after BEFORE's last (29)")
    assert c.notes[0].endswith("compared as two runs, as --change names the change")
    converged = next(r for r in c.results if r.check.cause == "converged")
    assert converged.holds is None and "from the plateau on" in converged.skipped


def test_a_before_that_itself_starts_late_keeps_its_warning_where_after_resumes_it(tmp_path):
    """before.csv from epoch 3 on (what CSVLogger writes for a fit(initial_epoch=3) into a file of its own: its rows
    3-29 as Keras wrote them), then resumed.csv from its epoch-7 checkpoint. AFTER's missing first epochs are
    BEFORE's and go unsaid; BEFORE's own are missing indeed, and said (they were dropped with AFTER's, by text)."""
    late = tmp_path / "before_from3.csv"
    rows = (RES / "before.csv").read_text().splitlines(keepends=True)
    late.write_text(rows[0] + "".join(rows[4:]))
    code, out, err = cli("compare", late, RES / "resumed.csv", "--change", "lr_factor=0.1")
    assert code in (0, 1), err
    assert "AFTER resumes BEFORE at epoch 7 (its log starts there)" in out
    assert err.splitlines() == [f"losslens: {late}: the log starts at epoch 3, the earlier epochs are missing (a "
                                "resumed fit: in another log, or overwritten, as CSVLogger(version=0) does); X is "
                                "measured from epoch 3"], err


SPIKY = ECO / "compare_resume_spiky"


def test_a_resume_at_lr_over_10_that_lost_every_spike_is_confirmed_by_the_spread_it_lost(tmp_path):
    """Keras SGD(1.2) on digits bouncing to 8.6 and 4.9 over a level of ~0.07, resumed at 0.12 from epoch 7
    (compare_resume_spiky/make.py, walk 37's logs). The end's 15% bar sits inside BEFORE's bounce (±41%): it was
    "not decided" for ever, though AFTER lost every spike. lr_too_high's own prediction, the tail's epoch-to-epoch
    spread at least halved, reads ±28.6% → ±1.0% and decides it (its ratio's noise: x/÷ ~3.5)."""
    rc, out, err = cli("compare", SPIKY / "before.csv", SPIKY / "after.csv", "--change", "lr_factor=0.1",
                       "--json", "--plot", tmp_path / "cmp.png")
    assert rc == 0, err
    got = json.loads(out)
    assert got["compare"]["resumed"]["epoch"] == 7
    by = {r["statistic"]: r for r in got["checks"] if r["cause"] == "lr_too_high"}
    assert by["end"]["holds"] is None and by["end"]["why"] == "noise"
    assert by["spread"]["holds"] is True and by["spread"]["value"] < 0.05 * by["spread"]["baseline"]
    assert got["confirmed"] is True
    c = losslens.compare(SPIKY / "before.csv", SPIKY / "after.csv", change={"lr_factor": 0.1})
    line = next(r.line() for r in c.results if r.check.statistic == "spread")
    assert line.startswith("✓ lr_too_high — learning rate / 10 from epoch 7 on: predicts the epoch-to-epoch spread of "
                           "val_loss (its tail) ≥ 50% lower; got ±28.6% → ±1.0% (-96.5%): holds")
    assert line.endswith("(noise: ±2 standard errors = x/÷ 3.5)")
    # a calm tail's jitter halves under any smaller step: BEFORE's own AFTER (lr 0.12 already) against itself at
    # lr / 10 is no bounce to lose, and that reading is left out
    c = losslens.compare(SPIKY / "after.csv", SPIKY / "before.csv", change={"lr_factor": 0.1})
    assert c.results and not any(r.check.statistic == "spread" for r in c.results)


def test_a_plot_title_says_the_texts_word_for_a_move_within_the_noise(tmp_path):
    """The end alone (the spread given no say): the text says "not decided", so must the chart's title (it said
    "not checked by the AFTER run")."""
    import matplotlib

    matplotlib.use("Agg")
    from losslens.report import plot

    c = losslens.compare(SPIKY / "before.csv", SPIKY / "after.csv", change={"lr_factor": 0.1})
    c.results = [r for r in c.results if r.check.statistic != "spread"]
    assert c.summary().startswith("not decided")
    titles = []
    real = plot._headline
    plot._headline = lambda ax, text, *a, **k: (titles.append(text), real(ax, text, *a, **k))
    try:
        c.save_plot(tmp_path / "c.png")
    finally:
        plot._headline = real
    assert titles == ["lr too high: not decided"]


HF = ECO / "compare_hf_resume"
HF_BEFORE = HF / "before" / "checkpoint-160" / "trainer_state.json"
RESTORED = RES / "lightning_restored" / "lightning_logs"


def test_a_trainer_resumed_from_befores_checkpoint_at_lr_over_10_is_read_off_the_lr_both_logged():
    """compare_hf_resume/make.py: a Trainer (tiny BERT, constant lr 3e-3, read overfitting at step 10) resumed from
    its checkpoint-80 at 3e-4 by a new Trainer (scheduler.pt left out of the copy, so the new rate is used). The
    resumed state's log_history holds the checkpoint's rows (steps 5-80) and its own: a resume at step 85, its
    points (every 5 steps, not each step) BEFORE's up to 80; the lr change read off the lr both logged at the
    same steps from there."""
    code, out, err = cli("compare", HF_BEFORE, HF / "after" / "checkpoint-160" / "trainer_state.json", "--json")
    assert code == 2, err
    got = json.loads(out)["compare"]
    assert got["resumed"]["said"] == ("AFTER resumes BEFORE at step 85 (its points up to step 80 are BEFORE's): "
                                      "compared with BEFORE's steps 85–160, the change made from there on")
    assert got["resumed"]["from_epoch"] == 16
    assert got["change"] == {"lr_factor": pytest.approx(0.1)}
    assert got["change_from"] == "the logs: the lr logged 0.003 → 0.0003 from step 85 on"
    c = losslens.compare(HF_BEFORE, HF / "after" / "checkpoint-160" / "trainer_state.json")
    assert c.diagnosis.verdict == "overfitting" and c.confirmed is None
    assert c.summary().startswith("not checked: overfitting predicts nothing of lr_factor=0.1")
    # compared over steps 85-160 alone: BEFORE's val_loss there against AFTER's own
    assert [float(r.axis[-1]) for r in c.after_runs] == [160.0] and c.after_runs[0].series["val_loss"][-1] == \
        pytest.approx(1.3148, abs=1e-4)


def test_a_trainer_resumed_at_a_new_learning_rate_that_restored_the_old_one_is_said_so():
    """The same resume with learning_rate=3e-4 in TrainingArguments and the checkpoint whole: the Trainer restores
    its optimizer and lr scheduler, the new rate unused, and logs BEFORE's values step for step. Refused in one line
    that says why the 'same run' came back, not as a copy of the file."""
    code, out, err = cli("compare", HF_BEFORE, HF / "after_ignored" / "checkpoint-160" / "trainer_state.json")
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("losslens: ") and "BEFORE and AFTER are the same run (identical val_loss series)" in line
    assert "resumed with resume_from_checkpoint at a new learning_rate, that rate was not used (the lr logged is " \
           "BEFORE's, 0.003)" in line and "without scheduler.pt" in line


def test_an_after_that_goes_on_from_befores_last_point_at_another_lr_is_refused_not_read_as_a_budget():
    """BEFORE the checkpoint resumed (checkpoint-80: steps 5-80), AFTER all of it then steps 85-160 at lr / 10: it
    read 'epochs_factor=2 (the logged lengths)', a budget nobody changed. BEFORE trained on unchanged (its
    checkpoint-160) is still a longer budget: the lr goes on as it was."""
    code, out, err = cli("compare", HF / "before" / "checkpoint-80" / "trainer_state.json",
                         HF / "after" / "checkpoint-160" / "trainer_state.json")
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert ("AFTER holds all of BEFORE's steps and goes on from its last (80) at lr 0.0003 (BEFORE's last 0.003): a "
            "resume of BEFORE's end") in line, line
    c = losslens.compare(HF / "before" / "checkpoint-80" / "trainer_state.json", HF_BEFORE)
    assert c.resumed is None and c.change == {"epochs_factor": 2.0}


def test_lightning_resumed_with_the_lr_changed_in_hparams_alone_trained_at_the_restored_lr():
    """make_lightning_restored.py: SGDNet(lr=0.005) resumed with fit(ckpt_path=) from the epoch-6 checkpoint of the
    lr 0.05 run, nothing more: the optimizer state restored sets the lr back to 0.05. hparams.yaml says 0.005;
    LearningRateMonitor's lr-SGD says 0.05 (version_1). It read 'lr_factor=0.1 (hparams.yaml)' and confirmed
    converged off a run that never changed its lr."""
    code, out, err = cli("compare", RESTORED / "version_0", RESTORED / "version_1")
    assert code == 2, err
    assert ("change: hparams.yaml states lr 0.05 → 0.005, but the lr logged from epoch 7 on is 0.05 on both sides: "
            "the AFTER run trained at BEFORE's lr, the lr did not change") in out
    assert "confirmed" not in out and "✓" not in out
    # given the change anyway: checked as given, with the same words as a note
    c = losslens.compare(RESTORED / "version_0", RESTORED / "version_1", change={"lr_factor": 0.1})
    assert any(n.startswith("hparams.yaml states lr 0.05 → 0.005, but the lr logged") for n in c.notes)
    # no lr logged (version_2, the same resume without LearningRateMonitor): hparams.yaml is all there is, and the
    # note says what it cannot show
    c = losslens.compare(RESTORED / "version_0", RESTORED / "version_2")
    assert c.change == {"lr_factor": pytest.approx(0.1)} and c.change_from == "hparams.yaml: lr 0.05 → 0.005"
    assert c.notes == ["hparams.yaml states lr 0.05 → 0.005, but no lr is logged from epoch 7 on to show that the "
                       "AFTER run trained at it: a resume restores the checkpoint's optimizer and its lr unless the "
                       "lr is set again after it (Lightning's fit(ckpt_path=), a Trainer's resume_from_checkpoint); "
                       "Lightning's LearningRateMonitor logs the lr that trained"]
    # the lr set again once restored (make_lightning.py): the log agrees with hparams.yaml, read as before
    c = losslens.compare(RES_LOGS / "version_0", RES_LOGS / "version_1")
    assert c.change_from == "hparams.yaml: lr 0.05 → 0.005" and c.notes == [] and c.confirmed is True


def test_a_resume_of_one_of_several_before_seeds_is_compared_with_that_seed():
    """appended.csv resumes before.csv (compare_keras' sgd_lr0.3, seed 0): its first 7 epochs are that seed's.
    Given with seeds 1 and 2 of the same setting, it was compared with the three seeds' mean (and read against
    seed 1's diagnosis, overfitting: 'not checked'); a resume goes on from one run, so that run is the baseline,
    and the reading is the one-pair reading."""
    KCs = [KC / "sgd_lr0.3_s1.csv", KC / "sgd_lr0.3_s2.csv"]
    c = losslens.compare([KCs[0], RES / "before.csv", KCs[1]], RES / "appended.csv",
                         change={"lr_factor": 0.1})
    one = losslens.compare(RES / "before.csv", RES / "appended.csv", change={"lr_factor": 0.1})
    assert c.diagnosis.verdict == one.diagnosis.verdict == "lr_too_high"
    assert [(r.check.cause, r.baseline, r.value, r.holds) for r in c.results] == \
        [(r.check.cause, r.baseline, r.value, r.holds) for r in one.results]
    assert c.noise == "tail" and [x.run_name for x in c.before] == ["before"]
    assert c.notes[0] == ("BEFORE compared is before, the run AFTER resumes (its first 7 epochs are before's); "
                          "sgd_lr0.3_s1, sgd_lr0.3_s2 left out: a resume goes on from one run, and its seeds' mean is "
                          "not where it started")
    assert c.confirmed is False


def test_a_resumes_plot_marks_where_it_resumed_the_stretch_compared_and_each_statistics_move():
    """compare --plot of the spiky resume: its legend said 'learning rate / 10 from 7 (-3%)', the end's move alone,
    where the spread's (-97%) decided it; and nothing said where AFTER left BEFORE nor which epochs were compared."""
    pytest.importorskip("matplotlib")
    from losslens.report.plot import verification_figure

    c = losslens.compare(SPIKY / "before.csv", SPIKY / "after.csv", change={"lr_factor": 0.1})
    legend = [t.get_text() for t in verification_figure(c).axes[0].get_legend().get_texts()]
    assert legend == ["BEFORE: lr too high", "AFTER: lr_factor=0.1 from 7 (end -3%, spread -97%)",
                      "compared: epochs 7–29", "AFTER resumes BEFORE at epoch 7"], legend


# Runs that do not belong together (walk 38, D1, D2, D10c): each pair below is two real logs of the fixtures.

def test_a_classifier_against_a_regression_is_refused_in_one_line():
    """compare_keras' digits classifier (val_acc logged) against Keras' Adam(0.1) on diabetes (an MSE, no accuracy):
    read as an epoch budget x 3.3 and answered 'converged's prediction does NOT hold', exit 0; the lab's linear
    regression in its place read 'lr_too_high confirmed, -91.6%'."""
    diabetes = ECO / "pathologies" / "adam0.1_diabetes.csv"
    for before, after, has in ((KC / "sgd_lr0.3.csv", diabetes, "BEFORE"), (diabetes, KC / "sgd_lr0.3.csv", "AFTER")):
        code, out, err = cli("compare", before, after)
        assert code == 2 and out == "", out
        assert err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith(f"losslens: {after}: {has} logs an accuracy (val_acc, train_acc) and ") and \
            "another task: their losses do not compare" in err, err
    with pytest.raises(losslens.LosslensError, match="logs an accuracy"):
        losslens.compare(KC / "sgd_lr0.3.csv", diabetes, change={"epochs_factor": 2})


def test_validation_accuracies_counted_over_other_sets_are_refused_even_with_the_change_named():
    """Keras' val_accuracy is a count of correct answers over the validation set: compare_keras' 360 digits
    (validation_split=0.2 of 1,797: Keras keeps the last 1797 - int(1797 * 0.8)), compare_lightning's 899 (make.py),
    the README's keras_csvlogger.csv 108 or a multiple. That log against compare_keras' adam_e80 with
    --change epochs_factor=2 was checked as two runs of one setup (the walk's pair, 397 and 108: 'converged NOT
    confirmed', exit 1)."""
    example = ROOT / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
    code, out, err = cli("compare", example, KC / "adam_e80.csv", "--change", "epochs_factor=2")
    assert code == 2 and out == "" and err.count("\n") == 1, (out, err)
    assert err.startswith(f"losslens: {KC / 'adam_e80.csv'}: another validation set than BEFORE's: every val_acc "
                          "is a whole number of correct answers out of 108 examples in BEFORE and out of 360 in "
                          "AFTER"), err
    from losslens.api import to_runs
    from losslens.comparison import _validation_count

    assert _validation_count(to_runs(KC / "sgd_lr0.3.csv")[0]) == 1797 - int(1797 * 0.8) == 360
    assert _validation_count(to_runs(LC / "e40")[0]) == 899
    # (one set, other settings: an lr ten times lower, a width halved are compared as before)
    assert losslens.compare(KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", change={"lr_factor": 0.1}).results
    assert losslens.compare(KC / "walk_lr0.1.csv", KC / "walk_lr0.1_w32.csv", change={"size_factor": 0.5}).notes == []


def test_runs_told_to_be_one_task_are_compared_with_the_override_said():
    """compare_keras' SGD(0.03) run compiled without metrics=["accuracy"] (make_no_metrics.py: sgd_lr0.03's losses
    to the digit, no accuracy columns) against sgd_lr0.3, which logs it: refused as another task, with no way past
    the refusal for a user who forgot the metric on one side. Told they are one task (--same-task), they read as
    the pair that logs both, and the note and --json say the check was skipped; the checks that are not about the
    task (the same run twice, a resume with none of BEFORE's epochs) still refuse."""
    before, after = KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03_no_metrics.csv"
    code, out, err = cli("compare", before, after, "--change", "lr_factor=0.1")
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, (out, err)
    assert err.startswith(f"losslens: {after}: BEFORE logs an accuracy (val_acc, train_acc) and AFTER none: ") and \
        err.endswith("their losses do not compare; pass --same-task if they are one task\n"), err
    code, out, err = cli("compare", before, after, "--change", "lr_factor=0.1", "--same-task", "--json")
    assert code == 1, (out, err)
    told = json.loads(out)
    skipped = ("compared as one task, as told (--same-task), though BEFORE logs an accuracy (val_acc, train_acc) and "
               "AFTER none")
    assert told["compare"]["same_task"] is True and told["compare"]["notes"] == [skipped]
    assert told["confirmed"] is False
    # (the readings are those of the same run with its accuracy logged)
    logged = losslens.compare(before, KC / "sgd_lr0.03.csv", change={"lr_factor": 0.1})
    c = losslens.compare(before, after, change={"lr_factor": 0.1}, same_task=True)
    assert [r.line() for r in c.results] == [r.line() for r in logged.results]
    assert "(+14.0%): does NOT hold" in c.results[0].line()
    assert f"  note: {skipped}\n" in str(c) and logged.to_dict()["compare"]["same_task"] is False
    # the other task checks: another validation set, another saved task (each refusal names the way past it)
    example = ROOT / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
    for b, a, found in ((example, KC / "adam_e80.csv", "another validation set than BEFORE's: every val_acc is a "
                                                       "whole number of correct answers out of 108 examples"),
                        (ECO / "hf_two_problems" / "classifier", ECO / "hf_two_problems" / "regression",
                         "another task than BEFORE's (num_labels: 2 before, 1 after, in their saved settings)")):
        with pytest.raises(losslens.LosslensError, match="pass --same-task if they are one task"):
            losslens.compare(b, a, change={"epochs_factor": 2})
        c = losslens.compare(b, a, change={"epochs_factor": 2}, same_task=True)
        assert c.notes[0].startswith("compared as one task, as told (--same-task), though " + found), c.notes
    # not the checks of what is compared: the same run twice, a resume after BEFORE's last epoch
    with pytest.raises(losslens.LosslensError, match="BEFORE and AFTER are the same run"):
        losslens.compare(before, before, same_task=True)
    with pytest.raises(losslens.LosslensError, match="after BEFORE's last"):
        losslens.compare(RES / "before.csv", RES / "resumed_at_end.csv", same_task=True)


def test_first_losses_far_more_apart_than_an_lr_change_moves_them_get_a_note():
    """fresh_kinds' regression with its targets divided by 100 (cf_scaled_target) against the unscaled one: the
    first val_loss values 2.8e4 and 3.3 (scale squared), and the end read '-100.0%' with nothing said. An lr ten
    times lower on one task (first val_loss 0.71 and 1.98) gets no note."""
    fk = ECO / "fresh_kinds"
    c = losslens.compare(fk / "unscaled_target.csv", fk / "cf_scaled_target.csv", change={"lr_factor": 1})
    said = [n for n in c.notes if n.startswith("the first val_loss values are 2.828e+04 (BEFORE) and 3.312 (AFTER), "
                                               "8540x apart")]
    assert said and "losses of one task and one scale?" in said[0], c.notes
    assert "note: the first val_loss values are 2.828e+04" in str(c)
    assert losslens.compare(KC / "sgd_lr0.3.csv", KC / "sgd_lr0.03.csv", change={"lr_factor": 0.1}).notes == []


def test_a_late_log_far_below_a_dead_before_is_no_resume_of_it():
    """compare_resume/resumed.csv resumes compare_keras' sgd_lr0.3 (seed 0) at epoch 7, training loss 0.084;
    against SGD(3.0) seed 1, a run dead at ln 10 (training loss 2.33 at its lowest), it read 'AFTER resumes BEFORE at
    epoch 7 ... the change made from there on'. One epoch goes at most 10.3x below the lowest so far (858 DeepOBS
    runs): 28x is another run's checkpoint, compared as two runs with a note. The resume of its own BEFORE (1.1x
    below) is still one."""
    c = losslens.compare(KC / "sgd_lr3.0_s1.csv", RES / "resumed.csv", change={"lr_factor": 0.1})
    assert c.resumed is None and "AFTER resumes BEFORE" not in str(c)
    assert c.notes[0].startswith("AFTER's log starts at epoch 7, but does not go on from BEFORE there: its first "
                                 "train_loss 0.08393 is 28x below BEFORE's lowest up to epoch 6 (2.326)"), c.notes
    code, out, err = cli("compare", KC / "sgd_lr3.0_s1.csv", RES / "resumed.csv")
    assert "AFTER resumes BEFORE" not in out and "note: AFTER's log starts at epoch 7, but does not go on" in out
    # (the reader's own warning, that its first epochs are missing, is no longer answered by a resume: said)
    assert "the log starts at epoch 7, the earlier epochs are missing" in err
    own = losslens.compare(RES / "before.csv", RES / "resumed.csv", change={"lr_factor": 0.1})
    assert own.resumed is not None and own.resumed.epoch == 7


def test_the_change_not_named_is_said_once():
    """The two lines of why the change is not named were printed on the change line, again on the verdict line,
    and a third time on stderr (then a shortened line there, "losslens: PATH: not checked: ... (said above)", which
    read as an input error: session 49's walk). Exit 2, the outcome on stdout alone."""
    why = "the logs save no setting that differs"
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", KC / "sgd_lr0.3_s1.csv")
    assert code == 2 and (out + err).count(why) == 1, (out, err)
    assert "verdict lr_too_high: not checked: the change is not named (see the change line)" in out
    assert err == ""
    # (--json: the JSON's "unknown" holds the whole reason, its "summary" the outcome)
    code, out, err = cli("compare", KC / "sgd_lr0.3.csv", KC / "sgd_lr0.3_s1.csv", "--json")
    obj = json.loads(out)
    assert code == 2 and err == "" and why in obj["compare"]["unknown"] and obj["summary"].startswith("not checked")


def test_a_longer_run_that_ended_higher_and_reads_overfitting_is_not_converged():
    """Keras' moons MLP read still_improving at 400 epochs (seed 1) and converged (seed 0); the same runs carried on
    to 800 (keras_slow_overfit) ended 5.3% and 7.2% higher, far beyond their noise (±0.7%, ±1.0%), their best no
    lower, and read overfitting. converged's "< 15% higher" held of both, and compare said "consistent with
    converged" (seed 1) and "converged: confirmed by the AFTER run" (seed 0): the extra epochs hurting is
    overfitting's prediction, not a floor's. Both readings now fail on the rise, and the verdict line names
    overfitting and its action. (compare has no --cause: Click refuses it.)"""
    ks = ECO / "keras_slow_overfit"
    for seed, verdict, moved in ((1, "still_improving", "+5.3%"), (0, "converged", "+7.2%")):
        code, out, err = cli("compare", ks / f"moons400_s{seed}.csv", ks / f"moons800_s{seed}.csv")
        assert code == 1, err
        line = next(line for line in out.splitlines() if line.startswith(f"verdict {verdict}:"))
        assert line.startswith(f"verdict {verdict}: NOT confirmed; consistent with overfitting (twice the epochs: "
                               f"{moved}, and the longer run reads overfitting: stop earlier, at the best epoch, or "
                               "regularize); "), line
        assert "consistent with converged" not in out and "confirmed by" not in line
        reading = next(line for line in out.splitlines() if "converged — twice the epochs" in line)
        assert reading.lstrip().startswith("✗") and "it ended higher, beyond its noise, and reads overfitting" in reading
        # the rule that refutes it inside the "< 15% higher" the prediction prints (walk 44)
        assert ("a longer run that ends ≥ 2% higher beyond its noise and reads overfitting refutes a floor inside "
                "the 15% ceiling") in reading, reading
    code, _, err = cli("compare", ks / "moons400_s1.csv", ks / "moons800_s1.csv", "--cause", "converged")
    assert code == 2 and "No such option: --cause" in err, err


def test_a_longer_run_that_reads_converged_keeps_converged_s_reading(tmp_path):
    """The rise refutes converged only in a run read overfitting: seed 1's log as it stood at 640 epochs (+2.0%
    against 400, read converged) still leans to converged, and says which check would settle it (verify's: compare
    has no --cause)."""
    ks = ECO / "keras_slow_overfit"
    lines = (ks / "moons800_s1.csv").read_text().splitlines()
    cut = tmp_path / "moons800_s1_e640.csv"
    cut.write_text("\n".join(lines[:641]) + "\n")
    code, out, err = cli("compare", ks / "moons400_s1.csv", cut)
    assert code == 1, err
    line = next(line for line in out.splitlines() if line.startswith("verdict still_improving:"))
    assert line.startswith("verdict still_improving: NOT confirmed; consistent with converged (epochs x 1.6, read as "
                           "twice the epochs: +2.0%; losslens verify FILE.py:FUNCTION --cause converged retrains its "
                           "other checks: twice the epochs, learning rate / 10); "), line
    assert "it ended higher" not in out and "; --cause" not in line


NAN_START = ECO / "torch_nan_from_start"


def test_an_after_nan_from_its_first_epoch_is_compared_as_diverged_on_the_metric_asked():
    """A torch digits MLP at SGD 0.5 (val_loss 0.109), then the same run with one NaN pixel in its training set:
    every loss NaN from epoch 0, the accuracies logged. diagnose says diverged; compare read the all-NaN val_loss as
    not logged, said "AFTER logs no val_loss", re-read BEFORE on val_acc and called AFTER "converged (plateau at
    epoch 0)". A series logged NaN throughout is logged: the run diverged on it."""
    res = runner.invoke(app, ["compare", str(NAN_START / "clean.csv"), str(NAN_START / "nan_pixel.csv"),
                              "--change", "lr_factor=1"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert losslens.diagnose(str(NAN_START / "nan_pixel.csv")).verdict == "diverged"
    assert "after  nan_pixel: diverged (NaN from epoch 0) on val_loss" in res.output
    assert "before clean: " in res.output and " on val_loss" in res.output.split("before clean: ")[1].splitlines()[0]
    assert "logs no val_loss" not in res.output and "val_acc" not in res.output
    assert "val_loss: end (median of the last 3) 0.1089 → diverged (NaN/inf); best 0.1086 → diverged (NaN/inf)" in res.output
    c = losslens.compare(str(NAN_START / "clean.csv"), str(NAN_START / "nan_pixel.csv"), change="lr_factor=10")
    assert [d.verdict for d in c.after] == ["diverged"] and c.diagnosis.metric == "val_loss"
