"""A new user's runs that losslens read wrong, each on what the library wrote (folders under
tests/fixtures/ecosystem/, with the script that trained it and the counterfactual's numbers); each
test checks the premise (what the counterfactual reached) as well as the verdict.

- sklearn_mlp_lr1: MLPClassifier(early_stopping=True) at Adam lr 1.0 on digits: its loss_curve_ went
  24.9 -> 2.38 (ln 10 = 2.30), validation accuracy 0.08-0.19; read no_signal ("check the labels"),
  with overfitting 0.95 beside it. At lr 0.01 the same model reaches 0.975.
- hf_linear_decay_low_lr: a Trainer run (eval every 20 steps, linear decay) at lr 3e-5 that flattened at
  97% of ln 2 as the schedule ran the lr to 0: read underfitting and converged, lr_too_low not named
  (it reads constant-rate runs only); at lr 1e-3 the same model reaches 0.0019.
- wandb_offline_small_data: a W&B offline run on 60 digits said "validation ends 107% above training"
  where validation (0.76) ended a thousand times above training (0.0007): the 107% was the gap over
  validation's best. Twice the data lowers the best validation loss 25%, four times 41%.
- torch_multitask: a multi-task loop's CSV with per-task validation losses and no total: diagnosed on
  "val_loss", a column the user never logged (the reader's sum of the parts), without saying so.
- lightning_val_interval: Lightning with val_check_interval=0.25, SGD at lr 0.01 for 10 epochs: folded
  onto epochs, its 40 validation checks were 10 points, too few for the shape rules, and it read
  underfitting, "a bigger model"; lr 0.1 ends 88% lower (0.269 vs 2.184), 40 epochs 59% lower.
- keras_validation_freq: a Keras regression at its noise floor (val 0.0896-0.0951, noise variance 0.09)
  with validation_freq=5 read lr_too_high: the bounce was measured against validation's improvement
  from epoch 4, after most of the descent; lr / 10 from epoch 30 ends 2.5% lower.
- torch_monitor_steplr: a loop with the PyTorch Monitor, SGD momentum 0.9 at lr 0.3 under StepLR:
  training climbed back 0.41 -> 2.37 at the peak lr and settled only after the first cut; read
  converged, lr_too_high not listed (its rules read constant rates only). lr 0.03 ends 53% lower.
- keras_unscaled_inputs: a Keras binary classifier on unscaled breast_cancer features (5% positives)
  whose sigmoid saturated in the first steps: val_loss the same to the last digit at all 60 epochs read
  "converged, plateau at epoch 0: change the data or the model". lr / 10 and / 100 and an 8x wider
  model stay dead; the same inputs standardized reach 0.028. (torch_weights_not_updated: a loop whose
  optimizer got another module's parameters, the other way a loss sits at one value from its first.)
- torch_imbalanced_prior: a PyTorch loop on the same unscaled, 5%-positive data at Adam 0.1: the training
  loss fell 25.1 -> 0.1855, the prior's entropy, validation accuracy 0.9381 (the majority share) at every
  epoch, ROC AUC 0.500: read "converged, change the data or the model". lr 0.01 ends at 0.074 (AUC 0.991),
  256 wide stays at 0.235. At SGD 0.01 it read "still improving, keep training": 240 epochs end at 0.234,
  AUC 0.495, while lr 0.001 reaches 0.080.
- torch_high_lr_relapse: SGD 0.5 on digits, validation 1.959, 1.653 and back up to 2.33: "inf% of its
  improvement back up" (its smoothed curve is best at its first point). lr 0.05 ends at 0.108. The same
  MLP at Adam 1.0: training 625 -> 2.39, validation accuracy 0.10 throughout, read converged (K not
  inferable from a first val_loss of 6.99); Adam 0.01 ends at 0.146.
- torch_diabetes_small: 80 diabetes rows, Adam 1e-2: overfitting, with "also likely: lr_too_high (0.85)"
  from validation bouncing as it climbs while training sat memorised at 0.005; lr / 10 reaches the same best
  (0.435 vs 0.437), later.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
SKL = ECO / "sklearn_mlp_lr1"
HF = ECO / "hf_linear_decay_low_lr"
WB = ECO / "wandb_offline_small_data"
MT = ECO / "torch_multitask"
VI = ECO / "lightning_val_interval"
KV = ECO / "keras_validation_freq"
MON = ECO / "torch_monitor_steplr"


def _ids(d, status=None):
    return [c.id for c in d.causes if status is None or c.status == status]


class _FittedMLP:
    """The attributes losslens reads off a fitted MLPClassifier, as make.py dumped them."""
    def __init__(self, path: Path):
        self._d = json.loads(path.read_text())
        self.loss_curve_ = self._d["loss_curve_"]
        self.validation_scores_ = self._d["validation_scores_"]
        self.classes_ = self._d["classes_"]
        self.n_iter_ = self._d["n_iter_"]

    def get_params(self):
        return self._d["params"]


def test_the_premise_mlp_at_lr_1_learns_nothing_where_lr_0_01_reaches_0_975():
    hi, lo = (json.loads((SKL / f"mlp_lr{lr}.json").read_text()) for lr in ("1.0", "0.01"))
    assert hi["best_validation_score_"] < 0.2 and lo["best_validation_score_"] == pytest.approx(0.975)
    assert lo["test_accuracy"] > 0.9 > 0.15 > hi["test_accuracy"]
    # The training loss started 10x above a uniform guess's and ended at it, not below.
    assert hi["loss_curve_"][0] > 10 * math.log(10) and hi["loss_curve_"][-1] >= math.log(10)


def test_mlp_whose_training_loss_ends_at_ln_k_is_not_no_signal():
    """Was no_signal ("check the labels", 0.9) with overfitting (0.95) beside it, on a training loss
    that "kept falling" -- from 24.9 to 2.38, a uniform guess's loss: it memorised nothing."""
    d = losslens.diagnose(_FittedMLP(SKL / "mlp_lr1.0.json"))
    assert d.verdict == "lr_too_high", d
    assert "no_signal" not in _ids(d) and "overfitting" not in _ids(d)
    assert "ln 10" in str(d)


def test_the_counterfactual_mlp_still_reads_converged():
    d = losslens.diagnose(_FittedMLP(SKL / "mlp_lr0.01.json"))
    assert d.verdict == "converged", d


def _evals(path: Path) -> list[float]:
    return [h["eval_loss"] for h in json.loads(path.read_text())["log_history"] if "eval_loss" in h]


def test_the_premise_a_larger_step_not_a_larger_model_takes_the_trainer_run_below_ln_2():
    run, cf = _evals(HF / "lr3e-5" / "trainer_state.json"), _evals(HF / "cf_lr1e-3" / "trainer_state.json")
    assert round(run[-1], 4) == 0.6744 and run[-1] > 0.95 * math.log(2)
    assert cf[-1] < 0.01
    # lr x 10 (verify's check) reaches 0.046; a model 4x as wide at lr 3e-5 stays at 94% of ln 2.
    assert _evals(HF / "cf_lr3e-4" / "trainer_state.json")[-1] < 0.05
    assert _evals(HF / "cf_wide256" / "trainer_state.json")[-1] > 0.9 * math.log(2)
    lrs = [h["learning_rate"] for h in json.loads((HF / "lr3e-5" / "trainer_state.json").read_text())["log_history"]
           if "learning_rate" in h]
    assert lrs[-1] < 0.01 * max(lrs)  # the linear schedule ran the step down to ~0


def test_a_decayed_lr_that_left_the_loss_at_a_guess_names_lr_too_low():
    """Was underfitting (0.78) and converged, "a bigger model"; lr_too_low was never listed, so verify
    never retrained at a larger step."""
    d = losslens.diagnose(str(HF / "lr3e-5" / "trainer_state.json"))
    assert "lr_too_low" in _ids(d, "likely"), d
    low = next(c for c in d.causes if c.id == "lr_too_low")
    assert "decayed to 0.6% of its peak 2.85e-05" in " ".join(low.evidence)
    from losslens.verification import checks_for
    assert any(c.change.get("lr_factor") == 10 for c in checks_for(d))


def test_the_wider_model_at_the_same_small_lr_reads_lr_too_low():
    """Was underfitting (0.90), "a bigger model": it is the bigger model, and lr x 10 is what helps."""
    d = losslens.diagnose(str(HF / "cf_wide256" / "trainer_state.json"))
    assert d.verdict == "lr_too_low", d


def test_the_counterfactual_trainer_run_names_no_lr_too_low():
    d = losslens.diagnose(str(HF / "cf_lr1e-3" / "trainer_state.json"))
    assert "lr_too_low" not in _ids(d)


def test_the_premise_more_data_lowers_the_small_runs_validation_loss():
    best = {line.split()[0]: float(line.split("val best ")[1].split()[0])
            for line in (WB / "make.out").read_text().splitlines()}
    assert best["cf_n120"] < 0.8 * best["n60"] and best["cf_n240"] < 0.6 * best["n60"]


def test_the_data_limited_gap_is_named_as_what_it_measures():
    """Was "validation ends 107% above training" beside a validation loss 1000x the training loss."""
    pytest.importorskip("wandb")
    d = losslens.diagnose("wandb:" + str(WB / "wandb" / "offline-run-20261202_122157-vg2guk6y"))
    assert d.verdict == "overfitting"
    ev = " ".join(next(c for c in d.causes if c.id == "data_limited").evidence)
    assert "% above training" not in ev and "ends 0.761 above training" in ev
    assert "107% of validation's smoothed best (0.7131)" in ev


def test_a_summed_validation_loss_says_what_it_sums():
    d = losslens.diagnose(str(MT / "n300.csv"))
    assert d.metric == "val_loss" and d.verdict == "overfitting"
    assert "val_loss is the sum val_cls_loss + val_ink_loss (no total logged)" in " ".join(d.causes[0].evidence)
    # The named task alone: the classification head overfits from epoch 17 on (0.3298 -> 0.3769).
    one = losslens.diagnose(str(MT / "n300.csv"), metric="val_cls_loss")
    assert one.verdict == "overfitting" and "sum" not in " ".join(one.causes[0].evidence)


def _val_loss(path: Path) -> list[float]:
    """The val_loss column of a fixture CSV as written, rows without one left out (the premises'
    numbers, read without losslens)."""
    import csv

    with open(path, newline="") as f:
        return [float(r["val_loss"]) for r in csv.DictReader(f) if r["val_loss"] not in ("", "NA")]


def test_the_premise_a_larger_step_takes_the_val_check_interval_run_far_lower():
    run, lr10, ep4 = (_val_loss(VI / d / "metrics.csv")[-1] for d in ("sgd0.01", "cf_sgd0.1", "cf_sgd0.01_ep40"))
    assert round(run, 4) == 2.1841 and lr10 < 0.15 * run and ep4 < 0.5 * run


def test_validation_checked_four_times_an_epoch_is_read_check_by_check():
    """Was underfitting (0.95) on 10 folded points ("a bigger model"), lr_too_low not listed."""
    [run] = losslens.read(str(VI / "sgd0.01" / "metrics.csv"))
    assert run.axis_name == "step" and run.finite("val_loss")[0].shape[0] == 40
    d = losslens.diagnose(run)
    assert d.verdict == "lr_too_low", d


def test_the_premise_lr_div_10_gains_nothing_at_the_noise_floor():
    run, cf = _val_loss(KV / "w64.csv"), _val_loss(KV / "cf_lr_div10_from30.csv")
    assert len(run) == 20 and min(run) > 0.089 and max(run[-5:]) < 0.096  # noise variance 0.09
    assert cf[-1] > 0.95 * run[-1]  # lr / 10 from epoch 30: 0.0895 vs 0.0918, not the >= 15% lr_too_high predicts


def test_validation_every_5th_epoch_at_a_noise_floor_is_converged_not_lr_too_high():
    """Was lr_too_high (0.54): val sd 3% of an improvement measured from epoch 4 (0.175 -> 0.090),
    while training had fallen 0.39 -> 0.19 before that first check."""
    d = losslens.diagnose(str(KV / "w64.csv"))
    assert d.verdict == "converged", d
    assert "lr_too_high" not in _ids(d)


def test_the_premise_lr_div_10_under_the_same_steplr_ends_half_as_high():
    run, cf = (json.loads((MON / f).read_text()) for f in ("lr0.3.json", "cf_lr0.03.json"))
    [run_val], [cf_val] = ([v for v in r["val_loss"] if v is not None][-1:] for r in (run, cf))
    assert round(run_val, 4) == 0.8185 and cf_val < 0.5 * run_val


def test_a_training_loss_that_climbed_back_at_the_schedules_peak_lr_is_lr_too_high():
    """Was converged (0.75), "change the data or the model"; no lr_too_high at all."""
    d = losslens.diagnose(str(MON / "lr0.3.json"))
    assert d.verdict == "lr_too_high", d
    assert "climbed back from 0.4141 to 2.366 at epoch 7" in d.causes[0].evidence[0]
    assert losslens.diagnose(str(MON / "cf_lr0.03.json")).verdict == "converged"


KUI = ECO / "keras_unscaled_inputs"


def test_the_premise_standardized_inputs_not_a_smaller_step_bring_the_dead_run_to_life():
    base = _val_loss(KUI / "adam_lr0.1.csv")
    assert len(set(base)) == 1 and len(base) == 60
    for name in ("cf_adam_lr0.01.csv", "cf_adam_lr0.001.csv", "cf_adam_lr0.1_width256.csv"):
        assert min(_val_loss(KUI / name)) >= 0.99 * base[0], name
    assert min(_val_loss(KUI / "cf_adam_lr0.1_scaled.csv")) < 0.05 * base[0]


def test_a_loss_frozen_from_its_first_point_is_a_dead_network_not_converged():
    d = losslens.diagnose(KUI / "adam_lr0.1.csv")
    assert d.verdict == "stuck_at_init"
    assert "converged" not in [c.id for c in d.causes]
    text = str(d)
    assert "at all 60 epochs, from the first" in text
    assert "then froze at 0.735426 for its last 59 epochs" in text  # Keras' running mean jitters in its last bit
    assert "standardize the inputs" in d.causes[0].actions[0]


WNU = ECO / "torch_weights_not_updated"


@pytest.mark.parametrize("name", ["no_dropout.csv", "dropout0.5.csv"])
def test_a_loss_frozen_from_the_start_with_training_that_never_moved_points_at_the_optimizer(name):
    d = losslens.diagnose(WNU / name)
    assert d.verdict == "stuck_at_init"
    assert "the weights were never updated" in str(d)
    assert d.causes[0].actions[0].startswith("check that the optimizer updates the model's weights")
    assert not any("standardize" in a for a in d.causes[0].actions)
    # (weights never moved: a bigger model is no answer, whatever level the training loss bounced at)
    assert not any(c.id == "underfitting" for c in d.causes)


def test_the_living_counterfactual_is_not_read_as_dead():
    d = losslens.diagnose(KUI / "cf_adam_lr0.1_scaled.csv")
    assert d.verdict != "stuck_at_init"


TIP = ECO / "torch_imbalanced_prior"


def test_the_premise_a_smaller_step_not_a_bigger_model_or_more_epochs_learns_past_the_prior():
    base, sgd = _val_loss(TIP / "adam_lr0.1.csv")[-1], _val_loss(TIP / "sgd_lr0.01.csv")[-1]
    assert _val_loss(TIP / "cf_adam_lr0.01.csv")[-1] < 0.4 * base
    assert _val_loss(TIP / "cf_adam_lr0.1_width256.csv")[-1] > 0.95 * base
    assert _val_loss(TIP / "cf_sgd_lr0.001.csv")[-1] < 0.3 * sgd
    assert _val_loss(TIP / "cf_sgd_lr0.01_ep240.csv")[-1] > 0.95 * base  # four times the epochs: the prior's level


def test_a_model_that_learned_only_the_class_prior_is_lr_too_high_not_converged():
    d = losslens.diagnose(TIP / "adam_lr0.1.csv")
    assert d.verdict == "lr_too_high"
    assert "converged" not in [c.id for c in d.causes]
    text = str(d)
    assert "val_acc is 0.9381 at all 60 epochs" in text
    assert "entropy of a 93.8%/6.2% class split" in text
    assert d.causes[0].actions[0].startswith("lower the learning rate")


def test_a_still_falling_loss_toward_the_prior_is_not_keep_training():
    d = losslens.diagnose(TIP / "sgd_lr0.01.csv")
    assert d.verdict == "lr_too_high"
    assert not {"still_improving", "lr_too_low"} & {c.id for c in d.causes}
    assert "toward that entropy" in str(d)


def test_the_learning_counterfactuals_are_not_read_as_a_constant_guess():
    for name in ("cf_adam_lr0.001.csv", "cf_adam_lr0.1_std.csv", "cf_sgd_lr0.001.csv"):
        d = losslens.diagnose(TIP / name)
        assert all("constant_guess" not in c.numbers for c in d.causes), name


HLR = ECO / "torch_high_lr_relapse"


def test_a_climb_from_a_curve_best_at_its_start_is_quoted_as_a_number_not_inf():
    import csv

    with open(HLR / "cf_lr0.05.csv", newline="") as fh:
        assert float(list(csv.DictReader(fh))[-1]["val_loss"]) < 0.2  # the premise: a tenth of the step learns
    d = losslens.diagnose(HLR / "lr0.5.csv")
    assert d.verdict == "lr_too_high"
    text = str(d)
    assert "inf%" not in text and "nan%" not in text
    assert "226% of its improvement back up" in text  # (2.344 - 1.653) / (1.959 - 1.653)


DIA = ECO / "torch_diabetes_small"


def test_the_premise_a_tenth_of_the_step_reaches_no_lower_best_on_the_small_regression():
    import csv

    def best(name):
        with open(DIA / name, newline="") as fh:
            return min(float(r["val_loss"]) for r in csv.DictReader(fh))

    assert best("cf_lr0.001.csv") > 0.98 * best("lr0.01.csv")
    assert best("cf_lr0.001_ep300.csv") > 0.98 * best("lr0.01.csv")


def test_a_bounce_while_training_sits_memorised_is_not_lr_too_high():
    d = losslens.diagnose(DIA / "lr0.01.csv")
    assert d.verdict == "overfitting"
    assert "lr_too_high" not in [c.id for c in d.causes]
    text = str(d)
    assert "train_loss sits memorised" in text
    assert "check the labels" not in text  # a regression's floor is its targets' noise: no label claim


def test_a_classifier_whose_accuracy_never_rose_after_a_thrown_start_is_lr_too_high_without_k():
    import csv

    with open(HLR / "cf_adam_lr0.01.csv", newline="") as fh:
        assert float(list(csv.DictReader(fh))[-1]["val_loss"]) < 0.2  # the premise: a smaller step learns
    d = losslens.diagnose(HLR / "adam_lr1.0.csv")
    assert d.facts.chance.classes is None  # nothing to read ln K off
    assert d.verdict == "lr_too_high"
    assert "converged" not in [c.id for c in d.causes]
    text = str(d)
    assert "val_acc never rose" in text and "ln(1/0.100) = 2.301" in text
    assert "ROC AUC" not in text  # ten balanced classes: no imbalance advice


def test_a_short_run_falling_many_times_its_level_says_so_in_multiples():
    """A real 6-epoch PyTorch run (an MLP on the article's data, Adam 3e-3) still falling fast: its last 4 epochs
    fell 6.1 -> 2.4, 1.5 times where it ends. The evidence said "a drop of 151% of the current level", which
    reads as a typo; a lab run cut at 5 epochs said 1009%."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = torch.rand(500, 2)
    y = x @ torch.tensor([[2.0], [3.0]]) + 0.1 * torch.randn(500, 1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    h = {"loss": [], "val_loss": []}
    for _ in range(6):
        for i in range(0, 400, 32):
            opt.zero_grad()
            torch.mean((model(x[i:i + 32]) - y[i:i + 32]) ** 2).backward()
            opt.step()
        with torch.no_grad():
            h["loss"].append(torch.mean((model(x[:400]) - y[:400]) ** 2).item())
            h["val_loss"].append(torch.mean((model(x[400:]) - y[400:]) ** 2).item())
    assert h["val_loss"][2] > 2 * h["val_loss"][-1]  # the premise: the last stretch fell more than the end level
    d = losslens.diagnose(h)
    assert d.verdict == "still_improving"
    assert re.search(r"a drop of \d\.\dx the current level", d.cause.evidence[0]), d.cause.evidence[0]
