"""What a user reads says what the run holds (session 48's review, three cases on committed real artefacts).

1. A file of nothing but results a make.py printed after training is refused as such in every form: read on as a
   table, one line was "no data rows (header only: ...)", lines of one shape "no loss or accuracy column (found:
   0.0945, 0.0508, 0.0217, 18)", as if the file were a table whose columns are named by its values.
2. still_improving listed behind underfitting (lightning_adamw_settings/wd1) said "see the forecast for how many more
   epochs pay" where no forecast was quoted anywhere (text, JSON, HTML): the forecast is quoted under it now. Fitted
   on to 80 epochs (listed_behind_lead/wd1_e80) val_loss went 0.4941 -> 0.4799 at epoch 79, inside its interval.
3. torch_dict_20k (20,000 logged epochs, read on 2,000 bins) ended its facts at epoch 19994, the last bin's mean, and
   doubled that into a forecast horizon of 39988 beside "19994 more epochs": the run ends at 19999, twice the logged
   length is 39998.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.exceptions import UnknownFormatError
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
WD1 = ECO / "lightning_adamw_settings" / "lightning_logs" / "wd1" / "metrics.csv"


def _refusal(path: Path, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, ["diagnose", "-" if stdin is not None else str(path)], input=stdin)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


# Each was refused by another message before: (file, the old one's words).
SUMMARIES = [("lightning_trainnoise/make.out", "no numeric columns"),
             ("torch_reg_floor/make.out", "no loss or accuracy column (found: 0.0945"),
             ("keras_earlystop_short/make.out", "no loss or accuracy column (found: 0.0571"),
             ("torch_monitor_steplr/make.out", "no loss or accuracy column (found: 0.7405"),
             ("fresh_kinds/make.out", "no loss or accuracy column (found: 2.3058")]


@pytest.mark.parametrize("name, old", SUMMARIES)
def test_a_file_of_printed_results_is_said_to_be_one(name, old):
    path = ECO / name
    said = _refusal(path)
    assert "printed results, not a training log" in said and old not in said
    first = next(ln for ln in path.read_text().splitlines() if ln.strip())
    assert repr(first[:40])[:-1] in said  # the first such line, quoted
    n = sum(1 for ln in path.read_text().splitlines() if ln.strip())
    assert f"({n} lines like " in said


def test_one_printed_result_and_the_same_lines_piped_are_said_alike(tmp_path):
    # One line was read as a table's header: "no data rows (header only: noise30: 60 epochs, best val_loss ...)".
    text = (ECO / "lightning_trainnoise" / "make.out").read_text()
    one = tmp_path / "result.out"
    one.write_text(text.splitlines()[0] + "\n")
    said = _refusal(one)
    assert "printed results, not a training log (1 line: 'noise30: 60 epochs, best val_loss 0.7669" in said
    assert "header only" not in said
    piped = _refusal(Path("-"), stdin=text)
    assert "<stdin>" in piped and "printed results, not a training log (4 lines like" in piped
    with pytest.raises(UnknownFormatError, match="printed results, not a training log"):
        read(ECO / "keras_trainnoise" / "make.out")


# Neither results by the summary words nor a table: a first line of words and values was read as a header.
PROSE = [("torch_stuck_high_lr/make.out", "no loss or accuracy column (found: 2.3579"),
         ("torch_sgd_noise_floor/make.out", "no loss or accuracy column (found: 10, 0.0920"),
         ("hf_grads_blown/make.out", "no loss or accuracy column (found: 4.707e+11")]


@pytest.mark.parametrize("name, old", PROSE)
def test_printed_lines_of_values_are_not_read_as_a_header(name, old):
    said = _refusal(ECO / name)
    assert old not in said and "printed results, not a training log" in said


def test_a_table_whose_header_names_no_loss_still_says_so(tmp_path):
    # A header of names (no value among them) is a header: its columns are listed as before.
    path = tmp_path / "acc.txt"
    path.write_text("step  widgets gizmos sprockets\n" + "".join(f"{i} {0.5 + i / 100} 0.6 {i}\n" for i in range(6)))
    said = _refusal(path)
    assert "no loss or accuracy column (found: " in said and "widgets" in said


def _still_improving(d):
    return next(c for c in d.causes if c.id == "still_improving")


def test_a_listed_still_improving_quotes_the_forecast_it_sends_the_reader_to():
    d = losslens.diagnose(WD1)
    assert d.verdict == "underfitting"
    listed = _still_improving(d)
    assert any("see the forecast" in a for a in listed.actions)
    quote = [e for e in listed.evidence if e.startswith("forecast at epoch ")]
    assert len(quote) == 1
    lo, hi = (float(v) for v in re.search(r"90% interval \[([\d.]+), ([\d.]+)\]", quote[0]).groups())
    # The truth: the same run fitted on to 80 epochs (listed_behind_lead/wd1_e80/make.out's figure).
    val = {int(r["epoch"]): float(r["val_loss"]) for r in csv.DictReader(open(ECO / "listed_behind_lead" / "wd1_e80"
                                                                              / "metrics.csv")) if r["val_loss"]}
    assert lo <= val[79] <= hi
    assert any(e.startswith("probability that training on to 78 ") for e in listed.evidence)
    # ... in every output: the text, the JSON and the HTML report
    text = str(d)
    block = text[text.index("still_improving"):]
    assert block.index("forecast at epoch 78") < block.index("see the forecast")
    out = json.loads(d.to_json())
    assert any(e.startswith("forecast at epoch 78") for c in out["causes"] if c["id"] == "still_improving"
               for e in c["evidence"])
    from losslens.report.html import report_html

    assert "forecast at epoch 78" in report_html([d])


def test_a_forecast_quoted_under_the_verdict_is_not_quoted_again_below():
    # Asked for a horizon, the verdict quotes the forecast whatever it is: the listed cause's reference is to that.
    d = losslens.diagnose(WD1, horizon=80)
    assert any(e.startswith("forecast at epoch 80:") for e in d.causes[0].evidence)
    assert not any(e.startswith("forecast at ") for e in _still_improving(d).evidence)


def test_a_long_log_ends_at_its_last_logged_epoch():
    with gzip.open(ECO / "torch_dict_20k" / "history.json.gz", "rt") as fh:
        history = json.load(fh)
    last = len(history["val_loss"]) - 1
    assert last == 19999
    d = losslens.diagnose(history)
    assert d.facts.x[-1] == last
    assert d.forecast["horizon"] == 2 * last  # twice the logged length (forecasting.default_horizon)
    text = str(d)
    assert f"forecast at epoch {2 * last}:" in text and f"{last} more epochs" in text
    assert "19994" not in text and "39988" not in text
    fc = losslens.forecast(history)
    assert fc.horizon == 2 * last


def test_two_listed_causes_that_refer_to_the_forecast_quote_it_once():
    # A score read no_signal, still_improving and lr_too_low listed: the forecast (uncertain) under the first only,
    # and neither sends the reader to a figure it cannot give.
    d = losslens.diagnose(ECO / "sklearn_mlp_at_chance" / "six_units.csv")
    assert [c.id for c in d.causes][:3] == ["no_signal", "still_improving", "lr_too_low"]
    quotes = [(c.id, e) for c in d.causes for e in c.evidence if e.startswith("the forecast is uncertain")]
    assert [q[0] for q in quotes] == ["still_improving"]
    assert not any("see the forecast" in a or "the forecast says how far" in a for c in d.causes for a in c.actions)


def test_an_mlflow_metric_file_is_not_read_as_printed_values():
    # Its rows open with a timestamp ("1796471486068 2.0957 0 train 8e2e8d06"): a row, not a line of printed results.
    path = next((ECO / "mlflow3_datasets" / "mlruns").glob("*/*/metrics/loss"))
    assert "no training log in this text" not in _refusal(path)
