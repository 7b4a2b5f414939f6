"""The Run: one training run's series on one axis.

Readers and callbacks build Runs; everything downstream (facts, diagnosis, reports) reads
only Runs and never knows where they came from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import numpy as np

from .columns import (ACCURACY_FALLBACK, CANONICAL, LAYER_GRAD, adversarial_pair, axis_kind, flatten_splits,
                      is_validation, keep_validation_sets, layer_of, map_columns, normalise, primary_score, rl_reward,
                      spelt_as)
from .exceptions import EmptyRunError, NoLossError, UsageError, UsageTypeError, check_number
from .result import finite_or_none


@dataclass
class Run:
    """Series of one training run, aligned to one axis.

    Parameters
    ----------
    axis : array of shape (n_points,)
        Epoch (or step) numbers as the log writes them: 0-based for Keras, 1-based for
        Lightning's ``epoch + 1`` style logs, steps for step logs. Strictly increasing.
    series : dict of name -> array of shape (n_points,)
        Canonical names are ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc``,
        ``lr``, ``grad_norm`` and ``update_ratio``; any other metric keeps its own name.
        Missing values are NaN (validation every k epochs leaves NaN in between).
    axis_name : ``"epoch"``, ``"step"`` or ``"round"``
        ``"round"``: a gradient-boosting log's boosting rounds (:func:`boosted_trees`), read as a step axis is.
    name : str
        Run name shown in reports (file stem, run id ...).
    source : str or None
        Where the run came from (a path, a URI), quoted in errors and JSON.
    meta : dict
        Free-form extras (number of classes, hyper-parameters, framework ...).
    """

    axis: np.ndarray
    series: dict[str, np.ndarray]
    axis_name: str = "epoch"
    name: str = "run"
    source: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.axis = np.asarray(self.axis, dtype=float)
        n = self.axis.shape[0]
        clean: dict[str, np.ndarray] = {}
        for key, values in self.series.items():
            arr = _as_float_array(values)
            if arr.shape[0] != n:
                raise UsageError(f"series {key!r} has {arr.shape[0]} points, the axis has {n}")
            clean[str(key)] = arr
        self.series = clean
        step = np.diff(self.axis)
        if np.any(step <= 0):
            # Logs restart, repeat or interleave rows: keep the last value written per axis point.
            self._sort_and_merge(in_order=bool(np.all(step >= 0)))

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_history(cls, history: Mapping[str, Iterable] | Any, *, name: str = "run",
                     source: str | None = None, axis_name: str | None = None,
                     columns: Mapping[str, str] | None = None, first_epoch: int = 0,
                     meta: dict | None = None, validation_freq: int | None = None,
                     ends_early: bool = False) -> "Run":
        """Build from a dict of lists, e.g. Keras ``History.history`` (or the History object).

        Lists may have different lengths (validation logged less often): a shorter list of m values
        beside n epochs is placed as Keras' ``validation_freq=k`` places it, after epochs k-1, 2k-1, ...
        (k = ``validation_freq`` where given, else n // m where that gives m values: 30 epochs every 4 is 7
        values, at 3 ... 27); one value short is a fit cut off before its last validation, padded with NaN. Any
        other length raises a :class:`UsageError` naming ``source`` (padded with NaN, a list cut short read as a
        run that diverged or stopped improving there), unless ``ends_early``: validation that stopped before
        training did (a fit continued without it, its Histories merged), logged until its last value and not after
        (NaN, ``meta["logged_until"]``). Where several k give m values (11 epochs, 2 values: every 4 or every 5
        epochs) the largest is assumed and ``meta["notes"]`` says so, as a warning on the ``losslens`` logger does. An ``epoch``/``step`` key, when present, is the axis;
        otherwise the axis is ``first_epoch, first_epoch + 1, ...`` (Keras numbers from 0).
        ``columns`` overrides the name mapping: ``{"val_loss": "my_dev_loss"}``.
        """
        # (validation_freq=0 or "3" was passed over; first_epoch="1" ended in a TypeError)
        if validation_freq is not None:
            check_number("validation_freq", validation_freq, integer=True, minimum=1,
                         means="epochs between validations")
        check_number("first_epoch", first_epoch, integer=True, minimum=0, means="the first epoch's number")
        if hasattr(history, "history") and isinstance(getattr(history, "history"), Mapping):
            epochs = getattr(history, "epoch", None)
            history = history.history
            if isinstance(epochs, list) and epochs and not any(axis_kind(str(k)) for k in history) \
                    and all(len(v) <= len(epochs) for v in history.values() if _is_sequence(v)):
                # Keras' History.epoch: a fit(initial_epoch=40) logged epochs 40, 41 ..., as its CSVLogger does.
                history = {**history, "epoch": epochs}
        if not isinstance(history, Mapping):
            raise UsageTypeError(f"expected a dict of lists (Keras History.history), got {type(history).__name__}")
        history = flatten_splits(dict(history)) or history  # {"train": {"loss": [...]}, "val": {...}}
        data = {str(k): _as_float_array(v) for k, v in history.items() if _is_sequence(v)}
        axis_key = next((k for k in data if axis_kind(k)), None)
        axis = None
        # A booster's evals_result with its sets named (xgb.train's evals=[(dtrain, "train"), (dval, "eval")]) has no
        # axis list: one value per boosting round, counted from 0 as XGBoost prints them; a step axis, which
        # readers.table.rounds_axis names "round", as a numbered evals_result's "iteration" (flatten_splits) is.
        kind = axis_name or ("step" if boosted_trees(meta or {}) else "epoch")
        if axis_key is not None:
            axis = data.pop(axis_key)
            kind = axis_name or axis_kind(axis_key)
        n = max((len(v) for v in data.values()), default=0)
        if axis is not None:
            n = len(axis)
        if axis is None:
            axis = np.arange(first_epoch, first_epoch + n, dtype=float)
        aligned = {}
        meta = dict(meta or {})
        guessed, ended = {}, {}
        for key, arr in data.items():
            if len(arr) == n:
                aligned[key] = arr
            elif 0 < len(arr) < n and (n // validation_freq == len(arr) if validation_freq else
                                       n // (n // len(arr)) == len(arr)):
                # Keras' validation_freq=k validates after epochs k-1, 2k-1, ...: floor(n / k) values, which need not
                # divide n (30 epochs every 4: 7 values, at 3 ... 27). Of the k that give this many, the largest.
                every = validation_freq or n // len(arr)
                low = n // (len(arr) + 1) + 1  # (the smallest k with floor(n / k) values: they run from low to every)
                if not validation_freq and low < every:
                    guessed[key] = (low, every)
                full = np.full(n, np.nan)
                full[every - 1::every][:len(arr)] = arr
                aligned[key] = full
            elif 0 < len(arr) < n - 1 and not ends_early:
                # Padded with NaN at the end, 20 values beside 30 epochs read as a run that diverged at epoch 20
                # (or stopped improving there); one short is a fit cut off before its last validation, kept.
                longest = axis_key or max(data, key=lambda k: len(data[k]))
                pattern = (f"one every {validation_freq} epochs (validation_freq={validation_freq} gives "
                           f"{n // validation_freq})" if validation_freq else
                           "one every k epochs (Keras' validation_freq=k)")
                raise UsageError(f"{key!r} holds {len(arr)} values beside {n} of {longest!r}: neither one per epoch "
                                 f"nor {pattern}; pass losslens.Run.from_history(history, validation_freq=K), or "
                                 "ends_early=True where validation stopped before training did, or lists of equal "
                                 "length, NaN where an epoch has no value", source)
            else:
                if 0 < len(arr) < n - 1:
                    ended[key] = float(axis[len(arr) - 1])
                full = np.full(n, np.nan)
                full[: min(n, len(arr))] = arr[:n]
                aligned[key] = full
        if guessed:
            (low, every), keys = next(iter(guessed.values())), ", ".join(guessed)
            m = len(data[next(iter(guessed))])
            at = ", ".join(f"{axis[i]:g}" for i in range(every - 1, n, every)[:m])
            note = (f"{keys}: {m} value{'s' if m > 1 else ''} over {n} epochs, which Keras' validation_freq={low} to "
                    f"{every} all give; every {every} epochs assumed (epoch{'s' if m > 1 else ''} {at}): pass "
                    "losslens.Run.from_history(history, validation_freq=K) to diagnose, or log with "
                    "keras.callbacks.CSVLogger, whose rows carry the epochs, to be exact")
            meta["notes"] = [*meta.get("notes", ()), note]
            from .readers._source import warn

            warn(source or name, note)  # (a reader's note: said once its source is read, not if it is refused)
        mapping = map_columns(list(aligned), columns)
        series = {}
        for col, arr in aligned.items():
            canon = mapping[col]
            if canon not in series:
                series[canon] = arr
                spelt_as(meta, col, canon)
                if col in ended:  # (gaps after it, not a loss turned NaN: facts.divergence.logged)
                    meta.setdefault("logged_until", {})[canon] = ended[col]
        keep_validation_sets(meta, mapping)
        return cls(axis=axis, series=series, axis_name=kind, name=name, source=source, meta=meta)

    @classmethod
    def from_dataframe(cls, frame, *, name: str = "run", source: str | None = None,
                       columns: Mapping[str, str] | None = None, first_epoch: int = 0,
                       run_id: str | None = None) -> "Run":
        """Build from a pandas DataFrame, read as the same table saved to a CSV is: the Run ``losslens.diagnose(frame)``
        diagnoses.

        The table reader (:func:`losslens.readers.table.to_runs`) reads it: a Lightning ``metrics.csv``'s step,
        epoch and validation rows folded onto epochs, scikit-learn's negated ``train_score``/``validation_score``
        as losses, a Keras ``CSVLogger`` appended over two fits as one run, a run-id column as several runs.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
            One row per logged point (an epoch, a step, or a Lightning-style partial row), one column per series;
            an ``epoch``/``step`` column, when present, is the axis. Number columns are read as floats (NaN: not
            logged), others as text (a run id).
        name : str
            Run name shown in reports (a run-id column names its runs instead).
        source : str or None
            Quoted in errors and kept on the Run; None: ``"DataFrame"``.
        columns : dict of canonical name -> column, optional
            Overrides the name mapping: ``{"val_loss": "my_dev_loss"}``.
        first_epoch : int
            The first row's epoch where no column names the axis (rows are numbered from it; Keras counts from 0).
        run_id : str or None
            The run to keep where a run-id column holds several.

        Returns
        -------
        Run

        Raises
        ------
        UsageError
            The frame holds several runs and ``run_id`` picks none (``losslens.diagnose_all(frame)`` reads each).
        """
        from .readers.table import from_frame  # (the readers build on this module)

        runs = from_frame(frame, name=name, source=source, columns=columns, run_id=run_id)
        if len(runs) != 1:
            raise UsageError(f"holds {len(runs)} runs; use losslens.diagnose_all() or pick one with run_id=",
                             runs[0].source)
        run = runs[0]
        if first_epoch and str(run.meta.get("axis_from", "")).startswith("row number"):
            run.axis = run.axis + float(first_epoch)
        return run

    # ---- access ---------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.axis.shape[0])

    def get(self, key: str) -> np.ndarray | None:
        """The series under ``key`` or None; a series with no finite value counts as absent."""
        arr = self.series.get(key)
        # (Most curves start or end on a value: no pass over a 100,000-step series, asked ~70 times a diagnosis.)
        if arr is None or not (len(arr) and (np.isfinite(arr[0]) or np.isfinite(arr[-1])) or np.isfinite(arr).any()):
            return None
        return arr

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    train_loss = property(lambda self: self.get("train_loss"))
    val_loss = property(lambda self: self.get("val_loss"))
    train_acc = property(lambda self: self.get("train_acc"))
    val_acc = property(lambda self: self.get("val_acc"))
    lr = property(lambda self: self.get("lr"))
    grad_norm = property(lambda self: self.get("grad_norm"))

    @property
    def metrics(self) -> list[str]:
        """Names of the series with at least one value, canonical ones first."""
        names = [k for k in CANONICAL if self.has(k)]
        return names + sorted(k for k in self.series if k not in CANONICAL and not k.startswith(LAYER_GRAD)
                              and self.has(k))

    def layer_grads(self) -> dict[str, np.ndarray]:
        """Per-layer gradient norms, ``{layer: values}`` in the model's order (first layer first), where logged.

        The Run keeps them under ``grad_norm/<name>`` (:data:`losslens.columns.LAYER_GRAD`), out of
        :attr:`metrics`. A log of one norm per parameter tensor (Lightning's ``grad_norm()``: ``net.0.weight``,
        ``net.0.bias``) is combined per module, as the 2-norm of its tensors' norms (the norm of their
        gradients concatenated). A log whose names come sorted as text (Lightning's ``CSVLogger`` and
        TensorBoard sort them: ``net.10`` before ``net.2``) is put in the order of the numbers in the names."""
        keys = [k for k in self.series if k.startswith(LAYER_GRAD) and self.has(k)]
        names = [k[len(LAYER_GRAD):] for k in keys]
        if names == sorted(names):
            order = sorted(range(len(names)), key=lambda i: _natural(names[i]))
            keys, names = [keys[i] for i in order], [names[i] for i in order]
        out: dict[str, np.ndarray] = {}
        for key, name in zip(keys, names):
            layer = layer_of(name)
            sq = np.square(self.series[key])
            out[layer] = np.sqrt(out[layer] ** 2 + sq) if layer in out else np.sqrt(sq)
        return out

    def default_metric(self) -> str:
        """The series a diagnosis looks at: ``val_loss`` when logged, else ``val_acc``, else ``train_loss``.

        (Validation measured only as an accuracy -- MMEngine's and timm's defaults -- is still
        the curve whose plateau the question is about; the training loss is read beside it.)
        Falls back to any series whose name ends in ``loss``, then to ``train_acc``. A reader
        that knows better sets ``meta["default_metric"]`` (scikit-learn's early-stopping score). With no loss
        nor accuracy, the primary score (:func:`losslens.columns.primary_score`; :meth:`default_note` says so).
        """
        return self._default()[0]

    def _default(self) -> tuple[str, tuple | None]:
        """``(default metric, primary_score's answer where it was chosen as the primary score, else None)``."""
        chosen = self.meta.get("default_metric")
        if chosen and self.has(chosen):
            return chosen, None
        reward = rl_reward(k for k in self.metrics if self.has(k))
        if reward is not None:
            return reward, None  # an RL agent's log: the episode reward, not the algorithm's losses
        for key in ("val_loss", "val_acc", "train_loss"):
            if self.has(key):
                return key, None
        # A GAN's log: its discriminator's loss, the player whose equilibrium is known (the generator's is read
        # beside it); ``loss_D`` ends in no "loss" and would otherwise find nothing.
        pair = adversarial_pair(self.metrics)
        if pair:
            return (pair.get("val") or pair["train"])[0], None
        losses = [k for k in self.metrics if k.endswith("loss")]
        if losses:
            return losses[0], None
        for key in ACCURACY_FALLBACK:
            if self.has(key):
                return key, None
        score = primary_score(self.metrics)
        if score is not None:  # scores only (a YOLO results.csv cut to its mAPs): the primary one
            return score[0], score
        if not len(self):
            # An empty history (Keras' fit(epochs=0), a loop that broke before its first epoch ended) logged
            # nothing: not a run that diverged, nor one missing a column --metric could name.
            named = f" (columns: {', '.join(sorted(self.series))})" if self.series else ""
            raise NoLossError(f"no epochs logged: the history is empty{named}", self.source or self.name)
        if not self.metrics and self.series:
            # Columns logged, none with a finite value (a Keras fit NaN from its first batch): "found: none"
            # said the log named no loss at all.
            raise NoLossError(f"{', '.join(sorted(self.series))} never had a finite value (all NaN/inf, "
                              f"{len(self)} points logged): the run diverged from its start", self.source or self.name)
        raise NoLossError(f"no loss or accuracy column (found: {', '.join(self.metrics) or 'none'}); "
                          "name one with --metric", self.source or self.name)

    def default_note(self) -> str | None:
        """One line saying which series :meth:`default_metric` read and why, where the run logs no loss nor
        accuracy, or several validation sets (``meta["validation_sets"]``), else None: a verdict on a column the
        user never named must say which it is."""
        try:
            chosen, score = self._default()
        except NoLossError:
            return None
        sets = [k for k in self.meta.get("validation_sets") or () if self.has(k)]
        if chosen == "val_loss" and len(sets) > 1 and sets[0] == chosen:
            # Two validation sets are two curves: reading one must say so, not mix or drop the other in silence.
            others = ", ".join(self.label(k) for k in sets[1:4]) + (" ..." if len(sets) > 4 else "")
            why = self.meta.get("validation_set_why")
            return (f"{len(sets)} validation sets logged: read on {self.label(chosen)}"
                    f"{', ' + why if why else ''}, beside {others}; "
                    f"--metric COLUMN (metric= in Python) reads another")
        if score is None:
            return self._held_out_score_note(chosen)
        name, why, others = score
        passed = f", before {', '.join(self.label(o) for o in others[:3])}" if others else ""
        return (f"no loss logged: read on {self.label(name)}, {why}{passed}; --metric COLUMN (metric= in Python) "
                "reads another")

    def _held_out_score_note(self, chosen: str) -> str | None:
        """Where the training loss is read and the run logs no held-out loss nor accuracy but a held-out score
        (scikit-learn's MLP with ``early_stopping=True``: ``loss`` and ``validation_scores_``, R² for a regressor),
        the line saying the score was not read: the fitted model itself (``losslens.diagnose(model)``) is read on
        that score, its CSV on the loss, and neither said which."""
        if chosen != "train_loss":
            return None
        score = primary_score([k for k in self.metrics if self.has(k) and is_validation(k)])
        if score is None:
            return None
        return (f"read on {self.label(chosen)}, the training loss: {self.label(score[0])} (a held-out score) was not "
                f"read; --metric {self.label(score[0])} (metric= in Python) reads it")

    def label(self, key: str) -> str:
        """``key`` as the log spelt it (``metrics_map50_95(b)`` -> ``metrics/mAP50-95(B)``), for reports:
        readers keep a column that maps to no canonical series under its normalised name
        (``meta["column_names"]``); canonical series (``val_loss`` ...) keep theirs."""
        return (self.meta.get("column_names") or {}).get(key, key)

    def logged_name(self, key: str) -> str:
        """``key`` as the log names its column, canonical series too (``val_accuracy`` for ``val_acc``, ``val_nll``
        for a ``val_loss`` read off it): the names a user looks for in the file, for errors that list what is
        there (:meth:`label` keeps the canonical names reports use)."""
        return (self.meta.get("logged_names") or {}).get(key) or self.label(key)

    def logged_metrics(self) -> list[str]:
        """:attr:`metrics` as the log names them (:meth:`logged_name`)."""
        return [self.logged_name(k) for k in self.metrics]

    def named_as(self, key: str, asked: str | None) -> "Run":
        """This run, its reports writing series ``key`` as the user named it with ``--metric`` (``val_accuracy``,
        read as ``val_acc``): the text speaks of the column the user asked about, in their words. The JSON keeps
        the key. Itself where nothing was asked or the name shown is already the one asked."""
        if not asked or asked == key or asked == self.label(key):
            return self
        read = (self.meta.get("logged_names") or {}).get(key)
        if read is not None and _other_copy(asked, read):
            # Lightning's train_loss_step asked, its train_loss_epoch read (both are train_loss): the text named the
            # epoch means after the step values. Name the column read, and say the one asked was not.
            note = (f"--metric {asked}: read from {read}, this log's {key} ({asked} is another copy of it, "
                    f"{'per step' if normalise(asked).endswith('_step') else 'per epoch'}, not read)")
            from .readers._source import warn

            warn(self.source or self.name, note)
            names = {**(self.meta.get("column_names") or {}), key: read}
            return replace(self, meta={**self.meta, "column_names": names,
                                       "notes": [*self.meta.get("notes", ()), note]})
        names = {**(self.meta.get("column_names") or {}), key: asked}
        return replace(self, meta={**self.meta, "column_names": names})

    def finite(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(axis, values)`` of the points where ``key`` is finite (NaN gaps removed)."""
        arr = self.series.get(key)
        if arr is None:
            raise EmptyRunError(f"no series {key!r} (has: {', '.join(self.logged_metrics()) or 'none'})",
                                self.source or self.name)
        ok = np.isfinite(arr)
        return self.axis[ok], arr[ok]

    def head(self, n: int) -> "Run":
        """The first ``n`` points (a partial run, as seen mid-training)."""
        return Run(self.axis[:n], {k: v[:n] for k, v in self.series.items()}, self.axis_name,
                   self.name, self.source, dict(self.meta))

    def followed_by(self, later: "Run", **kw) -> "Run":
        """This run's points, then ``later``'s: a fit resumed from a checkpoint, as trained (this run cut where the
        resume starts: :meth:`head`). ``later``'s series (NaN over this run's points where this run logs none of
        one) and axis name; its name, source and meta unless ``kw`` names them.

        The joined run's ``meta["logged_until"]`` describes the joined run, whichever part's meta it takes: each
        part's mark is kept where the joined series holds no value after it, dropped where a later part logs past
        it. A Trainer resumed after a crash at step 25 (tests/fixtures/ecosystem/hf_tb_resume) left its first part's
        "eval_loss until step 20" on the joined run, whose checks go on to step 80: the divergence check
        (:func:`losslens.facts.divergence.logged`) read validation to step 20, 2 of its 8 checks."""
        n = len(self)
        series = {k: np.concatenate([self.series[k] if k in self.series else np.full(n, np.nan), v])
                  for k, v in later.series.items()}
        kw = {"name": later.name, "source": later.source, "meta": later.meta, **kw}
        axis = np.concatenate([self.axis, later.axis])
        marks = {}
        for part in (self, later):
            for key, until in (part.meta.get("logged_until") or {}).items():
                if key in series and not np.isfinite(series[key][axis > until]).any():
                    marks[key] = until
        meta = {k: v for k, v in (kw["meta"] or {}).items() if k != "logged_until"}
        if marks:
            meta["logged_until"] = marks
        return Run(axis, series, later.axis_name, **{**kw, "meta": meta})

    def to_dict(self) -> dict[str, list]:
        """``{axis_name: [...], series: [...]}`` with NaN as None (JSON-safe)."""
        out = {self.axis_name: [finite_or_none(x) for x in self.axis]}
        for k, v in self.series.items():
            out[k] = [finite_or_none(x) for x in v]
        return out

    def __repr__(self) -> str:
        return (f"Run(name={self.name!r}, {self.axis_name}s={len(self)}, "
                f"series={self.metrics})")

    # ---- helpers ----------------------------------------------------------------------
    def _sort_and_merge(self, in_order: bool):
        """One point per axis value, in order. ``in_order``: the axis never goes back, only repeats."""
        axis = self.axis
        if in_order:
            # In order, only repeated (a Trainer's eval row at its train row's step): no sort, no NaN.
            order = None
            new = np.empty(axis.shape[0], dtype=bool)
            new[0], new[1:] = True, axis[1:] != axis[:-1]
            uniq, idx = axis[new], np.cumsum(new) - 1
        else:
            order = np.argsort(axis, kind="stable")
            axis = axis[order]
            uniq = np.unique(axis, return_index=True)[0]  # (a stable sort: -0.0 and 0.0 keep the first's sign)
            idx = np.searchsorted(uniq, axis)
        merged = {}
        for key, arr in self.series.items():
            if order is not None:
                arr = arr[order]
            out = np.full(uniq.shape[0], np.nan)
            # Later rows overwrite earlier ones, but never with NaN (Lightning interleaves rows).
            ok = np.isfinite(arr)
            out[idx[ok]] = arr[ok]
            merged[key] = out
        self.axis = uniq
        self.series = merged


def _other_copy(asked: str, read: str) -> bool:
    """``asked`` and ``read`` are Lightning's two copies of one logged name (``train_loss_step``,
    ``train_loss_epoch``): one value per step, one mean per epoch, different series under one key."""
    a, r = normalise(asked), normalise(read)
    base_a, base_r = (re.sub(r"_(?:step|epoch)$", "", n) for n in (a, r))
    return a != r and base_a == base_r and a != base_a and r != base_r


def _natural(name: str) -> list:
    """Sort key reading the numbers in a name as numbers: ``net.2`` before ``net.10``."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]


def _is_sequence(v) -> bool:
    return hasattr(v, "__len__") and not isinstance(v, (str, bytes, Mapping))


def _as_float_array(values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        arr = np.array([_to_float(v) for v in values], dtype=float)
    return arr


def _to_float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


#: The formats only gradient-boosted trees write (their printed evaluation lines, CatBoost's catboost_info).
BOOSTER_FORMATS = ("xgboost_printed", "lightgbm_printed", "catboost")


def boosted_trees(meta: Mapping[str, Any]) -> bool:
    """A run of gradient-boosted trees (XGBoost, LightGBM, CatBoost, scikit-learn's ensembles), by what its reader
    knew (``meta["model"]``, ``meta["format"]``): its points are boosting rounds, not epochs or optimizer steps. A
    plain table with an ``iteration`` column (a booster's staged scores saved to CSV) says nothing of the model."""
    return meta.get("model") == "boosted_trees" or meta.get("format") in BOOSTER_FORMATS
