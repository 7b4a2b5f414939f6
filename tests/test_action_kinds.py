"""The rules that find an action again find it by its kind (``result.Action.kind``), set where the action is built,
not by its words: a late generalizer's lead drops the "keep training" before it and its overfitting's early stop
(:func:`losslens.diagnosis._generalizing_late`), a lead under chance drops the early stop whose best weights are the
untrained model's (``_under_chance_lead``), "or too few examples" goes after "check the labels" (``_few_examples``)
and "check the training labels" before "a bigger model" (``_train_errs_more``).

Each test words those actions otherwise (their key words in capitals, where they are built) and reads a committed
fixture on which the decision is taken: the diagnosis must read as before, word for word once the capitals are put
back. A decision taken on the words would miss the reworded action and read differently."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from typer.testing import CliRunner

import losslens
import losslens.comparison as C
import losslens.diagnosis as D
from losslens.cli import app
from losslens.result import Action

ECO = Path(__file__).parent / "fixtures" / "ecosystem"

#: The words the decisions once searched for; reworded in capitals, which no rule's text holds.
WORDS = ("keep training", "early stopping", "check the labels", "a bigger model", "best weights are from")
KINDS = (D.KEEP_TRAINING, D.TRAIN_ON, D.EARLY_STOP, D.EARLY_STOP_BEST, D.STOP_ON_ACC, D.CHECK_LABELS, D.MODEL_SIZE)


def _shout(text: str) -> str:
    for w in WORDS:
        text = text.replace(w, w.upper())
    return text


def _hush(text: str) -> str:
    for w in WORDS:
        text = text.replace(w.upper(), w)
    return text


class _AnyAction(type(Action)):
    def __instancecheck__(cls, obj):  # the rules' isinstance(a, Action) still sees every action
        return isinstance(obj, Action)


class _Reworded(Action, metaclass=_AnyAction):
    def __new__(cls, text, kind=None, claim=None, at=None):
        return Action(_shout(text) if kind in KINDS else text, kind, claim, at)


def _reworded(monkeypatch) -> None:
    monkeypatch.setattr(D, "Action", _Reworded)
    for table in (D.ACTIONS, D.BOOSTER_ACTIONS):
        for key, acts in list(table.items()):
            monkeypatch.setitem(table, key, [Action(_shout(a), a.kind, a.claim, a.at) if getattr(a, "kind", None) in KINDS
                                             else a for a in acts])


def _read(run, **kw) -> str:
    return json.dumps(losslens.diagnose(str(run) if isinstance(run, Path) else run, **kw).to_dict(), sort_keys=True)


def _as_before(monkeypatch, run, kept: bool = True, **kw) -> str:
    """``run`` read as it is, and with the actions reworded: the same, once the capitals are put back. ``kept``: a
    reworded action is left in the read (not where the decision drops every one)."""
    plain = _read(run, **kw)
    _reworded(monkeypatch)
    shouted = _read(run, **kw)
    assert (shouted != plain) == kept
    assert _hush(shouted) == plain
    return plain


def test_a_late_generalizer_drops_keep_training_and_the_early_stops_by_kind(monkeypatch):
    # Modular addition under AdamW cut at epoch 1099: validation recovering from its memorising. still_improving's
    # own "keep training: validation is recovering" replaces its plain one, overfitting keeps no early stop, and no
    # stop whose best weights are the untrained model's is left (validation's loss is lowest at epoch 0).
    path = ECO / "torch_grokking" / "grokking.csv"
    _as_before(monkeypatch, path)
    d = losslens.diagnose(str(path))
    late = next(c for c in d.causes if c.id == "still_improving")
    assert [a.startswith("KEEP TRAINING: validation is recovering") for a in late.actions
            if D._of_kind(a, D.KEEP_TRAINING, D.TRAIN_ON)] == [True]
    assert not any(D._of_kind(a, D.EARLY_STOP_BEST, D.STOP_ON_ACC) for c in d.causes for a in c.actions)
    over = next(c for c in d.causes if c.id == "overfitting")
    assert over.actions and not any(D._of_kind(a, D.EARLY_STOP, D.EARLY_STOP_BEST) for a in over.actions)


def test_too_few_examples_goes_after_check_the_labels_by_kind(monkeypatch):
    # A tiny BERT memorising 96 examples: no_signal, with "or too few examples" right after its labels' check.
    path = ECO / "hf_memorised_96" / "small" / "trainer_state.json"
    _as_before(monkeypatch, path)
    acts = losslens.diagnose(str(path)).cause.actions
    i = next(i for i, a in enumerate(acts) if D._of_kind(a, D.CHECK_LABELS))
    assert acts[i].startswith("CHECK THE LABELS") and acts[i + 1].startswith("or too few examples")


def test_the_training_labels_check_goes_before_a_bigger_model_by_kind(monkeypatch):
    # A dropout-0.8 MLP scored in eval mode with --classes 10: underfitting, its training set erring more than
    # validation; the labels' check goes before the size advice (no "change the data or the model" there).
    path = ECO / "torch_reg_bend" / "drop.csv"
    _as_before(monkeypatch, path, classes=10)
    acts = losslens.diagnose(str(path), classes=10).cause.actions
    i = next(i for i, a in enumerate(acts) if a.startswith("erring more on the training set"))
    assert D._of_kind(acts[i + 1], D.MODEL_SIZE) and acts[i + 1].startswith("A BIGGER MODEL")


def test_a_lead_under_chance_drops_the_untrained_models_best_weights_by_kind(monkeypatch):
    # The slow grokking run cut at epoch 1499: validation accuracy 2.9 binomial sds under chance 1/31 while training
    # holds 1.000, validation's loss lowest at epoch 0. Overfitting leads, and no stop keeps the untrained model's
    # weights, however that stop is worded.
    with open(ECO / "torch_grokking_slow" / "grokking_lr1e3.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[:1500]
    cut = {k: [float(r[k]) for r in rows] for k in rows[0]}
    _as_before(monkeypatch, cut, kept=False, classes=31)
    d = losslens.diagnose(cut, classes=31)
    assert d.verdict == "overfitting" and "under chance 1/31" in d.cause.evidence[0]
    assert not any(D._of_kind(a, D.EARLY_STOP_BEST, D.STOP_ON_ACC) or "BEST WEIGHTS" in a
                   for c in d.causes for a in c.actions)


def test_an_overfitting_beside_that_lead_drops_them_by_kind(monkeypatch):
    # No committed read has an overfitting behind a lead under chance that still keeps such a stop: the rule is given
    # one, on the facts of the cut above, its stops reworded.
    with open(ECO / "torch_grokking_slow" / "grokking_lr1e3.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[:1500]
    seen = []
    rule = D._under_chance_lead
    monkeypatch.setattr(D, "_under_chance_lead", lambda f, t, causes: seen.append((f, t)) or rule(f, t, causes))
    losslens.diagnose({k: [float(r[k]) for r in rows] for k in rows[0]}, classes=31)
    f, t = seen[0]
    best = Action("EARLY STOPPING with restore_best_weights: the BEST WEIGHTS ARE FROM epoch 0", D.EARLY_STOP_BEST)
    on_acc = Action("stop on validation accuracy, not val_loss: its BEST WEIGHTS ARE FROM epoch 0", D.STOP_ON_ACC)
    lead = D.Cause("still_improving", 0.7, [], [best, "see the forecast"], {})
    over = D.Cause("overfitting", 0.5, [], [on_acc, "regularize"], {})
    causes = rule(f, t, [lead, over])
    assert causes[0].actions[1:] == ["see the forecast"] and causes[1].actions == ["regularize"]


@pytest.mark.parametrize("kind,built", [
    (D.EARLY_STOP, D.ACTIONS["overfitting"][0]), (D.EARLY_STOP, D.BOOSTER_ACTIONS["overfitting"][0]),
    (D.CHECK_LABELS, D.ACTIONS["no_signal"][0]), (D.MODEL_SIZE, D.ACTIONS["underfitting"][0]),
    (D.KEEP_TRAINING, D.ACTIONS["still_improving"][0]), (D.RAISES_LR, D.ACTIONS["lr_too_low"][0]),
    (D.MORE_DATA, D.ACTIONS["data_limited"][0])])
def test_the_tables_actions_carry_their_kinds(kind, built):
    assert D._of_kind(built, kind)


def test_compare_reads_the_change_a_first_action_makes_off_its_kind(monkeypatch):
    # A diabetes MLP 256 -> 32 wide (size_factor) fell short of overfitting's bar: its first action, early stopping
    # with its best weights, was not tried, however it is worded; here worded to name the model's width too, which
    # the words the decision once searched ("model", "width") took for the change made.
    runs = ECO / "compare_remedies"

    class _Worded(Action, metaclass=_AnyAction):
        def __new__(cls, text, kind=None, claim=None, at=None):
            return Action(text + " (whatever the model's width)" if kind == D.EARLY_STOP_BEST else text, kind, claim,
                          at)

    monkeypatch.setattr(D, "Action", _Worded)
    out = CliRunner().invoke(app, ["compare", str(runs / "diab_wide"), str(runs / "diab_narrow")]).output
    last = out.strip().splitlines()[-1]
    assert "the verdict's first action, early stopping" in last and "(whatever the model's width)" in last, last
    assert "was not tried" in last, last


@pytest.mark.parametrize("kind,change,tried", [
    (D.LOWERS_LR, "lr_factor", True), (D.RAISES_LR, "lr_factor", True), (D.KEEP_TRAINING, "epochs_factor", True),
    (D.EARLY_STOP, "epochs_factor", True), (D.STOP_AT, "lr_factor", False), (D.DATA_OR_MODEL, "size_factor", True),
    (D.MORE_DATA, "data_factor", True), (D.LESS_REG, "decay_factor", True), (D.CHECK_LABELS, "shuffle_labels", True),
    (D.MODEL_SIZE, "decay_factor", False), (None, "lr_factor", None), (D.GAP_REMEDY, "decay_factor", None)])
def test_compare_knows_the_change_of_each_kind(kind, change, tried):
    assert C._not_tried(Action("whatever words", kind), {change: 2.0}) is (None if tried is None else not tried)


def test_the_small_validation_line_finds_the_early_stops_own_line_by_kind(monkeypatch):
    # scikit-learn's MLP stopped by its patience on 120 held-out samples (tests/fixtures/ecosystem/sklearn_mlp_patience):
    # still_improving says the stop itself (_cut_in_noise), after which the small-validation line does not say it
    # again, however that line is worded.
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_sklearn_patience import _Fitted

    seen = []
    rule = D._cut_in_noise
    monkeypatch.setattr(D, "_cut_in_noise", lambda f, t: seen.append(f) or rule(f, t))
    d = losslens.diagnose(_Fitted("default_p10"))
    own = next(e for e in d.cause.evidence if D._of_kind(e, D.CUT_IN_NOISE))
    assert own.startswith("stopped by early stopping (patience 10)")
    f = seen[0]
    said = D.Evidence(_shout(own.replace("stopped by early stopping", "early stopping")).upper(), D.CUT_IN_NOISE)
    assert D._stopped_on_them(f, [D.Cause("still_improving", 0.6, [said], [], {})]) == ""
    assert D._stopped_on_them(f, [D.Cause("still_improving", 0.6, [str(said)], [], {})]).startswith(
        ", and early stopping (patience 10) ended the fit on them")


def test_validation_ends_is_said_where_it_was_read_found_by_kind(monkeypatch):
    # A torch loop whose losses turned NaN at its last epoch (tests/fixtures/ecosystem/nan_last_epoch): data_limited,
    # read on the run before the NaN, says validation's last finite value, its line found by its kind.
    path = ECO / "nan_last_epoch" / "torch" / "epochs.csv"
    plain = _read(path)
    assert "validation's last finite value" in plain

    evidence = D.Evidence

    class _Shouted(evidence):
        def __new__(cls, text, kind=None):
            return evidence(text.replace("validation ends", "VALIDATION ENDS") if kind == D.VAL_ENDS else text, kind)

    monkeypatch.setattr(D, "Evidence", _Shouted)
    assert _read(path) == plain


def test_training_erring_more_than_validation_drops_the_cannot_fit_line_by_kind(monkeypatch):
    # Keras at 45% random training labels (tests/fixtures/ecosystem/keras_trainnoise/noise45.csv): underfitting's
    # "the model cannot fit the training data either" (error rates alike) is taken back for the small-or-floor line
    # where training errs 3.9x as often as validation (_errs_more_than_validation); the 1-unit bottleneck
    # (keras_bottleneck/run.csv) keeps it. Reworded where it is built, the line is dropped and kept alike.
    noisy, bottleneck = ECO / "keras_trainnoise" / "noise45.csv", ECO / "keras_bottleneck" / "run.csv"
    plain = {p: _read(p) for p in (noisy, bottleneck)}
    words = "the model cannot fit the training data either"
    assert words not in plain[noisy] and words in plain[bottleneck]
    assert "a model too small and the data's own floor" in plain[noisy]

    evidence = D.Evidence

    class _Shouted(evidence):
        def __new__(cls, text, kind=None):
            return evidence(text.replace(words, words.upper()) if kind == D.FITS_NEITHER else text, kind)

    monkeypatch.setattr(D, "Evidence", _Shouted)
    assert _read(noisy) == plain[noisy]
    shouted = _read(bottleneck)
    assert shouted != plain[bottleneck] and shouted.replace(words.upper(), words) == plain[bottleneck]


def test_a_stop_at_x_is_moved_off_x_by_the_point_it_names(monkeypatch):
    # sched_charlm's step decay (tests/fixtures/ecosystem/step_stop_gain/step.csv): converged's "stop at step 1600"
    # moves after the lr's cut, 1.8% lower (diagnosis._stop_gives_up), which finds that stop by the point it names
    # (Action.at), not by its words: worded otherwise where it is built, it moves alike.
    path = ECO / "step_stop_gain" / "step.csv"
    plain = _read(path)
    assert "stop_gives_up" in plain and "not at step 1600: stopping at X gives up" in plain

    class _Worded(Action, metaclass=_AnyAction):
        def __new__(cls, text, kind=None, claim=None, at=None):
            return Action(text.replace("stop at", "STOP AT", 1) if kind == D.STOP_AT and at is not None else text,
                          kind, claim, at)

    monkeypatch.setattr(D, "Action", _Worded)
    assert _read(path) == plain
