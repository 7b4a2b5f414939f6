"""Repeats of one setting (folds, seeds) read as repeats, not as a sweep (tests/fixtures/ecosystem/torch_repeats/make.py:
torch MLPs on digits, Adam 3e-3, 40 epochs; a 5-fold cross-validation per fold and as one long table, and 5 seeds of
one split, seed 3 run at lr 2.0 by mistake; the figures in its make.out)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import losslens
from losslens.cli import app

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_repeats"


def _diagnose(*args):
    result = CliRunner().invoke(app, ["diagnose", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_folds_read_on_their_mean_not_ranked():
    """Walk 46: the folds read "best val_loss: fold_2, 0.08045" (a fold's validation set, not a setting) and fold_1
    alone "converged 89%"; their mean is still falling (80 epochs took it 0.112 -> 0.098). One line names them
    repeats, the mean's verdict, the spread (sd 0.030 of the last values) and that fold_1 alone disagrees."""
    for source in (HERE / "cv", HERE / "cv_long.csv"):
        out = _diagnose(source)
        assert "best val_loss:" not in out
        assert "5 folds of one setting" in out and "no best fold named" in out
        assert "mean of 5 folds: still improving" in out
        assert "spread across folds: last val_loss 0.1121 ± 0.03 sd (0.08045–0.1476)" in out
        assert "converged (fold_1)" in out or "converged (fold=1)" in out


def test_diverged_seed_left_out_of_the_mean():
    """Seed 3 ran at lr 2.0 and ends at 2.44 where the others end 0.0659-0.0732: left out of the mean and said, the
    mean of the 4 others read (still improving), its spread theirs; no "best seed: seed_4" (0.0659 beside seed_2's
    0.0669, within the seeds' noise)."""
    out = _diagnose(HERE / "seeds")
    assert "best val_loss:" not in out
    assert "seed_3 left out of the mean: its last value 2.444 is far outside the other seeds' (0.0659–0.07318" in out
    assert "mean of 4 seeds: still improving" in out
    assert "spread across seeds: last val_loss 0.06976 ± 0.0039 sd" in out
    from losslens.repeats import find_repeats

    [rep] = find_repeats(losslens.diagnose_all(HERE / "seeds"))
    assert [i for i, _ in rep.left_out] == [3]
    means = [np.asarray(losslens.read(HERE / "seeds" / f"seed_{s}" / "log.csv")[0].series["val_loss"]) for s in (0, 1, 2, 4)]
    assert np.allclose(rep.mean.run.series["val_loss"], np.mean(means, axis=0))


def test_a_sweep_keeps_its_best_line(tmp_path):
    """Runs that differ in a setting are a sweep, even named by seed: two seeds at lr 3e-3 beside the one at 2.0 whose
    logs say so (an lr column) keep the best line and get no repeats line."""
    for s, lr in ((0, 0.003), (1, 0.003), (3, 2.0)):
        (tmp_path / f"seed_{s}").mkdir()
        lines = (HERE / "seeds" / f"seed_{s}" / "log.csv").read_text().splitlines()
        lines = [lines[0] + ",lr"] + [line + f",{lr}" for line in lines[1:]]
        (tmp_path / f"seed_{s}" / "log.csv").write_text("\n".join(lines) + "\n")
    out = _diagnose(tmp_path)
    assert "best val_loss: seed_0" in out and "of one setting" not in out


def test_long_table_beside_its_per_fold_files_is_read_once(tmp_path):
    """A folder holding the folds' files and their long table (all_folds.csv, a fold column) read 10 runs and said
    "these runs come from 2 folders" of one folder: each fold is read once, said on stderr."""
    for f in (HERE / "cv").glob("fold_*.csv"):
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(HERE / "cv_long.csv", tmp_path / "all_folds.csv")
    runs = losslens.read(tmp_path)
    assert len(runs) == 5
    out = _diagnose(tmp_path)
    assert "5 runs" in out and "2 folders" not in out


def test_seeded_reruns_in_one_table_stay_apart(tmp_path):
    """Two ids of one long table with the same values (a rerun at the same seed) are two runs, not a copy."""
    text = (HERE / "cv_long.csv").read_text().splitlines()
    fold0 = [line for line in text[1:] if line.startswith("0,")]
    rows = [text[0]] + fold0 + ["9" + line[1:] for line in fold0]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    assert len(losslens.read(tmp_path / "t.csv")) == 2


def test_one_folder_two_experiments_is_not_two_folders(tmp_path):
    """The folds' long table beside two runs' files of another split: one folder, said as one, not "2 folders"
    (the long table's runs were put in the folder above theirs)."""
    shutil.copy(HERE / "cv_long.csv", tmp_path / "all.csv")
    for s in (0, 1):
        shutil.copy(HERE / "seeds" / f"seed_{s}" / "log.csv", tmp_path / f"{'ab'[s]}.csv")
    out = _diagnose(tmp_path)
    assert "2 folders" not in out
    assert "come from 2 sets of logs in one folder (all.csv, its other files)" in out


def test_compare_reads_several_before_runs_on_their_mean_in_any_order():
    """Walk 46: compare's verdict was the first BEFORE log's (seed_3 first: lr_too_high, "end 0.8943 -> 0.06417
    (-92.8%)" with the diverged seed in the mean; seed_1 first: still_improving). Any order now gives one verdict,
    the mean curve's of the seeds kept, seed_3 left out of it and of the means, said."""
    seeds, after = HERE / "seeds", [HERE / "seeds_lr1e2" / f"seed_{s}" / "log.csv" for s in range(3)]
    outs = []
    for first, *more in ((3, 1, 0), (1, 3, 0), (0, 1, 3)):
        args = ["compare", seeds / f"seed_{first}" / "log.csv", *after, "--change", "lr_factor=0.1"]
        for s in more:
            args += ["--before", seeds / f"seed_{s}" / "log.csv"]
        result = CliRunner().invoke(app, list(map(str, args)))
        outs.append(result.output)
        assert "seed_3 left out of the mean: its last value 2.444" in result.output
        assert "verdict still_improving" in result.output and "lr_too_high" not in result.output
        assert "end 0.8943" not in result.output
    assert len({o.split("\n", 1)[1].replace("seeds/seed_0", "X").replace("seeds/seed_1", "X") for o in outs}) == 1


def test_a_repeat_stopped_early_bounds_the_mean_and_is_said(tmp_path):
    """A fold cut at epoch 29 (early stopping) beside two of 40 epochs: the mean is read where all three logged,
    said, not over the tail the two longer ones logged alone."""
    lines = (HERE / "cv" / "fold_0.csv").read_text().splitlines()
    (tmp_path / "fold_0.csv").write_text("\n".join(lines[:31]) + "\n")
    for k in (1, 2):
        shutil.copy(HERE / "cv" / f"fold_{k}.csv", tmp_path / f"fold_{k}.csv")
    out = _diagnose(tmp_path)
    assert "mean of 3 folds: still improving (not plateaued) — no plateau in 30 epochs" in out
    assert "the mean runs to epoch 29, where the shortest fold ends (the longest to 39)" in out


def test_html_report_of_repeats_names_no_best(tmp_path):
    """The HTML report's overview badged seed_4 "best" and drew it thick: repeats rank nothing there either; its
    overview says what they are, the seed left out, the mean's headline and the spread."""
    out = tmp_path / "seeds.html"
    result = CliRunner().invoke(app, ["report", str(HERE / "seeds"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert 'class="ll-best"' not in html and "repeats of one setting, none the best" in html
    assert "5 seeds of one setting" in html and "seed_3 left out of the mean" in html
    assert "mean of 4 seeds: still improving" in html and "spread across seeds: last val_loss 0.06976" in html


def test_cv_fold_and_replicate_columns_tell_repeats_apart(tmp_path):
    """A long table whose fold column is spelt cv_fold (fold_idx, replicate ...) read its folds as cv#1 ... cv#5, split
    at each epoch 0, and ranked them; now each is its fold, and the folds are read as repeats."""
    text = (HERE / "cv_long.csv").read_text()
    for name, kind in (("cv_fold", "folds"), ("replicate", "repeats")):
        (tmp_path / f"{name}.csv").write_text(text.replace("fold,", f"{name},", 1))
        out = _diagnose(tmp_path / f"{name}.csv")
        assert f"{name}=0, {name}=1" in out and f"5 {kind} of one setting" in out and "best val_loss:" not in out


def test_the_mean_is_read_with_the_stated_classes():
    """A K stated with --classes holds for every repeat: the mean's own diagnosis reads against it (it was dropped,
    and the mean's K guessed from its first loss again)."""
    from losslens.repeats import all_repeats

    ds = losslens.diagnose_all(HERE / "cv", classes=7)
    groups = all_repeats(ds)
    assert groups and groups[0].mean is not None
    chance = groups[0].mean.facts.chance
    assert chance.classes == 7 and chance.classes_from == "given"


def _json_lines(*args) -> list[dict]:
    import json

    result = CliRunner().invoke(app, ["diagnose", "--json", *map(str, args)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _spread(values) -> dict:
    v = np.asarray(values, dtype=float)
    return {"mean": v.mean(), "sd": v.std(ddof=1), "min": v.min(), "max": v.max()}


def test_json_carries_the_repeats_on_each_members_object():
    """``diagnose --json`` printed one object per fold and nothing of the folds read as repeats (the text's mean
    verdict, spread, no best): a program saw fold_1 "converged" and fold_2 lowest. Each member's object now carries
    ``repeats``: the kind, the members, the mean curve's verdict (the same as diagnosing the folds' point-wise mean
    ourselves) and the spread of the last values (from the logs) and of the members' own smoothed bests."""
    import csv

    rows = [list(csv.DictReader(open(HERE / "cv" / f"fold_{k}.csv"))) for k in range(5)]
    mean = losslens.diagnose({c: np.mean([[float(r[c]) for r in rs] for rs in rows], axis=0)
                              for c in ("epoch", "loss", "val_loss", "val_accuracy")})
    last = _spread([float(rs[-1]["val_loss"]) for rs in rows])
    for source in (HERE / "cv", HERE / "cv_long.csv"):
        objs = _json_lines(source)
        assert len(objs) == 5  # (still one object per run)
        names = [o["run"] for o in objs]
        best = _spread([o["best"]["value"] for o in objs])
        for o in objs:
            rep = o["repeats"]
            assert rep["kind"] == "fold" and rep["members"] == names and rep["left_out"] == []
            assert rep["mean"]["verdict"] == mean.verdict == "still_improving"
            assert rep["mean"]["plateau_epoch"] == mean.plateau_epoch
            assert rep["mean"]["confidence"] == round(mean.cause.confidence, 3)
            for got, want in ((rep["spread"]["last"], last), (rep["spread"]["best"], best)):
                assert set(got) == set(want)
                assert all(np.isclose(got[k], want[k], rtol=1e-6) for k in want), (got, want)


def test_json_repeats_name_the_diverged_seed_left_out():
    """Seed 3 (lr 2.0, last 2.444): every seed's object, its own too, says it was left out and why; the spread is the
    4 others' (0.0659-0.0732), not one pulled to 0.54 by it."""
    objs = _json_lines(HERE / "seeds")
    finals = {o["run"]: float(losslens.read(HERE / "seeds" / o["run"] / "log.csv")[0].series["val_loss"][-1])
              for o in objs}
    kept = [v for name, v in finals.items() if name != "seed_3"]
    for o in objs:
        rep = o["repeats"]
        assert rep["kind"] == "seed" and len(rep["members"]) == 5
        [gone] = rep["left_out"]
        assert gone["run"] == "seed_3" and "seed_3 left out of the mean" in gone["why"]
        assert rep["mean"]["verdict"] == "still_improving"
        assert np.isclose(rep["spread"]["last"]["mean"], np.mean(kept), rtol=1e-6)
        assert np.isclose(rep["spread"]["last"]["max"], max(kept), rtol=1e-6)


def test_json_repeats_is_null_where_runs_are_no_repeats(tmp_path):
    """A single run and a sweep (seeds whose logs say they ran at different lrs) carry ``"repeats": null``; the key
    is there, so a program need not test for it; ``Diagnosis.to_dict()`` from Python says what --json says."""
    [one] = _json_lines(HERE / "cv" / "fold_0.csv")
    assert "repeats" in one and one["repeats"] is None
    for s, lr in ((0, 0.003), (1, 0.003), (3, 2.0)):
        (tmp_path / f"seed_{s}").mkdir()
        lines = (HERE / "seeds" / f"seed_{s}" / "log.csv").read_text().splitlines()
        lines = [lines[0] + ",lr"] + [line + f",{lr}" for line in lines[1:]]
        (tmp_path / f"seed_{s}" / "log.csv").write_text("\n".join(lines) + "\n")
    assert [o["repeats"] for o in _json_lines(tmp_path)] == [None] * 3
    import json

    ds = losslens.diagnose_all(HERE / "seeds")
    assert [json.loads(d.to_json()) for d in ds] == _json_lines(HERE / "seeds")


AGREE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_walk46_agree"


def test_seeds_that_agree_are_read_by_their_verdict_not_their_mean():
    """Walk 46: two seeds of a digits MLP at Adam 0.05 each read lr_too_high (71%, 84%), each bouncing off its floor
    at other epochs; their mean curve read "overfitting, plateau at epoch 0 (99%)", first action early stopping.
    lr / 10 (hilr_lr10/) took both seeds' last val_loss from 2.32 and 1.31 to 0.151 and 0.126: the step was it.
    Every repeat reading one verdict, that is the group's reading, the mean's said beside it."""
    ends = {s: [float(np.asarray(losslens.read(AGREE / d / f"seed_{s}" / "metrics.csv")[0].series["val_loss"])[-1])
                for d in ("hilr", "hilr_lr10")] for s in (0, 1)}
    assert all(lo < 0.2 * hi for hi, lo in ends.values())
    out = _diagnose(AGREE / "hilr")
    group = out[out.index("2 seeds of one setting"):out.index("\nseed_0: ")]
    # (seed_1 reads diverged 97% since a29de0c7's climb rule, lr_too_high beside it: the same step too large; 74% since
    # its validation accuracy, at its peak from the first check, counts its first value in the jumps' fall
    # (facts.learned_first): 3 jumps off its best read beside the climb.)
    assert "all 2 seeds read learning rate too high (confidence 71%, 74%; val_loss; seed_1 reads diverged first, " \
           "the same step too large)" in group
    assert "their mean curve alone reads overfitting (99%), unlike every seed" in group
    assert "mean of 2 seeds: overfitting" not in group and "early stopping" not in group
    assert "→ lower the learning rate" in group and "restart from the weights of epoch" not in group
    from losslens.repeats import find_repeats

    [rep] = find_repeats(losslens.diagnose_all(AGREE / "hilr"))
    assert rep.agreed == "lr_too_high" and rep.overruled() and rep.mean.verdict == "overfitting"
    for o in _json_lines(AGREE / "hilr"):  # (the JSON says the group's reading too)
        assert o["repeats"]["agreed"] == "lr_too_high" and o["repeats"]["mean"]["verdict"] == "overfitting"


def test_seeds_that_agree_with_their_mean_say_so():
    """Where the mean reads the verdict every repeat reads, its report is the group's, and that they all read it is
    said: lr / 10's two seeds (both overfitting), the 4 seeds kept of 5 (seed_3 left out; all still improving). The
    folds, fold_1 alone converged, are not all of one verdict."""
    out = _diagnose(AGREE / "hilr_lr10")
    assert "mean of 2 seeds: overfitting" in out and "  - all 2 seeds read overfitting too" in out
    assert "mean curve alone reads" not in out
    out = _diagnose(HERE / "seeds")
    assert "mean of 4 seeds: still improving" in out and "  - all 4 seeds read still improving too" in out
    assert "all 5 folds read" not in _diagnose(HERE / "cv")


def test_compare_before_runs_that_agree_keep_their_verdict_in_any_order():
    """Walk 46: `compare hilr/seed_0 lr10 lr10_s1 --before hilr/seed_1` ended "verdict overfitting: not checked ...
    lr_too_high's prediction held (-94.8%)": the mean curve's verdict, which neither BEFORE run reads."""
    after = [AGREE / "hilr_lr10" / f"seed_{s}" / "metrics.csv" for s in (0, 1)]
    for first, other in ((0, 1), (1, 0)):
        result = CliRunner().invoke(app, list(map(str, [
            "compare", AGREE / "hilr" / f"seed_{first}" / "metrics.csv", *after,
            "--before", AGREE / "hilr" / f"seed_{other}" / "metrics.csv"])))
        assert result.exit_code == 0, result.output
        assert "verdict lr_too_high: confirmed" in result.output, result.output
        assert "verdict overfitting" not in result.output
        assert "BEFORE's verdict is lr_too_high, as all 2 of its runs read it (or list it beside diverged, the same " \
               "step too large); their mean curve alone reads overfitting" in result.output


def test_a_rise_from_no_improvement_is_no_share_of_it():
    """The seeds' mean curve starts at 0.645 and its smoothed best is 0.643 (0.011 noise sds under it): its
    overfitting line read "rose 1.17: 54541% of its improvement"; a rise from a best within the noise is said so."""
    from losslens.repeats import find_repeats

    [rep] = find_repeats(losslens.diagnose_all(AGREE / "hilr"))
    line = rep.mean.causes[0].evidence[0]
    assert "of its improvement" not in line
    assert "from a best only 0.011 noise sds below its first value (no improvement to measure the rise by)" in line
