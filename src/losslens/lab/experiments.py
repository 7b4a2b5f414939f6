"""The article's three experiments, as specifications the runner trains.

Each :class:`Experiment` names the article's claim, the data generator, and its arms (one
model + optimizer each). ``Arm.expected`` is the verdict that a run as written really earns
(docs: DEVELOPERS.md, "What the article's experiments really show"); the report compares
losslens's diagnosis with it and says so when they disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from . import data, nets


@dataclass(frozen=True)
class Arm:
    """One model + optimizer of an experiment.

    ``key`` is the file stem of its saved runs (``exp1_complex`` -> ``exp1_complex_seed0.json``).
    ``build(seeds)`` returns a :class:`~losslens.lab.nets.Net` with one copy per seed.
    """

    key: str
    label: str
    build: Callable[[Sequence[int]], nets.Net]
    optimizer: str = "adam"
    lr: float = 1e-3
    expected: str = ""
    options: dict = field(default_factory=dict)     # more keyword arguments of train.fit
    data: Optional[Callable[[int], tuple]] = None   # this arm's data, when not the experiment's
    #: ``resize(seeds, size_factor)``: the model with its hidden layer ``size_factor`` times as wide (the keyword
    #: :func:`losslens.verify` scales a model by); None where the arm has no width to scale
    resize: Optional[Callable[[Sequence[int], float], nets.Net]] = None

    @property
    def optimizer_name(self) -> str:
        """The optimizer as its class is spelt (``SGD``, ``Adam``), for the report's text."""
        return {"adam": "Adam", "sgd": "SGD"}.get(self.optimizer, self.optimizer)


@dataclass(frozen=True)
class Experiment:
    """One of the article's experiments: its claim, data and arms."""

    key: str
    title: str
    claim: str
    truth: str
    make_data: Callable[[int], tuple]
    arms: Sequence[Arm] = field(default_factory=tuple)
    classification: bool = False
    classes: Optional[int] = None
    noise_floor: Optional[float] = None
    epochs: int = 50
    batch_size: int = 32
    name: str = ""   # the article's heading in a word: ``losslens lab seed --experiment NAME``
    #: the arm whose retraining at ten times the step (its lr_too_low check) the report quotes after ``truth``:
    #: how many seeds that reaches the noise floor with is measured, not written ("most seeds reach the floor"
    #: stood beside per-seed ratios 0.99, 1.3, 1.6, 7.3, 1.4: one seed of five within the floor's 1.25x)
    step_arm: str = ""

    @property
    def chance(self) -> Optional[float]:
        return None if not self.classes else 1.0 / self.classes


EXP1 = Experiment(
    key="exp1",
    name="complex",
    title="1. Overly complex model: 64-128-64 ReLU MLP vs. a linear model on y = 2·x1 + 3·x2 + N(0, 0.1²)",
    claim=("the deep net overfits: its validation loss flattens far above its training loss; "
           "a simpler (linear) model generalizes better"),
    truth=("the deep net reaches the noise floor (MSE 0.01) with no train/validation gap: converged, "
           "not overfitting; the linear model is still far from converged after 50 epochs of Adam(1e-3): its "
           "step is too small"),
    make_data=data.linear_2d,
    arms=(
        Arm("exp1_complex", "64-128-64 MLP, Adam(1e-3)", lambda s: nets.mlp(2, (64, 128, 64), 1, s),
            expected="converged"),
        Arm("exp1_linear", "linear Dense(1), Adam(1e-3)", lambda s: nets.linear(2, s), expected="lr_too_low"),
    ),
    noise_floor=data.NOISE_FLOOR,
    step_arm="exp1_linear",
)

def _random_images_net(seeds: Sequence[int], size_factor: float = 1.0) -> nets.Net:
    """The article's conv net, its Dense(10) layer ``size_factor`` times as wide."""
    return nets.convnet((3, 32, 32), 5, seeds, dense=max(1, round(10 * size_factor)))


EXP2 = Experiment(
    key="exp2",
    name="data",
    title="2. Data limitations: conv net on 100 random 32x32x3 images with 5 random labels",
    claim="a data-limited plateau: the network exhausts the learnable information of a small data set",
    truth=("the labels are random, so there is nothing to learn: validation accuracy stays at chance (0.2); "
           "the seeds whose training accuracy climbs are memorising, and their validation loss rises"),
    make_data=data.random_images,
    arms=(
        Arm("exp2_random_images", "Conv32(3x3)-MaxPool-Dense10-Dense5, Adam(1e-3)",
            _random_images_net, expected="no_signal", resize=_random_images_net),
    ),
    classification=True,
    classes=5,
)

_EXP3_SGD = Arm("exp3_sgd", "linear, SGD(0.01)", lambda s: nets.linear(1, s), optimizer="sgd", lr=0.01,
                expected="lr_too_low")
_EXP3_ADAM = Arm("exp3_adam", "linear, Adam(1e-3)", lambda s: nets.linear(1, s), expected="lr_too_low")


def _step_checked(arm: Arm) -> str:
    """``arm``'s optimizer at the lr its lr_too_low check retrains it at (``SGD at 0.1``): the runs the truth's
    claim rests on, read off the arm and the check, not written twice (the text said SGD at 0.03, a run the lab
    never makes, where its check retrains SGD at 0.1)."""
    from ..verification import CHECKS

    factor = next(c.change["lr_factor"] for c in CHECKS["lr_too_low"] if "lr_factor" in c.change)
    return f"{arm.optimizer_name} at {arm.lr * factor:g}"


EXP3 = Experiment(
    key="exp3",
    name="optimizer",
    title="3. Optimizer limits: linear model on y = 2x + N(0, 0.1²), SGD(0.01) vs. Adam(1e-3)",
    claim="SGD with a fixed step bounces around the minimum and plateaus; Adam converges better",
    truth=(f"both are still falling steadily after 50 epochs, limited by their step size ({_step_checked(_EXP3_SGD)} "
           f"or {_step_checked(_EXP3_ADAM)} reaches the noise floor in the same 50 epochs), and SGD(0.01) ends lower "
           "than Adam(1e-3)"),
    make_data=data.linear_1d,
    arms=(_EXP3_SGD, _EXP3_ADAM),
    noise_floor=data.NOISE_FLOOR,
)

SEED_EXPERIMENTS = (EXP1, EXP2, EXP3)
