"""A run counted in steps (a Trainer's trainer_state.json, MMEngine's iterations) is advised in steps: the rules word
training's length in epochs ("more epochs", "twice the epochs", "not the epoch count"), and only the actions' "more
epochs" was said in the run's unit, so a tiny GPT-2 under a linear decay to 0 over 200 steps read "the same decay
stretched over twice the epochs, not more steps at its end rate" (tests/fixtures/ecosystem/hf_gpt2_decay_to_0), and
evidence kept "more epochs" on step logs. The data's own epochs ("at each epoch boundary") stay epochs."""
from dataclasses import replace
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
EPOCH_WORDS = ("more epochs", "twice the epochs", "the epoch count", "each epoch now")


def _said(d) -> list[str]:
    return [s for c in d.causes for s in (*c.evidence, *c.actions)]


@pytest.mark.parametrize("path, says", [
    (ECO / "hf_gpt2_decay_to_0" / "s200", "the same decay stretched over twice the steps, not more steps"),
    (ECO / "capacity_or_floor" / "gpt2_e32", "(twice the steps, its decay re-planned over them), not more steps"),
    (ECO / "fresh_kinds" / "hf_warmup10000", "more steps, or a larger step, only make right predictions"),
    (ECO / "hf_lm_finetune" / "pre_e8", "at the schedule's end rate more steps will not follow it"),
])
def test_a_step_log_is_advised_in_steps(path, says):
    d = losslens.diagnose(path)
    assert d.axis == "step"
    said = _said(d)
    assert not [s for s in said if any(w in s for w in EPOCH_WORDS)], said
    assert any(says in s for s in said), said


def test_verify_keeps_its_own_keyword_and_an_epoch_log_its_epochs():
    # Verify retrains through train()'s epochs_factor whatever the log counts: named by it, not "twice the steps".
    s200 = _said(losslens.diagnose(ECO / "hf_gpt2_decay_to_0" / "s200"))
    assert any("retrains it with epochs_factor=2" in s for s in s200), s200
    cosine = _said(losslens.diagnose(ECO / "torch_cosine_peak" / "adam_lr0.0003.json"))
    assert any("the same decay stretched over twice the epochs, not more epochs" in s for s in cosine), cosine


def test_compare_of_two_step_logs_says_their_noise_step_to_step():
    # A TensorBoard sweep on a step axis (tests/fixtures/ecosystem/tb_lr_sweep: SGD 1.0 read lr_too_high, 0.03):
    # "read against each run's own epoch-to-epoch noise" named a unit neither log counts. (The sweep logged
    # add_scalar(..., epoch), which reads as epochs now, training and validation one value each at every step:
    # its runs are put on a step axis here.)
    def steps(name):
        [run] = losslens.read(ECO / "tb_lr_sweep" / "runs" / name)
        assert run.axis_name == "epoch"
        return replace(run, axis_name="step")

    c = losslens.compare(steps("lr_1.0"), steps("lr_0.03"), change={"lr_factor": 0.1})
    assert c.diagnosis.axis == "step" and c.holds("lr_too_high")
    text = str(c)
    assert "each run's own step-to-step noise" in text and "epoch" not in text, text


def test_a_check_that_never_ran_says_its_spread_in_the_baselines_unit():
    # verify on a baseline logged by step whose lr / 10 retraining raised: the check's line has no retrained run to
    # take a unit from, and said "the epoch-to-epoch spread" of a log that counts steps (CheckResult.line read the
    # retrained runs' axis, "epoch" without one, where Check.prediction asks for the baseline's).
    from losslens.verification import CHECKS, CheckResult, Verification

    [run] = losslens.read(ECO / "tb_lr_sweep" / "runs" / "lr_1.0")
    run = replace(run, axis_name="step")  # (logged by epoch; the unit under test is a step log's)
    d = losslens.diagnose(run)
    spread = next(c for c in CHECKS["lr_too_high"] if c.statistic == "spread")
    v = Verification(d, [CheckResult(spread, skipped="its retraining raised", broke=True)], [None], [run])
    assert run.axis_name == "step"
    text = str(v)
    assert "the step-to-step spread" in text and "epoch-to-epoch" not in text, text
