"""One training read at another evaluation frequency should get the same verdict where the evidence is the same.
hf_gpt2_eval_steps (make.py): hf_gpt2_decay_to_0's tiny GPT-2 (warm-up + linear decay to 0 over 200 steps, lr 1e-3)
evaluated every 5, 10, 20 and 40 steps. Every 5, 10 and 20 read lr_too_low (diagnosis.annealed_early), and so does
the every-5 log cut down to every 20th step (the same curve, fewer points); every 40 (5 evaluations, 2 of them at
>= half the peak lr: no pace to read there) reads still_improving. 10x the peak ended 9.6% lower (1.5454 vs
1.7092-1.7104), the same decay over 400 steps 22% lower (hf_gpt2_decay_to_0)."""
import copy
import json
import math
import re
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
FIX = ECO / "hf_gpt2_eval_steps"

# Measured on main 307f8391: at 10 evaluations annealed_early was never asked. Its stretch at >= half the peak lr
# holds 5 points (steps 20-100), under lr_phases' 2 x MIN_TAIL_POINTS = 8, and the run under shape_min_points = 20.
# lr_phases now holds a run under 20 points to the share of them at the peak (40%: 8 of 20) instead, and
# annealed_early leaves the count to it: split, every 20 steps reads peak t -11.8, annealed t -11.9, pace 0.50,
# drop 10.0 noise sds (every 5: -14.6, -29.7, 0.53, 49 sds; every 10: -20.3, -13.7, 0.58, 19 sds). The noise sd,
# from residuals about a 3-point smooth, still grows with the spacing (0.0014 at 40 points, 0.0035 at 20, 0.0087 at
# 10: the curve's bend read as noise), so every 20 steps passes lr_low_drift_noise (10) by a hair.


def _final(name: str) -> float:
    return float(re.search(rf"^{name}: .* final eval_loss ([\d.]+)$", (FIX / "make.out").read_text(), re.M).group(1))


def _every(k: int, tmp_path: Path) -> Path:
    """The every-5-steps log cut down to every ``k`` steps: its evaluations, training losses and lrs at those steps."""
    state = json.loads((FIX / "e5" / "trainer_state.json").read_text())
    cut = copy.deepcopy(state)
    cut["log_history"] = [r for r in state["log_history"] if "step" not in r or r["step"] % k == 0
                          or "train_runtime" in r]
    out = tmp_path / f"every{k}"
    out.mkdir()
    (out / "trainer_state.json").write_text(json.dumps(cut))
    return out


def test_the_premise_one_training_at_four_frequencies_and_what_a_larger_step_and_a_longer_schedule_gave():
    ends = [_final(f"e{k}") for k in (5, 10, 20, 40)]
    assert max(ends) - min(ends) < 0.002, ends  # the same training, within its last digits
    truth = (ECO / "hf_gpt2_decay_to_0" / "make.out").read_text()
    x10 = float(re.search(r"^s200_lr1e-2: .* final eval_loss ([\d.]+)$", truth, re.M).group(1))
    longer = float(re.search(r"^s400: .* final eval_loss ([\d.]+)$", truth, re.M).group(1))
    assert x10 < 0.92 * min(ends) and longer < 0.8 * min(ends), (x10, longer, ends)
    for k in (5, 10, 20, 40):
        n = sum("eval_loss" in r for r in json.loads((FIX / f"e{k}" / "trainer_state.json").read_text())["log_history"])
        assert n == 200 // k, (k, n)  # every k steps to step 200


def test_the_dense_logs_read_the_schedule_run_down_before_the_descent_ended(tmp_path):
    for path in (FIX / "e5", FIX / "e10", _every(10, tmp_path)):
        d = losslens.diagnose(path)
        assert d.verdict == "lr_too_low" and "pace_ratio" in d.causes[0].numbers, (path, d)


def test_every_20_steps_reads_what_every_5_reads(tmp_path):
    for path in (FIX / "e20", _every(20, tmp_path)):
        d = losslens.diagnose(path)
        assert d.verdict == "lr_too_low", (path, d)


def test_a_sparse_log_still_falling_at_the_end_of_its_decay_reads_the_step_too_small():
    """The same opening on other Trainer logs of 16 evaluations (hf_two_problems/make.py: a one-layer BERT and a
    RoBERTa of hidden size 32, lr 1e-3, linear decay to 0 over 128 steps, evaluated every 8): read still_improving,
    now lr_too_low with still_improving beside it. Retrained with that make.py's run() (session 48): the BERT ended
    at 0.0261, 10x the peak at 0.0001, 3x at 0.0018, twice the epochs at 0.0054; the RoBERTa at 0.0301, 10x the
    peak at 0.0001, twice the epochs at 0.0056."""
    sweep = ECO / "hf_lr_sweep"
    for path in (sweep / "lr1e-3", sweep / "roberta_lr1e-3"):
        d = losslens.diagnose(path)
        assert d.verdict == "lr_too_low" and "still_improving" in [c.id for c in d.causes], (path, d)


# keras_rlrop_noise_floor (make.py): a regression whose validation MSE cannot go below 0.09 by its noise, Adam 1e-2
# under ReduceLROnPlateau; the runs end at 0.091-0.098 and read converged. The same runs checked every 2nd epoch, as
# Keras' CSVLogger writes fit(validation_freq=2) -- val_loss at the 2nd, 4th ... epoch (0-based 1, 3 ...), blank in
# the other rows, the training loss in every row -- lose the first epoch's fall (0.399 -> 0.122 of seed 1's whole
# 0.399 -> 0.091), and the peak lr's climb (0.0998 -> 0.1176) was 57% of what was left: read lr_too_high on main
# (diagnosis.peak_climbed). Against the fall before the first check as well (its first value standing in, as a
# resumed log's does) it is 12%, under bounce_range. rlrop_60_s1_f0.1_p10.csv so checked then read lr_too_low
# (diagnosis.decayed_in_line: "266% of the whole run's pace", a pace per unit of lr from the first check that missed
# the fall too); with the fall and the lr-time before the first check, 61%, under decay_line_pace.
NOISE_FLOOR = ECO / "keras_rlrop_noise_floor"


def _checked_every_2nd(name: str, tmp_path: Path) -> Path:
    lines = (NOISE_FLOOR / name).read_text().splitlines()
    head = lines[0].split(",")
    val = [i for i, c in enumerate(head) if c.startswith("val_")]
    out = [lines[0]]
    for row, line in enumerate(lines[1:]):
        cells = line.split(",")
        if row % 2 == 0:  # (0-based epochs 0, 2 ...: not checked)
            for i in val:
                cells[i] = ""
        out.append(",".join(cells))
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n")
    return path


def test_a_run_at_its_noise_floor_checked_every_2nd_epoch_reads_as_checked_every_epoch(tmp_path):
    for name in ("rlrop_40_s1.csv", "rlrop_40_s2.csv", "rlrop_60_s1_f0.1_p10.csv"):
        full = losslens.diagnose(str(NOISE_FLOOR / name))
        sparse = losslens.diagnose(str(_checked_every_2nd(name, tmp_path)))
        assert full.verdict == "converged", name
        assert sparse.verdict == full.verdict, (name, [c.id for c in sparse.causes])
        assert "lr_too_high" not in [c.id for c in sparse.causes], name


# A validation curve checked late misses the fall before its first check in its bounce and jump shares too
# (facts.measure's ``unseen``, as peak_climbed and decayed_in_line count it). keras_bottleneck (make.out: the
# 1-unit bottleneck holds training at 1.290; 64 units reach 0.0004) checked at its 2nd, 4th ... epochs
# (validation_freq=2) bounced "7% of its whole improvement", 2.107 -> 1.62, and read lr_too_high where every epoch
# read underfitting; keras_validation_freq's cf_w256 (validation_freq=5; 0.0905 at the end, 0.0895 at lr / 10 from
# epoch 30, 0.0892 at best: at its noise floor of 0.09) checked every 10th epoch, first at 0.0950 (every 5th: 0.1240
# at epoch 4), jumped to 0.0951 and 0.0975, "1.0x and 1.2x the improvement made by then", and read lr_too_high
# where every 5th read converged.
def _blank_every_2nd(path: Path, tmp_path: Path) -> Path:
    """``path``'s CSVLogger rows with the validation cells of its 1st, 3rd ... rows blank: the validation_freq
    twice as long (a check at the 2nd, 4th ... epochs; every 10th where validation_freq=5 left 4 of 5 blank)."""
    lines = path.read_text().splitlines()
    val = [i for i, c in enumerate(lines[0].split(",")) if c.startswith("val_")]
    out = [lines[0]]
    for row, line in enumerate(lines[1:]):
        cells = line.split(",")
        if row % 2 == 0:
            for i in val:
                cells[i] = ""
        out.append(",".join(cells))
    thinned = tmp_path / f"{path.parent.name}_{path.name}"
    thinned.write_text("\n".join(out) + "\n")
    return thinned


def test_a_bounce_and_a_jump_checked_less_often_count_the_fall_before_the_first_check(tmp_path):
    for path, truth in ((ECO / "keras_bottleneck" / "run.csv", "underfitting"),
                        (ECO / "keras_validation_freq" / "cf_w256.csv", "converged")):
        full = losslens.diagnose(str(path))
        sparse = losslens.diagnose(str(_blank_every_2nd(path, tmp_path)))
        assert full.verdict == truth, path.name
        assert sparse.verdict == truth, (path.name, [(c.id, c.evidence[:1]) for c in sparse.causes])


# A validation loss first checked late does not start where the run did: keras_thrown_checked_late (make.py), a
# digits MLP at plain SGD 1.5 validated every 2nd epoch (Keras' validation_freq=2), first read 1.042 (seed 8) and
# 1.796 (seed 9) at epoch 1, after training's first epoch at 2.006 / 2.21, then both losses sat at ln 10, a uniform
# guess: "val_loss ended 123% (30%) above its starting value", diverged, where seed 8 validated every epoch (first
# 3.129 at epoch 0, the first epoch's blow-up) reads the collapse as lr_too_high; a tenth of the rate ends at
# 0.372 / 0.364. Measured from training's first logged point, the start nearer the run's, the climb is 16% / 6%.
# keras_thrown_held's sgd1.5_w128_s0 checked at its 2nd, 4th ... epochs (first 1.845, training's first 2.228) read
# diverged so, where every epoch's checks read lr_too_high.
CHECKED_LATE = ECO / "keras_thrown_checked_late"


def _first_run(name: str) -> float:
    return float(re.search(rf"^{re.escape(name)}: .* last ([\d.]+);", (CHECKED_LATE / "make.out").read_text(),
                           re.M).group(1))


def test_the_premise_a_step_too_large_collapses_to_a_guess_and_a_tenth_of_it_learns():
    for seed in (8, 9):
        assert abs(_first_run(f"sgd1.5_s{seed}.csv") - math.log(10)) < 0.05, seed
        assert _first_run(f"sgd0.15_s{seed}.csv") < 0.2 * math.log(10), seed
    lines = (CHECKED_LATE / "sgd1.5_s8.csv").read_text().splitlines()
    assert lines[1].endswith(",NA,NA") and not lines[2].endswith(",NA,NA")  # what validation_freq=2 writes


def test_a_collapse_checked_late_is_read_as_the_step_not_as_a_climb_above_its_first_check(tmp_path):
    every = losslens.diagnose(str(CHECKED_LATE / "sgd1.5_s8_every.csv"))
    assert every.verdict == "lr_too_high", every
    for name in ("sgd1.5_s8.csv", "sgd1.5_s9.csv"):
        d = losslens.diagnose(str(CHECKED_LATE / name))
        assert d.verdict == "lr_too_high", (name, [(c.id, c.evidence[:1]) for c in d.causes])
        assert "diverged" not in [c.id for c in d.causes], name
    held = ECO / "keras_thrown_held" / "sgd1.5_w128_s0.csv"
    full = losslens.diagnose(str(held))
    sparse = losslens.diagnose(str(_blank_every_2nd(held, tmp_path)))
    assert full.verdict == "lr_too_high" and sparse.verdict == full.verdict, \
        [(c.id, c.evidence[:1]) for c in sparse.causes]


def test_the_fall_before_a_late_first_check_is_measured_once_for_every_rule_that_counts_it(tmp_path):
    """One measure (facts.measure's ``Facts.unseen``) for the jumps and bounce share and for peak_climbed and
    decayed_in_line, which had each computed it, apart on a score and on a metric not named ``val_``: the first
    check's value where the check came after training's first point; 0 from the start, for a score (its fall is
    not bounded by its first value) and for a late log, whose own ``missed`` counts it."""
    from losslens.facts import measure
    from losslens.readers import read

    path = ECO / "keras_bottleneck" / "run.csv"
    full, sparse = read(str(path))[0], read(str(_blank_every_2nd(path, tmp_path)))[0]
    f = measure(sparse)
    first = float(next(v for v in sparse.series["val_loss"] if v == v))
    assert f.metric == "val_loss" and f.missed == 0 and f.unseen == first > 2.0, (f.unseen, first)
    assert measure(full).unseen == 0.0
    assert measure(sparse, metric="val_acc").unseen == 0.0  # (a score)
    late = measure(read(str(ECO / "lightning_resume_late_start" / "logs" / "csv" / "version_0" / "metrics.csv"))[0])
    assert late.missed > 0 and late.unseen == 0.0
