"""`losslens compare` readings a user misread (walk 46): a dropout added after overfitting, a remedy too weak for the
verdict's bar, a converged run a bigger model took lower, an hparams.yaml beside a log not named metrics.csv, and the
end a median. Runs of a plain torch loop, each with the hparams.yaml its script saved
(tests/fixtures/ecosystem/compare_remedies, make.py)."""
import csv
from pathlib import Path

from typer.testing import CliRunner

from losslens.cli import app

RUNS = Path(__file__).parent / "fixtures" / "ecosystem" / "compare_remedies"
runner = CliRunner()


def compare(before, after):
    res = runner.invoke(app, ["compare", str(RUNS / before), str(RUNS / after)])
    return res.exit_code, res.output


def test_dropout_added_after_overfitting_is_checked_as_its_regularize():
    """Digits with 40% of its labels flipped overfits; dropout 0.5 took the end 51% lower: overfitting's second
    action, confirmed (it read "overfitting predicts nothing of dropout added")."""
    code, out = compare("noisy", "noisy_dropout")
    assert "change: dropout added (dropout 0 → 0.5 (hparams.yaml))" in out, out
    assert "✓ overfitting — dropout added: predicts val_loss ends ≥ 10% lower; got 1.779 → 0.8662 (-51.3%): holds" \
        in out, out
    assert "verdict overfitting: confirmed by the AFTER run" in out, out
    assert code == 0, out


def test_dropout_that_left_the_end_higher_is_read_against_overfitting_not_passed_over():
    """The breast-cancer MLP at dropout 0.5 reached a best within its noise of the old one and ended 80% higher: the
    end reading refutes the remedy (exit 1), as a weight decay's would."""
    code, out = compare("overfit", "overfit_dropout")
    assert "predicts nothing" not in out, out
    assert "✗ overfitting — dropout added: predicts val_loss ends ≥ 10% lower" in out, out
    assert code == 1, out


def test_a_remedy_short_of_the_bar_is_said_as_the_remedys_result_with_the_first_action_not_tried():
    """A diabetes MLP 256 -> 32 wide ended 5.2% lower against the 10% bar, still overfitting: the remedy fell short;
    the diagnosis's first action, early stopping, was not tried."""
    code, out = compare("diab_wide", "diab_narrow")
    last = out.strip().splitlines()[-1]
    assert last.startswith("verdict overfitting: NOT confirmed as a remedy: this change fell short of the 10% bar "
                           "the verdict predicts for it (val_loss ends -5.2%; the AFTER run still reads overfitting); "
                           "the verdict's first action, early stopping"), last
    assert "was not tried" in last, last
    assert code == 1, out


def test_a_converged_run_a_bigger_model_took_lower_says_underfitting_held():
    """A 3-wide MLP read converged; 6 wide took training 96% and validation 14% lower, underfitting's two readings:
    the verdict predicts nothing of it, and the line says underfitting's prediction held."""
    code, out = compare("tiny", "tiny_x2")
    last = next(line for line in out.splitlines() if line.startswith("verdict "))
    assert last.startswith("verdict converged: not checked: converged predicts nothing of size_factor=2"), last
    assert "; underfitting's prediction for it held (a model twice the size: -95.6%): the AFTER run says " \
           "underfitting, not converged, held the level" in last, last


def test_hparams_yaml_beside_the_one_log_in_a_folder_is_read_whatever_the_log_is_named():
    """log.csv + hparams.yaml, lr 0.05 against 0.005: read as lr_factor=0.1 (it read "the logs save no setting that
    differs")."""
    code, out = compare("lr_log/b/log.csv", "lr_log/a/log.csv")
    assert "change: lr_factor=0.1 (hparams.yaml: lr 0.05 → 0.005)" in out, out
    assert code == 0, out


def test_a_log_beside_another_log_does_not_take_the_folders_hparams_yaml(tmp_path):
    """A folder of two logs: the hparams.yaml need not be either's (only metrics.csv takes it, as Lightning writes it)."""
    for side in ("b", "a"):
        d = tmp_path / side
        d.mkdir()
        src = RUNS / "lr_log" / side
        (d / "log.csv").write_text((src / "log.csv").read_text())
        (d / "other.csv").write_text((src / "log.csv").read_text())
        (d / "hparams.yaml").write_text((src / "hparams.yaml").read_text())
    res = runner.invoke(app, ["compare", str(tmp_path / "b" / "log.csv"), str(tmp_path / "a" / "log.csv")])
    assert "the logs save no setting that differs" in res.output, res.output


def test_the_end_compared_is_labelled_the_median_it_is():
    """The end is the median of the last points (3 of a 50-epoch log), not the last value logged."""
    with open(RUNS / "tiny_x2" / "metrics.csv") as f:
        vals = [float(r["val_loss"]) for r in csv.DictReader(f)]
    code, out = compare("tiny", "tiny_x2")
    assert f"→ {vals[-1]:.4g}" not in out.split("val_loss: end")[1].split(";")[0], out
    assert "val_loss: end (median of the last 3) 0.6209 → 0.5339 (-14.0%); best 0.6072 → 0.311 (-48.8%)" in out, out
