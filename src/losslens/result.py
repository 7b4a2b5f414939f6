"""What a diagnosis returns: :class:`Diagnosis`, its :class:`Cause` list and the :class:`Plateau`.

``Diagnosis.to_dict()`` is the ``losslens.diagnosis/1`` JSON schema of docs/ARCHITECTURE.md;
keys may be added, never renamed without a new schema number.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA = "losslens.diagnosis/1"

CAUSES = ("still_improving", "converged", "overfitting", "lr_too_high", "lr_too_low",
          "underfitting", "no_signal", "diverged", "stuck_at_init", "data_limited",
          "temporary_plateau")


class Action(str):
    """One action's words (a plain string to the report and the JSON) with what a later rule needs to know of them,
    so that no rule decides by searching the words: ``kind``, which of the rules' actions it is (a name the rules
    define, :data:`losslens.diagnosis.DATA_OR_MODEL` ...), and ``claim``, the words in it that make a claim a later
    rule may price, hedge or withdraw (converged's :data:`losslens.diagnosis.NO_GAIN`), kept as they read in the
    action, and ``at``, the axis value a stop names where a later rule reads which point it stops at (converged's
    "stop at X", :func:`losslens.diagnosis._stop_gives_up`). None is in the JSON nor the text. A ``str`` method
    returns a plain ``str`` without them: an action rewritten other than by :meth:`reword` says something new and
    carries no marker of what it said before."""

    kind: str | None
    claim: str | None
    at: float | None

    def __new__(cls, text: str, kind: str | None = None, claim: str | None = None, at: float | None = None):
        self = super().__new__(cls, text)
        self.kind, self.claim, self.at = kind, claim, at
        return self

    def reword(self, old: str, new: str) -> Action:
        """``str.replace`` that keeps the markers, its claim reworded as the words are."""
        return Action(self.replace(old, new), self.kind, None if self.claim is None else self.claim.replace(old, new),
                      self.at)


class Evidence(str):
    """One evidence line's words (a plain string to the report and the JSON) with ``kind``, the rules' name for the
    line a later rule finds again (:data:`losslens.diagnosis.CUT_IN_NOISE` ...), so that none is found by its words.
    Not in the JSON nor the text; a ``str`` method returns a plain ``str`` without it."""

    kind: str | None

    def __new__(cls, text: str, kind: str | None = None):
        self = super().__new__(cls, text)
        self.kind = kind
        return self

    def reword(self, old: str, new: str) -> Evidence:
        """``str.replace`` that keeps the kind."""
        return Evidence(self.replace(old, new), self.kind)


def reword(action: str, old: str, new: str) -> str:
    """``action`` (or an evidence line) with ``old`` replaced by ``new``, an :class:`Action`'s or :class:`Evidence`'s
    markers kept (:meth:`Action.reword`, :meth:`Evidence.reword`)."""
    return action.reword(old, new) if isinstance(action, (Action, Evidence)) else action.replace(old, new)


@dataclass
class Cause:
    """One cause with its confidence in [0, 1], the evidence (quoted numbers) and the actions.

    ``strength``: how plainly the cause's own evidence shows, the rules' number, which they compare and cap
    ("possible" at most 0.5, a cause surer than the verdict says why it ranks second). A diagnosis sets it on
    every cause; the verdict's ``confidence`` is then its calibrated chance of being right
    (:func:`losslens.diagnosis.calibrated_confidence`), every other cause's ``confidence`` its strength.
    None until a diagnosis sets it; not in the JSON."""

    id: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)
    status: str = "likely"  # "likely" or "possible" (possible: needs the named experiment)
    strength: float | None = None

    def __post_init__(self):
        # Its own lists: the rules pass the shared ACTIONS lists, and a later rule appends to the verdict's
        # (a validation loss below training's adds a check); appended to the shared list, that check piled up
        # once per diagnosis in every later run's still_improving (ten times in one test session).
        self.evidence, self.actions, self.numbers = list(self.evidence), list(self.actions), dict(self.numbers)

    def to_dict(self) -> dict:
        return {"id": self.id, "confidence": round(float(self.confidence), 3), "status": self.status,
                "evidence": list(self.evidence), "actions": [str(a) for a in self.actions],
                "numbers": {k: clean_number(v) for k, v in self.numbers.items()}}


# The share of the logged axis beyond which X's interval is reported as "X uncertain" (Diagnosis.x_uncertain).
UNCERTAIN_X_SHARE = 0.5


def deferred(name: str) -> property:
    """A dataclass field read through a property: it holds its value, or a function without arguments
    that makes it, called at the first read and kept. The plateau's bootstrap interval is made this way:
    the live callbacks diagnose every epoch and read it only in a report (a third of a long run's
    diagnosis); a report, ``to_dict`` or a pickle reads the same value as before."""
    key = "_" + name

    def get(self):
        value = self.__dict__[key]
        if callable(value):
            value = self.__dict__[key] = value()
        return value

    def put(self, value):
        self.__dict__[key] = value

    return property(get, put)


def resolved_state(self) -> dict:
    """``__getstate__`` of a class with :func:`deferred` fields: made first (a function cannot be pickled)."""
    for name, attr in vars(type(self)).items():
        if isinstance(attr, property) and "_" + name in self.__dict__:
            getattr(self, name)
    return self.__dict__


@dataclass
class Plateau:
    """Plateau onset X (in the log's axis units) with its interval and the level reached."""

    epoch: float
    interval: tuple[float, float]  # (or a function that makes it: see deferred)
    level: float

    def to_dict(self) -> dict:
        return {"epoch": clean_number(self.epoch), "interval": [clean_number(self.interval[0]), clean_number(self.interval[1])],
                "level": clean_number(self.level)}

    __getstate__ = resolved_state


Plateau.interval = deferred("interval")


@dataclass
class Diagnosis:
    """The answer for one run: verdict, plateau X, causes with evidence and actions.

    ``causes`` is sorted by confidence; ``causes[0].id == verdict``. ``facts`` holds the
    measurements the rules used (see :mod:`losslens.facts`); ``run`` is the Run diagnosed.
    """

    verdict: str
    causes: list[Cause]
    plateau: Plateau | None
    metric: str
    axis: str
    length: int
    run_name: str
    source: str | None = None
    phases: list[dict] = field(default_factory=list)
    forecast: dict | None = None
    facts: Any = None
    run: Any = None
    #: Where a curve still falling (``still_improving``, ``lr_too_low``) flattened in the logged, smoothed curve
    #: (X read as for a plateau, with its interval and level) though it is not plateaued: more epochs still pay,
    #: so ``plateau`` is None (DESIGN: null where the curve has not plateaued); None for every other verdict.
    slowdown: Plateau | None = None
    #: Where this run is one of several repeats of one setting (folds, seeds: :mod:`losslens.repeats`), what they
    #: read together, as the JSON's ``repeats`` object (:func:`losslens.repeats.mark_repeats` sets it on each member);
    #: None for a run that is no repeat, or diagnosed alone.
    repeats: dict | None = None

    @property
    def plateau_epoch(self):
        """X on the run's axis: an int where it is a whole epoch or step (42, as the text and the JSON write it, not
        42.0), a float between them, None for no plateau."""
        return None if self.plateau is None else clean_number(self.plateau.epoch)

    @property
    def plateau_interval(self):
        """X's interval ``(low, high)`` on the run's axis, cleaned as :attr:`plateau_epoch` is; None for no plateau
        (``still_improving``, ``lr_too_low`` ...), as ``plateau_epoch`` is: ``d.plateau.interval`` raised
        AttributeError there, the README's own example on a run still falling."""
        if self.plateau is None:
            return None
        low, high = self.plateau.interval
        return clean_number(low), clean_number(high)

    @property
    def slowdown_epoch(self):
        """Where a still-falling curve slowed (:attr:`slowdown`), on the run's axis, cleaned as
        :attr:`plateau_epoch` is (42, not 42.0: the value the JSON writes); None where it has a plateau."""
        return None if self.slowdown is None else clean_number(self.slowdown.epoch)

    @property
    def flattened(self) -> Plateau | None:
        """Where the curve flattened: its :attr:`plateau`, else where a still-falling one slowed (:attr:`slowdown`);
        None for neither. What the headline, X's uncertainty and a check from the plateau on read."""
        return self.plateau if self.plateau is not None else self.slowdown

    @property
    def flattened_epoch(self):
        """:attr:`flattened`'s X on the run's axis, cleaned as :attr:`plateau_epoch` is; None for neither."""
        return self.plateau_epoch if self.plateau_epoch is not None else self.slowdown_epoch

    @property
    def cause(self) -> Cause:
        return self.causes[0]

    @property
    def optimizer(self) -> str | None:
        """The optimizer the run names (``"Adam"``, ``"SGD"``: ``run.meta["optimizer"]`` or the saved settings,
        :func:`losslens.facts.regularization.optimizer_name`), which its actions are worded for; None where the log
        does not say."""
        from .facts.regularization import optimizer_name

        return optimizer_name(getattr(self.run, "meta", None) or {})

    @property
    def solved(self) -> bool:
        """A task solved on the validation set (accuracy at its ceiling) while its loss still falls: the verdict is
        still_improving, its advice "stop here" (diagnosis._read_solved)."""
        return self.verdict == "still_improving" and bool(self.causes) and "solved_since" in self.causes[0].numbers

    @property
    def adversarial(self) -> bool:
        """Read on a GAN's discriminator or generator loss, one player's score in a two-player game
        (diagnosis._read_adversarial): its plateau is the game holding, not the model converging."""
        return bool(self.causes) and "adversarial" in self.causes[0].numbers

    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    @property
    def notes(self) -> list[str]:
        """How the log was read, where that is worth saying (a line cut off mid-write left out, validation every k
        epochs assumed): the reader's warnings about this run (``run.meta["notes"]``), also logged on the
        ``losslens`` logger as they are made."""
        return list((getattr(self.run, "meta", None) or {}).get("notes") or ())

    def logged_to(self) -> str:
        """Where the run's log ends, on its own axis, e.g. ``"epoch 59"`` or ``"step 249 (epoch 9)"``: what
        the summary tables' "logged to" column shows. ``length`` counts the log's rows (a Lightning run read
        on the step axis has a row per logged step: 90 rows for 10 epochs, 40 validation points)."""
        last = self.last_axis()
        if last is None:
            return f"{self.length} rows"
        return at_text(self.run, self.axis, last)

    def last_axis(self) -> float | None:
        """The last finite axis value of the run (None without the run)."""
        ax = getattr(self.run, "axis", None)
        if ax is None:
            return None
        ax = np.asarray(ax, dtype=float)
        ax = ax[np.isfinite(ax)]
        return float(ax.max()) if ax.size else None

    def x_uncertain(self) -> bool:
        """Whether X's interval spans more than :data:`UNCERTAIN_X_SHARE` of the logged axis (first to last value):
        such an interval says little about where the curve flattened, and the reports say so in words rather than
        print it with a precise one's weight ("epoch 5 [4, 39]" for a 40-epoch run bouncing at Adam 0.03). Text and
        HTML only: the JSON keeps the interval's values. False without the run or an interval."""
        mark = self.flattened  # (a still-falling curve's slowdown, in its headline)
        iv = None if mark is None else mark.interval
        ax = getattr(self.run, "axis", None)
        if iv is None or len(iv) != 2 or ax is None or finite_or_none(iv[0]) is None or finite_or_none(iv[1]) is None:
            return False
        ax = np.asarray(ax, dtype=float)
        ax = ax[np.isfinite(ax)]
        span = float(ax.max() - ax.min()) if ax.size > 1 else 0.0
        return span > 0 and float(iv[1]) - float(iv[0]) > UNCERTAIN_X_SHARE * span

    @property
    def best(self) -> tuple[float, float] | None:
        """``(axis value, value)`` of the smoothed curve diagnosed at its best: a loss's minimum, a score's maximum,
        in the metric's own units. What :func:`best_run` compares a sweep's runs by: one lucky point of a noisy
        curve does not win it. None without the facts."""
        f = self.facts
        return _best_of(getattr(f, "x", None), getattr(f, "smoothed", None), bool(getattr(f, "higher_is_better", False)))

    @property
    def best_point(self) -> tuple[float, float] | None:
        """``(axis value, value)`` of the single best value logged of the metric diagnosed, as the report's card
        quotes it ("val minimum"): beside :attr:`best`, where one lucky evaluation of a noisy curve can sit
        lower. None without the facts."""
        f = self.facts
        if f is None:
            return None
        x, y = getattr(f, "x", None), getattr(f, "y", None)
        run = self.run
        if run is not None and hasattr(run, "has") and run.has(self.metric):  # unbinned, where a long log was averaged
            x, y = run.finite(self.metric)
        return _best_of(x, y, bool(getattr(f, "higher_is_better", False)))

    def metric_label(self) -> str:
        """The metric as the reports name it: the log's column (:meth:`losslens.run.Run.label`), else its key."""
        label = getattr(self.run, "label", None)
        return str(label(self.metric)) if callable(label) else self.metric

    def epoch_at(self, v) -> float | None:
        """The Trainer epoch at step ``v`` (see :func:`trainer_epoch`); None where there is none."""
        return trainer_epoch(self.run, v)

    def to_dict(self) -> dict:
        facts = self.facts.to_dict() if hasattr(self.facts, "to_dict") else {}
        return {
            "schema": SCHEMA,
            "source": self.source,
            "run": self.run_name,
            "axis": self.axis,
            "length": self.length,
            "metric": self.metric,
            # (The key stays canonical for programs; where the text names the metric otherwise, the log's column
            # val_error read as val_loss, metrics/mAP50-95(B), or --metric's val_accuracy, that name beside it.)
            **({"metric_column": label} if (label := self.metric_label()) != self.metric else {}),
            "optimizer": self.optimizer,
            "plateau_epoch": self.plateau_epoch,
            "plateau": None if self.plateau is None else {
                **self.plateau.to_dict(),
                **({"epoch_frac": e} if (e := self.epoch_at(self.plateau.epoch)) is not None else {})},
            "slowdown_epoch": self.slowdown_epoch,
            "verdict": self.verdict,
            "causes": [c.to_dict() for c in self.causes],
            "phases": self.phases,
            # The forecast without "source" and "run": `losslens forecast --json` prints them, then this object's keys
            # (ARCHITECTURE.md); fitted on the diagnosis' bare arrays, it said "source": null, "run": null inside a
            # diagnosis that names both, as a forecast of raw arrays does.
            "forecast": None if self.forecast is None else {k: v for k, v in self.forecast.items()
                                                            if k not in ("source", "run")},
            "best": None if (b := self.best) is None else {
                "epoch": clean_number(b[0]), "value": clean_number(b[1]),
                **({} if (p := self.best_point) is None else {"point": {"epoch": clean_number(p[0]), "value": clean_number(p[1])}})},
            "facts": facts,
            "notes": self.notes,
            "settings": None if (saved := saved_settings(self.run)) is None else {
                "from": saved[0], "values": {str(k): _json_setting(v) for k, v in saved[1].items()}},
            "repeats": self.repeats,
        }

    def to_json(self, **kwargs) -> str:
        return json_text(self.to_dict(), **kwargs)

    def summary(self) -> str:
        """One line: verdict, X and the confidence."""
        from .report.text import headline
        return headline(self)

    def __str__(self) -> str:
        from .report.text import render_text
        return render_text(self)

    def __repr__(self) -> str:
        # One line, as a list of them shows in a notebook (diagnose_all): the dataclass repr spelt out every
        # evidence line, every measured fact and the Run, 14,000 characters for a 20-epoch Keras fit.
        causes = ", ".join(f"{c.id} ({c.confidence:.2f})" for c in self.causes)
        return (f"Diagnosis(run={self.run_name!r}, verdict={self.verdict!r}, "
                f"plateau_epoch={self.plateau_epoch!r}, "
                f"metric={self.metric!r}, causes=[{causes}])")

    def plot(self, ax=None, panels: bool = True):
        """Draw the annotated chart with matplotlib (curves, X and its interval, phases, the best
        validation point, forecast); returns the Axes. See :func:`losslens.report.plot.plot_diagnosis`."""
        from .report.plot import plot_diagnosis
        return plot_diagnosis(self, ax=ax, panels=panels)

    def save_plot(self, path, dpi: int = 150, panels: bool = True):
        """Write the annotated chart to ``path`` (.png, .svg or .pdf); returns the path."""
        from .report.plot import save_plot
        return save_plot(self, path, dpi=dpi, panels=panels)

    def _repr_html_(self) -> str:  # notebooks
        from .report.html import diagnosis_card_html
        return diagnosis_card_html(self)


def _best_of(x, y, higher: bool) -> tuple[float, float] | None:
    """``(x, y)`` at the best finite ``y``: the maximum of a score, the minimum of a loss (the facts keep a
    score in its own direction: read as a loss, an accuracy's best was its first, worst point, negated)."""
    if x is None or y is None or len(y) == 0:
        return None
    y = np.asarray(y, dtype=float)
    y = np.where(np.isfinite(y), y, np.nan)  # (an inf is no best)
    if np.isnan(y).all():
        return None
    i = best_index(y, higher)
    return float(np.asarray(x, dtype=float)[i]), float(y[i])


#: Two values of a score this close (relative) are one value: an accuracy on n examples takes the same float each
#: time the same number are right, and a float32 log's rounding is far coarser than this.
SCORE_TIE = 1e-9


def best_index(y, higher: bool) -> int:
    """The index of the best finite ``y``: a loss's first minimum; a score's maximum, the last where it ties. An
    accuracy is quantised (one example of 142 is 0.70 points), and its best recurs: breast cancer's validation
    accuracy held its best 0.9718 at 26 of 80 epochs (tests/fixtures/ecosystem/accuracy_ties), and the first
    of them, epoch 5, was an early lucky draw (test accuracy 0.944) where the later ties had trained on to 0.972-0.979.
    Over the walk's 12 accuracy logs (torch, Keras; test accuracy as truth) the last tie scored +0.41 points over the
    first on average, worse on 2, better on 7, the same on 3; the middle of the ties did as well but no callback can know it while
    training. So the best weights to keep are the last tie's, where losslens' callbacks keep them too
    (``integrations._core``: a tie moves the kept weights without resetting the patience)."""
    y = np.asarray(y, dtype=float)
    if not higher:
        return int(np.nanargmin(y))
    top = float(np.nanmax(y))
    return int(np.flatnonzero(y >= top - SCORE_TIE * max(1.0, abs(top)))[-1])


def meta_of(d) -> dict:
    """The meta of a Diagnosis' run, ``{}`` where it has none."""
    return getattr(getattr(d, "run", None), "meta", None) or {}


def experiment_of(d) -> str | None:
    """Where a run sits among its sweep: its source with the run's own name taken out (``sweep/*/run.json``,
    ``lightning_logs/*/metrics.csv``, ``mlruns``), so the runs of one folder read as a sweep -- whose paths differ
    only in the name of the run -- share it, and runs of two folders do not. Where the path does not carry the
    name (a W&B run named in its config), the folder above the run's own. None without a source."""
    source = getattr(d, "source", None) or getattr(getattr(d, "run", None), "source", None)
    if not source:
        return None
    if "#" in str(source):  # a store's run (mlruns#run=ID): the store's experiment, as a TensorBoard tree's folder
        store = str(source).split("#", 1)[0]
        meta = getattr(getattr(d, "run", None), "meta", None) or {}
        # (an MLflow store of two experiments named a best across both, where a TensorBoard tree's folders refuse)
        return f"{store}#experiment={meta['experiment_id']}" if meta.get("experiment_id") else store
    source = str(source)
    if meta_of(d).get("run_column"):
        # A long table's runs (a fold or run column) are its own: the folder above it made "/tmp" of
        # /tmp/cv/all.csv, two folders where it lay beside per-run files of one folder.
        return source
    name = str(getattr(d, "run_name", "") or "")
    if name:
        k = source.rfind(name)
        while k >= 0:
            before, after = source[k - 1:k], source[k + len(name):k + len(name) + 1]
            if before in ("", "/", "\\") and after in ("", "/", "\\", "."):
                rest = source[k + len(name):]
                return source[:k] + "*" + (rest if not rest.startswith(".") or "/" in rest else "")
            k = source.rfind(name, 0, k)
    parts = source.replace("\\", "/").rstrip("/").rsplit("/", 2)
    return parts[0] if len(parts) == 3 else source


def task_of(d) -> tuple:
    """What problem a run solves, as far as its log says: ``(prefix, classifier, setup)``. ``prefix`` is the first
    part of a run id written as a path in a table's run column (DeepOBS' ``fmnist_2c2d/AdamOptimizer/...``: the test
    problem; a Hub run's owner), None where the id is no path; ``classifier`` whether it logged an accuracy; ``setup``
    what :func:`setup_of` reads in the settings saved beside it. Runs of one folder that differ in any solve different
    problems (a VAE's loss beside a classifier's, CIFAR-100's beside Fashion-MNIST's), and ranking them ranks the
    problems."""
    run = getattr(d, "run", None)
    meta = getattr(run, "meta", None) or {}
    rid = str(meta.get("run_id") or "") if meta.get("run_column") else ""
    parts = re.split(r"[/:]", rid, maxsplit=1)
    return (parts[0] if len(parts) == 2 and parts[0] else None), run is not None and any(
        run.has(k) for k in ("train_acc", "val_acc")), setup_of(run)


#: Settings that name the data or the task: runs that differ in one solve different problems. (A Transformers
#: model's config: its ``problem_type``, ``num_labels``, a run script's ``finetuning_task``; its head below.)
_PROBLEM_KEYS = ("dataset", "dataset_name", "data", "data_name", "task", "task_name", "num_classes", "n_classes",
                 "problem_type", "num_labels", "finetuning_task")


def saved_settings(run) -> tuple[str, dict] | None:
    """``(where, {name: value})`` of the settings a logger saved with ``run``: Lightning's ``hparams.yaml`` or
    TensorBoard's ``add_hparams`` (``Run.meta["hparams"]``), a W&B run's config (``meta["config"]``), MLflow's
    params (``meta["params"]``), a Transformers Trainer's model ``config.json`` and ``trainer_state.json``
    (``meta["trainer_settings"]``), nested names dotted (``model.hidden``). A W&B entry kept as ``{"value": x}``
    (its ``config.yaml``) is read as ``x``, and W&B's own ``_wandb`` left out. A Keras history's ``params`` are the
    fit loop's (``epochs``, ``steps``), the same names for every problem: not these. None where nothing was saved."""
    from .facts.regularization import flat_settings, saved_dicts

    meta = getattr(run, "meta", None) or {}
    trainer = meta.get("trainer_settings")
    found = [*saved_dicts(meta), *([("trainer_settings", meta.get("trainer_settings_from") or "trainer_state.json",
                                     flat_settings(trainer))] if isinstance(trainer, dict) else [])]
    for key, where, flat in found:
        if flat and (key != "params" or meta.get("format") == "mlflow"):
            return where, flat
    return None


def _head(value) -> str | None:
    """The task head a Transformers ``architectures`` names (``BertForSequenceClassification`` ->
    ``*ForSequenceClassification``): another model with the same head (RoBERTa beside BERT) solves the same problem.
    The older causal language models' ``…LMHeadModel`` (GPT-2's) is ``*ForCausalLM``, as Llama's is named. None
    where a name carries no head (``BertModel``): nothing said."""
    names = value if isinstance(value, (list, tuple)) else str(value).split(",")
    heads = []
    for n in names:
        n = str(n).strip()
        head = re.search(r"For[A-Z]\w*$", n)
        heads.append("*" + head.group(0) if head else "*ForCausalLM" if n.endswith("LMHeadModel") else None)
    return ", ".join(heads) if heads and all(heads) else None


def setup_of(run) -> tuple | None:
    """The settings a logger saved with ``run`` (:func:`saved_settings`: ``hparams.yaml``, a W&B config, MLflow
    params, a Trainer's model config): their names, and the values of those naming the data or the task
    (``dataset``, ``num_classes``, a Transformers model's ``problem_type``, head and number of labels, counted in its
    ``id2label`` where no ``num_labels`` is saved). A sweep of one module saves the
    same names with other values (``lr: 0.05`` / ``lr: 1e-05``); another module saves other names (a digits
    classifier's ``hidden``, ``lr`` beside a regression's ``n_features``, ``lr``). None where nothing was saved."""
    found = saved_settings(run)
    if found is None:
        return None
    saved = found[1]
    told = [(k, str(v)) for k, v in saved.items() if k.rsplit(".", 1)[-1].lower() in _PROBLEM_KEYS and v is not None]
    told += [(k, h) for k, v in saved.items() if k.rsplit(".", 1)[-1] == "architectures" and (h := _head(v))]
    if not any(k == "num_labels" for k, _ in told):
        # (A Trainer's W&B config holds the model's label map, id2label.0, id2label.1 ...: as many labels)
        labels = sum(1 for k in saved if k.startswith("id2label."))
        told += [("num_labels", str(labels))] if labels else []
    return tuple(sorted(saved)), tuple(sorted(told))


def _one_setup(a: tuple | None, b: tuple | None) -> bool:
    """Two :func:`setup_of` of one module's sweep: the names of one among the other's, the same data and task where
    both say it (a number of labels counted in a label map is said of both)."""
    if a is None or b is None:
        return False
    names_a, names_b = set(a[0]), set(b[0])
    return (names_a <= names_b or names_b <= names_a) and not differing_setup(a, b)


def differing_setup(a: tuple, b: tuple) -> list[str]:
    """The data and task names two :func:`setup_of` both say, and say differently (sorted); [] where none."""
    told_a, told_b = dict(a[1]), dict(b[1])
    return sorted(k for k in told_a.keys() & told_b.keys() if told_a[k] != told_b[k])


def experiments(diagnoses) -> list[list[int]]:
    """The indices of ``diagnoses`` grouped by :func:`experiment_of` and :func:`task_of`, in first-seen order:
    runs of one experiment, whose losses compare. Runs without a source join the first group of their task, and
    runs that saved no settings the first of their folder and task; runs that saved more names than an earlier run
    of their folder, or fewer, and the same data and task (:func:`_one_setup`), join its group."""
    keys: dict = {}
    for i, d in enumerate(diagnoses):
        keys.setdefault((task_of(d), experiment_of(d)), []).append(i)
    for task, where in list(keys):
        if where is None:  # (made in memory: nothing says they are apart from the first folder's runs of their task)
            home = next((k for k in keys if k[1] is not None and (k[0] == task or task[2] is None and k[0][:2] == task[:2])),
                        None)
        elif task[2] is None:  # (no settings saved: nothing says they are another module's than their folder's)
            home = next((k for k in keys if k[1] == where and k[0][:2] == task[:2] and k[0][2] is not None), None)
        else:  # (a sweep that added a setting on the way saved more names, not others)
            seen = list(keys)[:list(keys).index((task, where))]
            home = next((k for k in seen if k[1] == where and k[0][:2] == task[:2] and _one_setup(k[0][2], task[2])),
                        None)
        if home is not None:
            keys[home] = sorted(keys[home] + keys.pop((task, where)))
    return list(keys.values())


def best_run(diagnoses, point: bool = False) -> int | None:
    """The index of the run whose smoothed held-out curve got lowest (a loss) or highest (a score), by
    :attr:`Diagnosis.best`: the run to pick from a sweep (of learning rates, batch sizes, widths). None for
    fewer than two runs, or runs not read on one held-out metric in one direction: a loss beside an accuracy
    does not compare, nor does a training loss (the lowest is the one that fitted its training data best,
    overfitting included). ``point=True`` ranks the same runs by their single best value logged instead
    (:attr:`Diagnosis.best_point`), which the reports quote beside the pick where another run holds it."""
    diagnoses = list(diagnoses)
    if len(diagnoses) < 2:
        return None
    if not comparable(diagnoses) or len(experiments(diagnoses)) > 1:
        return None
    sign = -1.0 if getattr(diagnoses[0].facts, "higher_is_better", False) else 1.0  # (one direction: comparable)
    values = [math.inf if (b := d.best_point if point else d.best) is None or d.best is None else sign * b[1]
              for d in diagnoses]
    i = int(np.argmin(values))
    return i if math.isfinite(values[i]) else None


def comparable(diagnoses) -> bool:
    """Runs read on one held-out metric in one direction (what :func:`best_run` ranks, folders apart)."""
    metrics = {(d.metric, bool(getattr(d.facts, "higher_is_better", False))) for d in diagnoses}
    return len(metrics) == 1 and not str(diagnoses[0].metric).startswith("train")


def trainer_epoch(run, v) -> float | None:
    """The epoch at step ``v`` of a run on the step axis that logged its fractional epoch too
    (a Hugging Face Trainer's ``epoch_frac``: its printout and ``state.epoch`` count in epochs,
    its ``trainer_state.json`` and checkpoints in steps), so X is quoted in both: "step 300
    (epoch 2.4)". Beyond the logged steps (a forecast's horizon, X on the fitted curve) the epoch goes on at the
    run's own steps per epoch: held at the last logged epoch, step 332 of a run logged to step 112 (epoch 7)
    read "epoch 7" where the run reaches epoch 20.75. Lightning's whole epoch index (its ``metrics.csv``'s ``epoch``
    column) is read as the epochs done, the Trainer's count: :func:`losslens.readers.lightning.fractional_epochs`.
    None where the run has no such series."""
    if run is None or v is None or getattr(run, "axis_name", None) != "step" \
            or "epoch_frac" not in getattr(run, "series", {}):
        return None
    x = np.asarray(run.axis, dtype=float)
    e = np.asarray(run.series["epoch_frac"], dtype=float)
    ok = np.isfinite(x) & np.isfinite(e)
    if ok.sum() < 2 or not math.isfinite(float(v)):
        return None
    x, e = x[ok], e[ok]
    from .readers.lightning import fractional_epochs

    done = fractional_epochs(e, x)  # Lightning's epoch index: step 150 of 100-step epochs is epoch 1.5, not 1
    if done is not None:
        e = done
    if np.any(np.diff(x) < 0) or np.any(np.diff(e) < 0):
        return None
    v = float(v)
    if x[0] <= v <= x[-1]:
        return round(float(np.interp(v, x, e)), 4)
    if x[-1] == x[0]:
        return None
    # (A Trainer's steps per epoch are fixed by its batch size and data: the logged stretch's mean carries on.)
    rate = (e[-1] - e[0]) / (x[-1] - x[0])
    return round(float(e[-1] + (v - x[-1]) * rate if v > x[-1] else e[0] + (v - x[0]) * rate), 4)


def at_text(run, axis: str, v) -> str:
    """``"step 480 (epoch 30)"`` on a Trainer's step axis (:func:`trainer_epoch`), else ``"epoch 12"``: an axis
    value as the reports and charts quote it."""
    e = trainer_epoch(run, v)
    return f"{axis} {axis_text(v)}" + ("" if e is None else f" (epoch {axis_text(e)})")


def axis_text(v, thousands: bool = False) -> str:
    """An axis value (epoch, step) as the log writes it: 12, not 12.0 or 1.2e+01; "?" for None. ``thousands``: a
    whole value's thousands separated (20,000: a chart's legend, read at a glance)."""
    if v is None:
        return "?"
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if abs(v) >= 1e15:  # a horizon typed as 1e300 printed all 301 digits of it, three times over
        return f"{v:.4g}"
    if v.is_integer() or abs(v) >= 1000:  # (bin-averaged axes of long logs are fractional: step 300900, not 3.009e+05)
        n = int(v) if v.is_integer() else int(round(v))
        return f"{n:,}" if thousands else str(n)
    return f"{v:.4g}"


def share_text(v: float) -> str:
    """A share (0.029 = 2.9%) as a percentage people can compare, as the evidence writes it: 0.4% is not "0%";
    1e300 is not 300 digits."""
    if abs(v) >= 1e4:
        return f"{100 * v:.2g}%"
    return f"{v:.0%}" if abs(v) >= 0.1 or v == 0 else f"{100 * v:.2g}%"


def finite_or_none(v) -> float | None:
    """A finite float, else None (None, NaN, ±inf, or not a number): what JSON and charts take."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


#: Significant digits a float keeps in the JSON losslens writes (``--json``, ``to_json()``): a float32 loss
#: (0.29636380076408386) or a difference's noise (0.010299999999999976) spelt out to 17 digits says nothing more.
#: Rounded at serialisation only: ``to_dict()`` and the analysis keep every digit.
JSON_DIGITS = 7


def rounded(obj):
    """``obj`` (dicts, lists, numbers, strings ...) with every float rounded to :data:`JSON_DIGITS` significant
    digits; ints, bools and None as they are."""
    if isinstance(obj, float):
        return float(f"{obj:.{JSON_DIGITS}g}") if math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v) for v in obj]
    return obj


def json_text(obj, **kwargs) -> str:
    """``obj`` as the JSON losslens writes: floats :func:`rounded`, NaN never (``allow_nan=False``)."""
    return json.dumps(rounded(obj), allow_nan=False, **kwargs)


def _json_setting(v):
    """A saved setting (:func:`saved_settings`) as JSON holds it: a number (a whole one an int), a word, a list as
    saved; a NaN or inf as its word ("nan": the JSON allows none, and null would say it was not set); anything else
    YAML or a logger kept (a date, a path) as its text."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        # (hparams.yaml's reader keeps every number a float: its "hidden: 16" is 16, as the sweep table shows it)
        return str(float(v)) if not math.isfinite(v) else int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)
    if isinstance(v, (list, tuple)):
        return [_json_setting(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_setting(x) for k, x in v.items()}
    return str(v)


def clean_number(v):
    """JSON-safe number: NaN/inf -> None, numpy scalars -> float/int."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [clean_number(x) for x in v]
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    if not math.isfinite(f):
        return None
    return int(f) if f.is_integer() and abs(f) < 2**53 else f
