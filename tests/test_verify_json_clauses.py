"""What ``losslens verify`` prints and what its ``--json`` says, and what ``diagnose`` headlines and advises first,
agreeing (session 46's leftovers):

- verify's ``--json`` lacked clauses its text carries: the summary after "verdict ...:" (a remedy that fell short, the
  level a bigger model did not lower), the line on a total loss's parts read alone, the levels stated with
  ``--noise-floor`` / ``--baseline-loss``, each check's line. A real run (the walker's shuffled regression, a 4-4
  torch net, seconds) and the committed two-head Keras log (keras_heads_apart/w1.csv) as the baseline given.
- a two-head Keras model whose total still falls while val_head1_loss overfits from epoch 0 (keras_heads_apart/w1.csv,
  its make.py): the headline said "still improving" and the first action "keep training", the early stopping advised
  was on the total (which restores the last weights, head1's worst: stopped at head1's best, head2's MSE is 499
  against 166), while the parts line and an action named the head.
"""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

runner = CliRunner()
HEADS = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_heads_apart"
W1 = str(HEADS / "w1.csv")


def _given(tmp_path) -> Path:
    """A train() that returns the committed log: the baseline given is all that is read (no epochs_factor)."""
    script = tmp_path / "heads.py"
    script.write_text(f"def train(shuffle_labels=False):\n    return {W1!r}\n")
    return script


def test_verify_json_carries_the_parts_line_the_summary_and_every_printed_line(tmp_path):
    script = _given(tmp_path)
    text = runner.invoke(app, ["verify", f"{script}:train", "--baseline", W1])
    assert text.exit_code == 0, text.output
    res = runner.invoke(app, ["verify", f"{script}:train", "--baseline", W1, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    printed = text.stdout.splitlines()
    parts = next(ln for ln in printed if ln.startswith("parts of val_loss, "))
    assert out["parts_read_alone"] == parts.removeprefix("parts of val_loss, ")
    assert out["parts_read_alone"].startswith("read alone: val_head1_loss overfits from epoch 0")
    verdict = next(ln for ln in printed if ln.startswith("verdict still_improving: "))
    assert out["summary"] == verdict.removeprefix("verdict still_improving: ")
    assert out["lines"] == printed
    assert [c["line"] for c in out["checks"]] == [ln.strip() for ln in printed[1:1 + len(out["checks"])]]
    # (added, none renamed: the keys a tool read before are all there)
    assert {"verdict", "confirmed", "points_to", "checks", "unchecked", "next_cause", "diagnosis"} <= set(out)


torch = pytest.importorskip("torch")


@pytest.mark.usefixtures("one_torch_thread")
def test_a_real_verify_run_s_json_says_the_levels_stated_and_what_the_text_says(tmp_path):
    """The walker's reg.py (shuffled standardised targets, a 4-4 net): told a constant prediction's MSE, 1.0, it
    reads no_signal; the text's summary and the levels it was read against are in the JSON."""
    from test_verify_walk46 import SHUFFLED

    path = tmp_path / "reg.py"
    path.write_text(SHUFFLED)
    args = ["verify", f"{path}:train", "--baseline-loss", "1.0", "--noise-floor", "0.5"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    res = runner.invoke(app, args + ["--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["verdict"] == "no_signal"
    assert out["stated"] == {"noise_floor": 0.5, "baseline_loss": 1.0}
    assert out["lines"] == text.stdout.splitlines()
    said = next(ln for ln in out["lines"] if ln.startswith("verdict no_signal: "))
    assert out["summary"] == said.removeprefix("verdict no_signal: ")
    assert out["parts_read_alone"] is None and out["asked"] == [] and out["observed"] is None


def test_a_total_still_falling_over_a_head_that_overfits_headlines_the_head_and_acts_on_it_first():
    d = losslens.diagnose(W1)
    assert d.verdict == "still_improving"  # (the total: head2's MSE, 166 of 168, still falls)
    assert "still improving (not plateaued), but val_head1_loss overfits from epoch 0" in d.summary(), d.summary()
    acts = [str(a) for a in d.cause.actions]
    assert acts[0].startswith("val_head1_loss overfits from epoch 0 while val_loss still falls"), acts
    # the early stopping advised stops on the head still falling, not on the total
    stops = [a for a in acts[1:] if "early stopping on" in a]
    assert stops and all("early stopping on val_head2_loss" in a for a in stops), acts
    js = json.loads(d.to_json())
    assert js["causes"][0]["actions"][0] == acts[0]


def test_the_html_report_headlines_the_head_too(tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", W1, "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert "still improving, but val_head1_loss overfits from epoch 0" in page
    assert "early stopping on val_head2_loss, the part still falling, not on val_loss" in page


def test_a_total_with_no_part_apart_keeps_its_headline():
    d = losslens.diagnose(str(HEADS / "w001.csv"))  # (the total itself overfits: no descending verdict to qualify)
    assert d.verdict == "overfitting" and ", but " not in d.summary(), d.summary()
