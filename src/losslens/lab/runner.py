"""Train experiments over several seeds, diagnose every run, save the runs.

``run_seed_lab()`` trains the article's three experiments (every seed of an arm at once,
see :mod:`losslens.lab.nets`), wraps each seed's history in a :class:`~losslens.run.Run`,
diagnoses it with :func:`losslens.diagnosis.diagnose_run` and keeps the wall time.
``save_runs()`` writes each run as Keras-History-style JSON that ``losslens diagnose`` reads.
"""

from __future__ import annotations

import inspect
import json
import time
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..exceptions import UsageError
from ..run import Run
from .experiments import SEED_EXPERIMENTS, Arm, Experiment


@dataclass
class ArmResult:
    """Every seed of one arm: histories (Keras style), Runs and their diagnoses."""

    arm: Arm
    seeds: list[int]
    histories: list[dict]
    runs: list[Run]
    diagnoses: list = field(default_factory=list)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    verification: Optional[object] = None  # a losslens.verification.Verification, when checked
    #: the seeds that read underfitting beside another majority, checked with a model twice the size
    #: (a Verification of those seeds alone; None where none did, or the arm has no width to scale)
    size_check: Optional[object] = None

    def final(self, key: str) -> np.ndarray:
        """The last value of series ``key`` (Keras name: ``loss``, ``val_loss``, ``val_accuracy`` ...) per seed."""
        return np.array([h[key][-1] for h in self.histories], dtype=float)

    def curves(self, key: str) -> np.ndarray:
        """Series ``key`` of every seed: shape (n_seeds, n_epochs)."""
        return np.array([h[key] for h in self.histories], dtype=float)

    def verdicts(self) -> Counter:
        return Counter(d.verdict for d in self.diagnoses)

    def majority(self) -> Optional[str]:
        counts = self.verdicts()
        return counts.most_common(1)[0][0] if counts else None

    def expected(self) -> Optional[str]:
        """The verdict a run as written earns, where these runs are as long as the runs it was measured on
        (``--epochs 5`` stops the article's runs long before they converge: 50 epochs' verdict says nothing
        of them); else None."""
        planned = self.meta.get("expected_at_epochs")
        if not self.arm.expected or (planned is not None and self.meta.get("epochs") != planned):
            return None
        return self.arm.expected

    def agrees(self) -> Optional[bool]:
        """Whether most seeds' verdicts are the one the run really earns (None when none is expected,
        or when the runs are not as long as those it was measured on)."""
        if not self.expected():
            return None
        return self.verdicts().get(self.arm.expected, 0) * 2 > len(self.diagnoses)


@dataclass
class ExperimentResult:
    experiment: Experiment
    arms: list[ArmResult]

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.arms)

    def arm(self, key: str) -> ArmResult:
        return next(a for a in self.arms if a.arm.key == key)


@dataclass
class LabResult:
    experiments: list[ExperimentResult]
    seeds: list[int]
    seconds: float
    threads: int
    files: list[Path] = field(default_factory=list)
    verify_seconds: Optional[float] = None  # set by the caller of verify_lab

    def arms(self) -> list[ArmResult]:
        return [a for e in self.experiments for a in e.arms]


def histories_to_runs(histories: Sequence[dict], key: str, seeds: Sequence[int], meta: dict) -> list[Run]:
    """One :class:`Run` per seed from Keras-style history dicts."""
    runs = []
    for seed, h in zip(seeds, histories):
        m = dict(meta, seed=int(seed))
        runs.append(Run.from_history(h, name=f"{key}_seed{seed}", source=f"{key}_seed{seed}.json", meta=m))
    return runs


def diagnose_runs(runs: Sequence[Run], classes: Optional[int] = None) -> list:
    from ..diagnosis import diagnose_run
    return [diagnose_run(r, classes=classes) for r in runs]


def train_arm(exp: Experiment, arm: Arm, seeds: Sequence[int], *, epochs: Optional[int] = None,
              on_epoch: Optional[Callable[[int], None]] = None, diagnose: bool = True) -> ArmResult:
    """Train ``arm`` of ``exp`` once per seed (all seeds at once) and diagnose each run."""
    from .train import Data, fit

    seeds = [int(s) for s in seeds]
    epochs = epochs or exp.epochs
    t0 = time.perf_counter()
    make_data = arm.data or exp.make_data
    data = Data.stack([make_data(s) for s in seeds], classification=exp.classification)
    options = dict(arm.options)
    batch_size = options.pop("batch_size", exp.batch_size)
    planned = options.get("epochs", exp.epochs)  # the length the arm's expected verdict was measured at
    epochs = options.pop("epochs", epochs)
    hist = fit(arm.build(seeds), data, seeds, classification=exp.classification, optimizer=arm.optimizer,
               lr=arm.lr, epochs=epochs, batch_size=batch_size, on_epoch=on_epoch, **options)
    seconds = time.perf_counter() - t0
    # (The optimizer as trained: make_optimizer's Adam with a weight decay is AdamW. The actions read it.)
    optimizer = "adamw" if arm.optimizer == "adam" and options.get("weight_decay") else arm.optimizer
    meta = {"experiment": exp.key, "arm": arm.key, "model": arm.label, "optimizer": optimizer,
            "lr": arm.lr, "epochs": epochs, "batch_size": batch_size, "framework": "torch",
            "expected_verdict": arm.expected, "expected_at_epochs": planned, "n_train": int(data.n_train),
            "n_val": int(data.x_val.shape[1])}
    meta.update(train_examples=int(data.n_train), train_examples_from="the lab's data")
    if getattr(getattr(make_data, "func", make_data), "random_labels", False):
        meta["labels"] = "random"
    meta.update({k: v for k, v in options.items() if isinstance(v, (int, float, str))})
    if exp.classes:
        meta["classes"] = exp.classes
    if exp.noise_floor is not None:
        meta["noise_floor"] = exp.noise_floor
    runs = histories_to_runs(hist, arm.key, seeds, meta)
    result = ArmResult(arm, seeds, hist, runs, seconds=seconds, meta=meta)
    if diagnose:
        result.diagnoses = diagnose_runs(runs, classes=exp.classes)
    return result


def run_experiment(exp: Experiment, seeds: Sequence[int], *, epochs: Optional[int] = None,
                   on_epoch: Optional[Callable[[int], None]] = None) -> ExperimentResult:
    return ExperimentResult(exp, [train_arm(exp, arm, seeds, epochs=epochs, on_epoch=on_epoch) for arm in exp.arms])


def run_seed_lab(seeds: Sequence[int] = range(5), *, epochs: Optional[int] = None,
                 experiments: Sequence[Experiment] = SEED_EXPERIMENTS,
                 on_epoch: Optional[Callable[[int], None]] = None, threads: Optional[int] = 1) -> LabResult:
    """Train and diagnose the article's experiments over ``seeds``; wall time in ``.seconds``.

    ``on_epoch`` is called once per trained epoch of every arm (all seeds of an arm train
    together): ``sum(len(e.arms) for e in experiments) * epochs`` calls in all.
    ``threads``: torch intra-op threads while training (None: leave torch's setting). One is
    the default because these models are tiny: a second thread mostly adds synchronisation,
    and on a busy machine spinning threads slow everything down.
    """
    seeds = [int(s) for s in seeds]
    with torch_threads(threads) as used:
        t0 = time.perf_counter()
        results = [run_experiment(e, seeds, epochs=epochs, on_epoch=on_epoch) for e in experiments]
        seconds = time.perf_counter() - t0
    return LabResult(results, seeds, seconds, used)


def verify_lab(result: LabResult, *, epochs: Optional[int] = None, threads: Optional[int] = 1,
               on_arm: Optional[Callable[[str], None]] = None) -> float:
    """Check every arm's majority verdict by retraining (:func:`verify_arm`); returns the seconds."""
    t0 = time.perf_counter()
    with torch_threads(threads):
        for e in result.experiments:
            for a in e.arms:
                verify_arm(e.experiment, a, epochs)
                if on_arm:
                    on_arm(a.arm.key)
    return time.perf_counter() - t0


def arm_trainer(exp: Experiment, arm: Arm, seeds: Sequence[int], epochs: Optional[int] = None):
    """A training function for :func:`losslens.verify` that retrains ``arm`` with a changed lr
    (from the start or from ``from_epoch`` on), epoch budget, shuffled training labels or, where the
    arm has a width to scale (``Arm.resize``), model size. All seeds train together (as the lab does)
    on the first call for a change; later calls for the other seeds read the cache."""
    seeds = [int(s) for s in seeds]
    cache: dict[tuple, dict] = {}
    make_data = arm.data or exp.make_data

    def train(lr_factor: float = 1.0, epochs_factor: float = 1.0, shuffle_labels: bool = False,
              from_epoch: int = 0, size_factor: float = 1.0, seed: int = 0):
        key = (float(lr_factor), float(epochs_factor), bool(shuffle_labels), int(from_epoch), float(size_factor))
        if key not in cache:
            if size_factor != 1.0 and arm.resize is None:
                raise UsageError(f"{arm.key} has no width to scale (its Arm has no resize)")
            data = make_data if not shuffle_labels else (lambda s: _shuffled(make_data(s), s))
            base = arm.options.get("lr_schedule") or (lambda e: arm.lr)
            # the lr changes by lr_factor from epoch `from_epoch` on (0: from the start)
            schedule = lambda e: base(e) * (lr_factor if e >= from_epoch else 1.0)  # noqa: E731
            build = arm.build if size_factor == 1.0 else (lambda s: arm.resize(s, size_factor))
            changed = replace(arm, data=data, build=build, options=dict(arm.options, lr_schedule=schedule))
            res = train_arm(exp, changed, seeds, epochs=max(1, round((epochs or exp.epochs) * epochs_factor)),
                            diagnose=False)
            cache[key] = dict(zip(seeds, res.runs))
        return cache[key][int(seed)]
    if arm.resize is None:  # no width to scale: verify then skips the size checks, and says so
        sig = inspect.signature(train)
        train.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "size_factor"])
    return train


def _shuffled(data: tuple, seed: int) -> tuple:
    """The training labels permuted (the validation set untouched): any signal is gone."""
    x_train, y_train, x_val, y_val = data
    return x_train, np.random.RandomState(10_000 + seed).permutation(y_train), x_val, y_val


def verify_arm(exp: Experiment, a: ArmResult, epochs: Optional[int] = None):
    """Check the arm's majority verdict by retraining it (:func:`losslens.verify`): every seed,
    baseline = the runs already trained. Stored in ``a.verification`` and returned.

    The seeds that read underfitting beside another majority are checked too, with a model twice the
    size (``a.size_check``): on random labels the conv net's Dense(10) layer died in those seeds (no
    unit active on any training image), and only a bigger model tells a dead net from one too small
    for the signal (shuffled labels cannot: a dead net answers alike whatever the labels). Only those
    seeds retrain, so the check costs their share of one training run."""
    from ..verification import CHECKS, verify

    verdict = a.majority()
    if verdict not in CHECKS:
        return None
    a.verification = verify(arm_trainer(exp, a.arm, a.seeds, epochs), baseline=a.runs, seeds=a.seeds,
                            causes=[verdict], classes=exp.classes, progress=False)
    under = [i for i, d in enumerate(a.diagnoses) if d.verdict == "underfitting"]
    if verdict != "underfitting" and under and a.arm.resize is not None:
        seeds = [a.seeds[i] for i in under]
        a.size_check = verify(arm_trainer(exp, a.arm, seeds, epochs), baseline=[a.runs[i] for i in under],
                              seeds=seeds, causes=["underfitting"], classes=exp.classes, progress=False)
    return a.verification


@contextmanager
def torch_threads(n: Optional[int]):
    """Set torch's intra-op thread count for the block, restoring it after; yields the count used."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def history_json(history: dict, meta: dict) -> dict:
    """Keras-History-style JSON: ``{"epoch": [...], "loss": [...], ..., "meta": {...}}``."""
    out = {k: list(v) for k, v in history.items()}
    out["meta"] = meta
    return out


def save_runs(arms: Sequence[ArmResult], out_dir, prefix: str = "") -> list[Path]:
    """Write every seed's run to ``out_dir/runs/<prefix><arm>_seed<k>.json``; returns the paths."""
    folder = Path(out_dir) / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in arms:
        for seed, h in zip(a.seeds, a.histories):
            path = folder / f"{prefix}{a.arm.key}_seed{seed}.json"
            path.write_text(json.dumps(history_json(h, dict(a.meta, seed=seed))))
            paths.append(path)
    return paths


def total_epochs(experiments: Sequence[Experiment] = SEED_EXPERIMENTS, epochs: Optional[int] = None) -> int:
    """How many ``on_epoch`` calls :func:`run_seed_lab` makes (for a progress bar's total)."""
    return sum(len(e.arms) * (epochs or e.epochs) for e in experiments)
