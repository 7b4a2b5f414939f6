"""A total loss whose logged parts part ways, written by the real libraries (make.py in each folder under
tests/fixtures/ecosystem/):

- keras_heads_apart: a two-head Keras 3 model, a classifier that memorises from epoch 0 (val_head1_loss 0.635 ->
  2.061, training accuracy 1.0) beside a regression whose MSE still falls (val_head2_loss 499 -> 166). With equal
  loss weights (w1.csv) the total read still_improving / lr_too_low, head1's overfitting nowhere but in a numbers
  line; with head2 weighted 0.001 (w001.csv) the total read no_signal, "never got below where training started
  (1.002)", training's first-epoch mean; ``--metric val_head1_accuracy`` (0.71 -> 0.64) read converged, "stop here",
  judged beside the total's training loss.
- yolo_parts_apart: a YOLO-style results.csv with no total: the sum read converged at 23 while val/cls_loss
  overfitted from epoch 2 and val/box_loss still fell.
"""

from __future__ import annotations

from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HEADS = ECO / "keras_heads_apart"
YOLO = ECO / "yolo_parts_apart" / "results.csv"


def _parts_line(d) -> str:
    line = next((e for e in d.cause.evidence if "read alone:" in e), None)
    assert line is not None, d.cause.evidence
    return line


def test_a_part_that_beat_its_own_start_is_no_signal_absent():
    """w001.csv: validation's total never got below training's first-epoch mean (1.134 vs 1.002), which holds an
    epoch of learning and other data; its parts show what carried over: val_head2_loss 166 against the 327
    head2_loss started at. The verdict is the overfitting the total shows, no_signal not listed."""
    d = losslens.diagnose(str(HEADS / "w001.csv"))
    assert d.metric == "val_loss"
    assert d.verdict == "overfitting", d
    assert "no_signal" not in {c.id for c in d.causes}, d


def test_a_total_names_the_part_that_overfits_and_the_part_still_falling():
    """w1.csv: the total reads still_improving (head2's MSE is 168 of it); the line naming its parts says head1
    overfits and head2 still falls, each with its --metric."""
    d = losslens.diagnose(str(HEADS / "w1.csv"))
    assert d.verdict == "still_improving", d
    line = _parts_line(d)
    assert "val_head1_loss overfits from epoch 0 (--metric val_head1_loss)" in line, line
    assert "val_head2_loss still falling (--metric val_head2_loss)" in line, line


def test_a_head_accuracy_is_read_beside_its_own_heads_losses():
    """--metric val_head1_accuracy: 0.71 at epoch 0, 0.64 at the end, training accuracy 1.0. Beside the total
    training loss (head2's fall) it read converged, "stop here"; beside head1's own losses it is overfitting from
    epoch 0, and the training trend in the facts is head1_loss's."""
    d = losslens.diagnose(str(HEADS / "w1.csv"), metric="val_head1_accuracy")
    assert d.verdict == "overfitting", d
    assert d.plateau_epoch == 0
    assert d.facts.train_loss_key == "head1_loss"
    # head1_loss fell 0.675 -> 0.0018 (99.7%); the total 328 -> 102 (69%)
    assert d.facts.train_plateau.start < 1.0
    assert any("head1_loss kept falling" in e for e in d.cause.evidence), d.cause.evidence


def test_a_summed_yolo_loss_names_its_parts_apart():
    """results.csv: the sum of box/cls/dfl reads converged; read alone val/cls_loss overfits from epoch 2 and
    val/box_loss still falls."""
    d = losslens.diagnose(str(YOLO))
    assert d.verdict == "converged", d
    line = _parts_line(d)
    # (the API's canonical names; the text report writes the log's val/cls_loss)
    assert "val_cls_loss overfits from epoch 2 (--metric val_cls_loss)" in line, line
    assert "val_box_loss still falling" in line and "(--metric val_box_loss)" in line, line


def test_parts_that_read_as_their_total_add_nothing():
    """keras_two_heads: each head read alone says what the total says, or the line keeps its one --metric hint."""
    d = losslens.diagnose(str(ECO / "keras_two_heads" / "two_heads.csv"))
    line = next(e for e in d.cause.evidence if "outputs' losses" in e)
    assert "--metric val_out_b_loss" in line, line


def _last(path: Path, col: str) -> float:
    return float(losslens.read(str(path))[0].get(col)[-1])


def test_the_premise_regularizing_the_part_that_overfits_lowers_it_and_spares_the_other():
    """make.py's w1_l2.csv: w1.csv's model with L2 1e-2 on head1's own layers. val_head1_loss ends at 0.959 (2.061
    in w1.csv), val_head2_loss at 166.4 in both; the whole model stopped at val_head1_loss's best (epoch 0) would
    have val_head2_loss 499."""
    assert _last(HEADS / "w1_l2.csv", "val_head1_loss") < 0.5 * _last(HEADS / "w1.csv", "val_head1_loss")
    assert abs(_last(HEADS / "w1_l2.csv", "val_head2_loss") / _last(HEADS / "w1.csv", "val_head2_loss") - 1) < 0.01
    head2 = losslens.read(str(HEADS / "w1.csv"))[0].get("val_head2_loss")
    assert head2[0] > 2.5 * head2[-1]


def test_a_total_still_falling_names_the_part_that_overfits_in_its_actions():
    """w1.csv: "keep training, early stopping on val_loss" alone keeps head1's overfitted weights; an action names
    val_head1_loss, its own regularization and a checkpoint on it, before the early stopping on the total."""
    d = losslens.diagnose(str(HEADS / "w1.csv"))
    assert d.verdict == "still_improving", d
    acts = [str(a) for a in d.cause.actions]
    i = next((i for i, a in enumerate(acts) if a.startswith("val_head1_loss overfits from epoch 0")), None)
    assert i is not None, acts
    assert "regularize the layers only it uses" in acts[i] and "checkpoint them on val_head1_loss" in acts[i], acts[i]
    assert not any("val_head2_loss overfits" in a for a in acts), acts
    # (first: the total's own "keep training" does not mend it; the early stopping advised is on the head still
    # falling, which on the total would restore the last weights, head1's worst)
    assert i == 0, acts
    stop = next(j for j, a in enumerate(acts) if "early stopping on val_head2_loss" in a and j != i)
    assert i < stop, acts
