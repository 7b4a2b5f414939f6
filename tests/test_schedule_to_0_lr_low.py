"""lr_too_low read off a schedule that ran the lr to ~0 before the descent ended (diagnosis.annealed_early) offers 10x
the peak and the same decay over more steps as one choice, not "try 10x the peak" first. A tiny GPT-2 under the
Trainer's warm-up + linear decay to 0 over 200 steps (tests/fixtures/ecosystem/hf_gpt2_decay_to_0, make.py): 10x the
peak ended 10% lower, under verify's 15% bar, the same decay over 400 steps 22% lower (make.out); a digits MLP's cosine
to 0 (torch_cosine_peak) ended 62% lower at 10x its peak, so neither leads on the curve alone."""
import re
from pathlib import Path

import losslens
from losslens.verification import GAIN

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
FIX = ECO / "hf_gpt2_decay_to_0"


def _final(name: str) -> float:
    return float(re.search(rf"^{name}: .* final eval_loss ([\d.]+)$", (FIX / "make.out").read_text(), re.M).group(1))


def test_the_premise_a_longer_schedule_gains_more_than_10x_the_peak():
    base, x10, longer = _final("s200"), _final("s200_lr1e-2"), _final("s400")
    assert longer < (1 - GAIN) * base < x10 < base, (base, x10, longer)
    lr = losslens.read(FIX / "s200")[0].get("lr")
    assert lr[-1] < 0.01 * lr.max()  # the linear decay's last logged rate: ~0


def test_10x_the_peak_comes_with_the_longer_schedule_where_the_schedule_ran_the_lr_to_0():
    for path in (FIX / "s200", ECO / "torch_cosine_peak" / "adam_lr0.0003.json"):
        d = losslens.diagnose(path)
        c = d.causes[0]
        assert c.id == "lr_too_low" and "pace_ratio" in c.numbers, (path, d)
        assert "10x the peak" in c.actions[0] and "the same decay over more" in c.actions[0], c.actions
        assert "which of the two buys more only retraining tells" in c.actions[0], c.actions
        assert c.actions[1].startswith("a longer schedule: the same decay stretched"), c.actions


def test_the_forecast_past_that_schedule_says_it_carries_the_curve_on_as_if_the_lr_held():
    fc = losslens.forecast(FIX / "s200")
    assert "as though the lr held" in (fc.note or ""), fc.note
    assert fc.interval[0] > _final("s400")  # what the longer schedule reached lies outside the forecast's interval
