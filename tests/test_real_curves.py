"""Right answers on real curves nobody shaped for losslens (../shared/curves).

Each row: the run, the verdicts a careful engineer reading the curve would accept, the range
for X (in the log's own epoch numbers), and the reasoning. The curves are printed in the
reasoning where it helps; all numbers are from the files.
"""

import pytest

import losslens
from conftest import runs_by_name

KERAS = "keras_notebook_curves.csv"
DEEPOBS = "deepobs_baselines_curves.csv.gz"
YOLO = "yolo_results_curves.csv"
HF = "hf_trainer_state_logs.csv"
NANOGPT = "modded_nanogpt_val_curves.csv"

CASES = [
    # (file, run id (substring), accepted verdicts, X range or None for "no plateau", reasoning)
    (KERAS, "first_edition/3.5-classifying-movie-reviews.ipynb#cell32", {"overfitting"}, (2, 5),
     "IMDB (Chollet 3.5): val_loss 0.402, 0.308, 0.280, 0.274 (epoch 4, its minimum), then climbs to 0.680 "
     "by epoch 20 while train_loss falls from 0.51 to 0.003: the book's own overfitting example."),
    (KERAS, "first_edition/3.6-classifying-newswires.ipynb#cell27", {"overfitting"}, (5, 10),
     "Reuters (Chollet 3.6): val_loss bottoms near 0.88 around epochs 7-9 and rises to 1.07 by epoch 20 "
     "while train_loss keeps falling to 0.11; the book stops at 9 epochs for this reason."),
    (KERAS, "first_edition/4.4-overfitting-and-underfitting.ipynb#cell15", {"overfitting"}, (1, 3),
     "IMDB bigger model (Chollet 4.4): val_loss 0.415, 0.274 (epoch 2) then 0.54 ... 0.89: it overfits "
     "from the second epoch; train_loss reaches ~0."),
    (KERAS, "first_edition/5.2-using-convnets-with-small-datasets.ipynb#cell26", {"overfitting"}, (4, 11),
     "cats vs dogs on 2,000 images (Chollet 5.2): val_loss flat near 0.55-0.57 for epochs 5-10, then rises "
     "to 1.0 by epoch 30 while train_loss falls to 0.04."),
    (DEEPOBS, "fmnist_2c2d/AdamOptimizer/num_epochs__100__batch_size__128__beta1__9.e-01__beta2__9.99e-01__"
              "epsilon__1.e-08__lr__1.e-03/random_seed__42", {"overfitting"}, (1, 8),
     "DeepOBS F-MNIST 2c2d, Adam 1e-3: test loss 2.30 -> 0.245 at epoch 4, then rises steadily to 1.19 at "
     "epoch 100 while train loss goes to ~0.01."),
    (DEEPOBS, "fmnist_2c2d/MomentumOptimizer/num_epochs__100__batch_size__128__momentum__9.9e-01__use_nesterov__"
              "False__lr__1.e-03/random_seed__42", {"overfitting"}, (2, 16),
     "DeepOBS F-MNIST 2c2d, momentum 1e-3: test loss minimum 0.264 near epoch 12, then 0.61 at epoch 100 "
     "while train loss reaches 0.0."),
    (DEEPOBS, "quadratic_deep/GradientDescentOptimizer/num_epochs__100__batch_size__128__lr__1.e-02/random_seed__42",
     {"converged"}, (3, 12),
     "DeepOBS noisy quadratic, SGD 1e-2: 353 -> 99 within four epochs, then a slow creep to 87.3 (the noise "
     "floor); 95% of the improvement is done by about epoch 5."),
    (DEEPOBS, "mnist_vae/AdamOptimizer/num_epochs__50__batch_size__64__beta1__9.e-01__beta2__9.99e-01__epsilon__"
              "1.e-08__lr__1.e-03/random_seed__42", {"converged"}, (1, 6),
     "DeepOBS MNIST VAE, Adam 1e-3: 181 -> 30.8 after epoch 1, then 28-29 with noise for 50 epochs."),
    (DEEPOBS, "cifar10_3c3d/GradientDescentOptimizer/num_epochs__100__batch_size__128__lr__1.e-04/random_seed__42",
     {"still_improving", "lr_too_low"}, None,
     "DeepOBS CIFAR-10 3c3d, SGD 1e-4 (the grid's best SGD rate is ~100x larger): test loss 3.59 -> 2.86 in "
     "a slow, nearly straight descent, still falling at epoch 100."),
    (DEEPOBS, "cifar10_3c3d/MomentumOptimizer/num_epochs__100__batch_size__128__momentum__9.9e-01__use_nesterov__"
              "False__lr__1.e-01/random_seed__42", {"diverged"}, None,
     "DeepOBS CIFAR-10 3c3d, momentum 0.1: the loss is NaN from epoch 1 on."),
    (DEEPOBS, "cifar10_3c3d/MomentumOptimizer/num_epochs__100__batch_size__128__momentum__9.9e-01__use_nesterov__"
              "False__lr__3.9810717055e-02/random_seed__42", {"diverged"}, (1, 3),
     "DeepOBS CIFAR-10 3c3d, momentum 0.04: test loss 3.59, 2.96, 2.69, 2.66 (epoch 3), 2.91, 2.96, then NaN "
     "from epoch 6: X is where it flattened before it blew up (L* its best, as for an overfitting curve)."),
    (DEEPOBS, "cifar100_allcnnc/GradientDescentOptimizer/num_epochs__350__batch_size__256__lr__2.5118864315e-05/"
              "random_seed__42", {"stuck_at_init"}, (0, 0),
     "DeepOBS CIFAR-100 All-CNN-C, SGD 2.5e-5: test loss 4.928 -> 4.914 in 350 epochs (0.3%; ln 100 = 4.61 "
     "would be the uniform guess): it never left its start, so by DESIGN's definition X is the first epoch."),
    (NANOGPT, "20260501_contra_muon/08cd60f9", {"still_improving", "converged"}, None,
     "modded-nanogpt speed run (Muon, lr cooldown to the end): val loss falls in a straight line 3.43 -> 3.285 "
     "over the last 8 evaluations, then 3.282, 3.280, 3.279, 3.278: the schedule ended and it flattened. "
     "Smooth as it is, a descent that just stopped is not held back by a small step (not lr_too_low)."),
    (DEEPOBS, "svhn_wrn164/MomentumOptimizer/num_epochs__160__batch_size__128__momentum__9.9e-01__use_nesterov__"
              "False__lr__1.5848931925e+00/random_seed__42", {"lr_too_high"}, (68, 160),
     "DeepOBS SVHN WRN-16-4, momentum 1.6: the training loss explodes from 2.78 to 4e7 after one epoch and "
     "to 2e19 by epoch 68, then comes back to 2.4-2.8: the steps were too large from the start (the grid's "
     "best rate is ~100x smaller); X, if any, lies after the blow-up."),
    (DEEPOBS, "fmnist_2c2d/AdamOptimizer/num_epochs__100__batch_size__128__beta1__9.e-01__beta2__9.99e-01__"
              "epsilon__1.e-08__lr__1.5848931925e-02/random_seed__42", {"lr_too_high"}, (2, 8),
     "DeepOBS F-MNIST 2c2d, Adam 1.6e-2 (63x the grid's best rate): test loss 0.37 at epoch 1-4, then up to "
     "1.5 while the training loss keeps jumping between 0.18 and 0.43 instead of falling smoothly: an "
     "unstable step first (overfitting comes second), X at the validation minimum."),
    (YOLO, "01apoorv/fruit-ripeness-detector:runs/detect/train5/results.csv", {"converged", "overfitting"},
     (20, 60),
     "YOLOv8n fruit detector, 100 epochs: val loss (box+cls+dfl) 4.53 -> 2.80 by epoch ~35, then flat at "
     "2.79 while train loss keeps falling (2.91 -> 2.46): a plateau with a widening gap."),
    (YOLO, "110062122domingo/CoffeeBeanQualityDetection:runs/detect/train14/results.csv", {"still_improving"}, None,
     "YOLO coffee beans, 40 epochs resumed from a checkpoint: val loss noisy then falling steadily over the "
     "last 15 epochs (2.21 -> 2.00)."),
    (HF, "arshiv-web/Financial-News-Sentiment-Analysis", {"overfitting"}, (1000, 4200),
     "HF Trainer, 10 epochs: eval_loss 1.49, 1.37, 1.33 (epoch 3, its minimum), then up to 1.51 while the "
     "training loss keeps falling (1.50 -> 1.16)."),
    (HF, "aigoncharov/trainer_state_viz", {"overfitting"}, (1, 2),
     "HF Trainer, 30 epochs, six eval sets (eval_g0_loss ... eval_g5_loss, no eval_loss): every one bottoms "
     "at epoch 1-2 (g0: 1.11) and then doubles (g0: 2.75 at epoch 30) while the training loss falls "
     "1.11 -> 0.05. Read on the training loss alone (the eval_loss column of the long file is empty for "
     "this run) it was 'converged'."),
    (DEEPOBS, "svhn_wrn164/AdamOptimizer/num_epochs__160__batch_size__128__beta1__9.e-01__beta2__9.99e-01__"
              "epsilon__1.e-08__lr__1.5848931925e-02/random_seed__42", {"lr_too_high"}, (4, 10),
     "DeepOBS SVHN WRN-16-4, Adam 0.016: test loss 2.78 -> 0.52 by epoch 8, then bouncing 0.46-1.17 with the "
     "training loss, which spikes 0.49 -> 0.80 at epoch 27, 0.55 -> 0.92 at 38 and 0.55 -> 11.4 -> 0.62 at 42-44 "
     "(test 13.2): spikes off its plateau, in the first half of 160 epochs. It read 'converged'; the grid's Adam "
     "0.0016 reached a best test loss of 0.258 against this run's 0.460."),
    (DEEPOBS, "fmnist_2c2d/GradientDescentOptimizer/num_epochs__100__batch_size__128__lr__1.5848931925e-01/"
              "random_seed__44", {"overfitting"}, (1, 9),
     "DeepOBS F-MNIST 2c2d at its tuned SGD rate 0.158: test loss best 0.295 at epoch 8, then climbing to 0.667 "
     "while training reaches 1e-4; its training loss spikes 0.045 -> 0.245 at epoch 28 (and at 18, 24) while it "
     "memorises: no step too large (lr / 10 reached 0.262, within the 10 seeds' 0.258-0.296)."),
]


@pytest.mark.parametrize("file, run_id, verdicts, x_range, why", CASES, ids=[c[1][:60] for c in CASES])
def test_real_curve_verdict_and_x(shared_curves, file, run_id, verdicts, x_range, why):
    runs = runs_by_name(shared_curves / file)
    matches = [r for name, r in runs.items() if run_id in name]
    assert len(matches) == 1, f"{run_id}: {len(matches)} runs match"
    d = losslens.diagnose(matches[0])
    assert d.verdict in verdicts, f"{d.summary()}\nexpected {verdicts}: {why}\n{d}"
    if x_range is None:
        assert d.plateau_epoch is None or d.verdict in ("converged", "overfitting")
    else:
        assert d.plateau_epoch is not None, d.summary()
        lo, hi = x_range
        assert lo <= d.plateau_epoch <= hi, f"X = {d.plateau_epoch}, expected [{lo}, {hi}]: {why}"
        ilo, ihi = d.plateau.interval
        assert ilo <= d.plateau_epoch <= ihi


@pytest.mark.slow
def test_every_shared_file_diagnoses_without_error(shared_curves):
    """All 3,000+ real runs give a diagnosis (or, for runs with no loss at all, the one-line error)."""
    counts = {}
    for file in (KERAS, DEEPOBS, YOLO, HF, NANOGPT):
        for run in runs_by_name(shared_curves / file).values():
            try:
                d = losslens.diagnose(run)
            except losslens.LosslensError as exc:
                assert "\n" not in str(exc)
                continue
            assert d.verdict in losslens.CAUSES
            assert d.causes[0].id == d.verdict and d.causes[0].evidence
            counts[d.verdict] = counts.get(d.verdict, 0) + 1
    assert sum(counts.values()) > 2800
    # DeepOBS's high-rate runs diverge to NaN: those must be found.
    assert counts.get("diverged", 0) >= 150


def test_headline_counts_a_step_log_in_steps_not_points(shared_curves):
    """A modded-nanogpt log evaluates every 125 steps: 29 points are a 3,225-step run."""
    runs = runs_by_name(shared_curves / NANOGPT)
    run = next(r for name, r in runs.items() if "20260501_contra_muon/08cd60f9" in name)
    head = losslens.diagnose(run).summary()
    assert "by step 3225 (29 points)" in head and "29 steps" not in head


def test_a_surer_cause_listed_after_the_verdict_says_why(shared_curves):
    """DeepOBS F-MNIST 2c2d at Adam 6.3e-3: training spikes at 8 noise sds late in the run (lr_too_high, 0.62),
    validation 0.31 -> 3.1 (overfitting, 0.95). The unstable step is read first -- the gap it leaves says little
    until the step is fixed, and the grid's Adam 1e-4 to 1e-3 reach 0.238-0.252 -- but "also likely:
    overfitting (0.95)" under a 0.62 verdict read as the surer diagnosis ranked second for no reason given.
    CIFAR-10 3c3d at SGD 1e-4: lr_too_low (0.56) before still_improving (0.72), the description it explains."""
    from losslens.report.text import render_text

    runs = runs_by_name(shared_curves / DEEPOBS)
    fmnist = next(r for name, r in runs.items() if name.startswith(
        "fmnist_2c2d/AdamOptimizer/") and "lr__6.3095734448e-03/random_seed__42" in name)
    d = losslens.diagnose(fmnist)
    over = next(c for c in d.causes[1:] if c.id == "overfitting")
    assert d.verdict == "lr_too_high" and over.strength > d.cause.strength
    assert "ranked after it" in over.evidence[-1] and "step is too large" in over.evidence[-1]
    assert "surer than the verdict (evidence strength 95% vs 62%)" in render_text(d)

    slow = next(r for name, r in runs.items() if name.startswith(
        "cifar10_3c3d/GradientDescentOptimizer/num_epochs__100__batch_size__128__lr__1.e-04/random_seed__42"))
    d = losslens.diagnose(slow)
    still = next(c for c in d.causes[1:] if c.id == "still_improving")
    assert d.verdict == "lr_too_low" and still.strength > d.cause.strength
    assert still.evidence[-1].endswith("it claims less (the curve still falls), and lr_too_low says why")
    # Every listed cause surer than the verdict it follows says so (here: none other).
    assert all("ranked after it" in c.evidence[-1] for c in d.causes[1:] if c.strength > d.cause.strength)


@pytest.mark.parametrize("run_id, verdict, surer", [
    # Adam 0.04 (best 2.5e-4): ln 10 before training, 2.305 after 100 epochs; underfitting (0.90) read the level.
    ("fmnist_2c2d/AdamOptimizer/num_epochs__100__batch_size__128__beta1__9.e-01__beta2__9.99e-01__epsilon__1.e-08__"
     "lr__3.9810717055e-02/random_seed__42", "stuck_at_init", "underfitting"),
    # A VAE at SGD 0.158 (best 4e-3): 133.7 -> 157 in one epoch, flat there: diverged, lr_too_high and stuck_at_init.
    ("fmnist_vae/GradientDescentOptimizer/num_epochs__100__batch_size__64__lr__1.5848931925e-01/random_seed__42",
     "diverged", "stuck_at_init"),
    # Momentum 1e-5 (best 1e-3): a slow descent 350 epochs long; underfitting (0.75) read its level.
    ("cifar100_allcnnc/MomentumOptimizer/num_epochs__350__batch_size__256__momentum__9.9e-01__use_nesterov__False__"
     "lr__1.e-05/random_seed__42", "lr_too_low", "underfitting"),
])
def test_a_surer_state_or_level_after_the_verdict_says_why(shared_curves, run_id, verdict, surer):
    """DeepOBS runs of the benchmark's train split that listed a cause surer than the verdict with no reason: a
    level read on a run that never got going or is still falling (underfitting), the state a climb left
    (stuck_at_init after diverged), and the step that caused a state whose first action already lowers it."""
    runs = runs_by_name(shared_curves / DEEPOBS)
    d = losslens.diagnose(next(r for name, r in runs.items() if name.startswith(run_id)))
    assert d.verdict == verdict and next(c for c in d.causes if c.id == surer).strength > d.cause.strength
    assert all("ranked after it: " in c.evidence[-1] for c in d.causes[1:] if c.strength > d.cause.strength)


def test_a_loss_logged_to_few_digits_beside_a_metric_still_improving_is_no_collapse(shared_curves):
    """Géron's sequence model (handson-ml3, chapter 15): val_loss printed as 0.0035 at its last 6 epochs while
    val_mae fell 0.0554 -> 0.0469 after X. The verdict is still_improving on val_mae; collapsed's lr_too_high
    ("constant outputs, zero gradients", 0.75) was listed surer than it: outputs that still improve a metric
    changed. It stays listed, as possible, below the verdict."""
    runs = runs_by_name(shared_curves / KERAS)
    d = losslens.diagnose(next(r for name, r in runs.items()
                               if "15_processing_sequences_using_rnns_and_cnns.ipynb#cell89" in name))
    high = next(c for c in d.causes if c.id == "lr_too_high")
    assert d.verdict == "still_improving" and high.status == "possible" and high.strength < d.cause.strength
    assert "the outputs still change" in high.evidence[-1]


def test_a_loss_logged_to_few_digits_beside_a_training_loss_still_moving_is_no_collapse(shared_curves):
    """Géron's sequence model (handson-ml2, chapter 15): val_loss printed as 0.0109 at its last 10 epochs, after
    0.0116, 0.0112, 0.0110, while the training loss beside it moved 0.0112-0.0116. That read lr_too_high
    ("constant outputs, zero gradients": restart at lr / 10); constant outputs would have frozen the training
    loss too. The run converged (the label's shape rule: the last third 0% lower after a 78% drop); the
    collapse reading stays listed, as possible, after it."""
    runs = runs_by_name(shared_curves / KERAS)
    d = losslens.diagnose(next(r for name, r in runs.items()
                               if "handson-ml2:15_processing_sequences_using_rnns_and_cnns.ipynb#cell23" in name))
    val, train = d.run.series["val_loss"], d.run.train_loss
    assert (val[-10:] == 0.0109).all() and train[-10:].max() - train[-10:].min() >= 0.0003
    high = next(c for c in d.causes if c.id == "lr_too_high")
    assert d.verdict == "converged" and high.status == "possible" and high.strength < d.cause.strength
    assert "train_loss still moves over those epochs (0.0112 to 0.0116)" in high.evidence[-1]


def test_a_noisy_loss_whose_accuracy_rose_did_move_from_init(shared_curves):
    """DeepOBS SVHN WRN-16-4, Adam 0.063 (the grid's best rate is 1.6e-4; benchmark label lr_too_high): the training
    loss jumps between 0.7 and 16 from epoch to epoch; its smoothed best, 1.20, is 57% below its start 2.78 but
    within 3 sds of that scatter, and it read stuck_at_init, "never moved far from its initial value", while test
    accuracy went 0.20 -> 0.63. A fall hidden only by noise is a move when the accuracy rose with it."""
    runs = runs_by_name(shared_curves / DEEPOBS)
    run = next(r for name, r in runs.items() if name.startswith(
        "svhn_wrn164/AdamOptimizer/num_epochs__160__batch_size__128__beta1__9.e-01__beta2__9.99e-01__epsilon__1.e-08__"
        "lr__6.3095734448e-02/random_seed__42"))
    for classes in (None, 10):
        d = losslens.diagnose(run, classes=classes)
        assert d.verdict == "lr_too_high" and "stuck_at_init" not in d.cause_ids(), d.summary()


def test_x_after_a_long_blow_up_is_read_on_its_values_not_on_a_lost_sum(shared_curves):
    """DeepOBS SVHN WRN-16-4, momentum 1.6 (CASES pins X to [68, 160]): test loss 2.78, then 4e7 ... 2e19 over epochs
    1-86, back to 2.3-2.8 from epoch 90. A running sum past 2e19 kept none of the 2.4s: the smooth read 0 from there
    (plateau level 0, floor 0) and X = 92 came off those zeros, its interval [13, 100] reaching into the blow-up. Summed
    window by window the smooth is right, and the blow-up's residuals (over half the run) must not be read as the
    noise: a noise sd of 3.7e11 raised L* to the last point, above the start, and put X at epoch 0."""
    runs = runs_by_name(shared_curves / DEEPOBS)
    run = next(r for name, r in runs.items() if name.startswith(
        "svhn_wrn164/MomentumOptimizer/num_epochs__160__batch_size__128__momentum__9.9e-01__use_nesterov__False__"
        "lr__1.5848931925e+00/random_seed__42"))
    d = losslens.diagnose(run)
    assert d.verdict == "lr_too_high"
    assert 68 <= d.plateau_epoch <= 160 and d.plateau_epoch == 92
    lo, hi = d.plateau.interval
    assert 86 <= lo <= 92 <= hi <= 100, d.plateau.interval
    assert 2.3 < d.plateau.level < 2.6 and 2.3 < d.facts.plateau.floor < 2.6
    assert "steep_drop" not in [p["name"] for p in d.phases]


def test_a_training_loss_held_just_above_ln_k_after_moving_is_the_step(shared_curves):
    """DeepOBS CIFAR-10 3c3d, Adam 0.016 (the grid's best rate is 4e-4; benchmark label lr_too_high): both losses fell
    3.59 -> ln 10 and sat there for 80 epochs, both accuracies at 0.100. Its median over the last quarter is only
    1.8 sds of its jitter above ln 10, so it read underfitting ("a bigger model"), yet not one of its last 25 values
    dipped below ln 10: a loss jittering about a uniform guess would sit below at half of them. Held above the
    guess that the output bias alone reaches, it is the step overshooting."""
    runs = runs_by_name(shared_curves / DEEPOBS)
    run = next(r for name, r in runs.items() if name.startswith(
        "cifar10_3c3d/AdamOptimizer/num_epochs__100__batch_size__128__beta1__9.e-01__beta2__9.99e-01__epsilon__1.e-08__"
        "lr__1.5848931925e-02/random_seed__42"))
    tail = run.train_loss[-25:]
    assert (tail >= 2.3026).all() and abs(float(tail.mean()) - 2.302585) < 0.002
    for classes in (None, 10):
        d = losslens.diagnose(run, classes=classes)
        assert d.verdict == "lr_too_high" and "underfitting" not in d.cause_ids(), d.summary()
        assert "train_loss sat above ln 10" in str(d)



def test_a_validation_swinging_more_than_its_whole_fall_is_not_within_5_percent_of_it(shared_curves):
    """Géron's wide-and-deep regression (handson-ml3, chapter 10, cell 96; benchmark label overfitting): val_loss
    0.9497, 1.431, 0.4258, 0.4016 (epoch 4), then 0.61-3.30 to the end (1.441), its noise sd 0.46. Two standard
    errors of that noise raised the L* X is read against to 1.32, above the start, so every point was "within 5% of
    its whole improvement": converged at 89%, "stop at epoch 1", its 55% fall after it quoted as "yet only the last
    100% of its whole improvement". Converged now says the swings exceed the fall, only as possible, and names no
    stopping point."""
    runs = runs_by_name(shared_curves / KERAS)
    d = losslens.diagnose(next(r for name, r in runs.items()
                               if "handson-ml3:10_neural_nets_with_keras.ipynb#cell96" in name))
    val = d.run.series["val_loss"]
    assert val[0] == 0.9497 and val.max() > 3.0 * val.min()
    conv = next(c for c in d.causes if c.id == "converged")
    assert not any("within 5% of its whole improvement" in e or "last 100%" in e for e in conv.evidence)
    assert "swings more than its whole fall" in conv.evidence[0]
    assert conv.strength <= 0.5 and not any(a.startswith("stop at") for a in conv.actions)
