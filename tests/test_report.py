"""The HTML report, the plots and the ``report`` / ``plot`` commands, on real Keras logs.

The browser checks (a real Chromium opening the report) are in test_report_browser.py.
"""

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.report import html as report_html
from losslens.report.plot import chart_data, plot_diagnosis, save_plot
from losslens.report.text import verdict_words
from conftest import runs_by_name
from torch_loops import linear_regression_run

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv"  # keras.callbacks.CSVLogger, 80 epochs
LOGS = REPO / "tests" / "fixtures" / "logs"
ECO = REPO / "tests" / "fixtures" / "ecosystem"
EVIL = "<script>alert(1)</script>"
EVIL_COLUMN = "val_<img src=x onerror=alert(2)>_loss"


def evil_long_csv(tmp_path: Path) -> Path:
    """The real Keras CSVLogger rows twice, as a long-format file whose run ids and one column
    name are HTML: what a hostile or careless log could hold."""
    with EXAMPLE.open() as fh:
        rows = list(csv.DictReader(fh))
    out = tmp_path / "runs.csv"
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["run_id", *rows[0].keys(), EVIL_COLUMN])
        for name, scale in ((EVIL, 1.0), ('a"b&c</script><!--', 1.1)):
            for r in rows:
                vals = [r[k] for k in rows[0]]
                val = float(r["val_loss"]) * scale if r["val_loss"] not in ("", "NA") else ""
                w.writerow([name, *vals, val])
    return out


class _Text(HTMLParser):
    """Collects the text of elements and the scripts of a page, the way a browser parses it."""

    def __init__(self):
        super().__init__()
        self.stack, self.scripts, self.text, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "script":
            self.scripts.append((self.stack[-1][1], data))
        else:
            self.text.append(data)


def test_report_escapes_names_columns_and_evidence(tmp_path):
    path = evil_long_csv(tmp_path)
    # The reader may tidy the column name (spaces); diagnose the column under the name it got.
    metric = next(k for k in losslens.read(path)[0].series if "<img" in k)
    ds = losslens.diagnose_all(path, metric=metric)
    assert [d.run_name for d in ds] == [EVIL, 'a"b&c</script><!--']
    page = report_html.report_html(ds, title="<b>t</b>", notes=[f"note {EVIL}"], notes_title="<i>n</i>")
    # Nothing from the file (or a note: the lab's lines quote run names) reaches the page as markup.
    assert EVIL not in page and "<img" not in page and "<b>t</b>" not in page and "<i>n</i>" not in page
    parsed = _Text()
    parsed.feed(page)
    # Only our own scripts: uPlot, the report script and one JSON block per run.
    kinds = [a.get("type", "js") for a, _ in parsed.scripts]
    assert kinds.count("application/json") == 2 and kinds.count("js") == 2
    assert not any(t == "img" for t, _ in parsed.tags)
    text = "".join(parsed.text)
    assert EVIL in text and 'a"b&c</script><!--' in text  # shown as text: overview, heading
    assert "<b>t</b>" in text and f"note {EVIL}" in text and "<i>n</i>" in text
    # The JSON blocks parse back to the same strings (labels of the extra series).
    blocks = [json.loads(data) for a, data in parsed.scripts if a.get("type") == "application/json"]
    labels = {c["label"] for b in blocks for c in b["cols"]}
    # The legend spells the column as the file did (markup and all: it is data in a JSON string, drawn as text).
    logged = losslens.read(path)[0].label(metric)
    assert "<img" in logged and any(logged in lab for lab in labels)
    for _, data in parsed.scripts:
        assert "</script" not in data.lower() and "<!--" not in data


def test_json_for_script_round_trips():
    obj = {"a": "</script><script>alert(1)</script>", "b": "\u2028&<>", "n": [1, None, 2.5]}
    text = report_html.json_for_script(obj)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == obj


def test_chart_data_carries_every_annotation():
    d = losslens.diagnose(EXAMPLE, horizon=120)
    data = chart_data(d)
    run = d.run
    # X and its interval are the diagnosis's.
    assert data["plateau"]["x"] == pytest.approx(d.plateau.epoch)
    assert [data["plateau"]["lo"], data["plateau"]["hi"]] == pytest.approx(list(d.plateau.interval))
    # Phases as diagnosed, in order, with a colour and a label.
    assert [p["name"] for p in data["phases"]] == [p["name"] for p in d.phases]
    assert all(p["start"] <= p["end"] for p in data["phases"])
    # The validation minimum is the minimum of the logged validation loss.
    x, y = run.finite("val_loss")
    assert data["valmin"]["y"] == pytest.approx(y.min(), rel=1e-4)
    assert data["valmin"]["x"] == x[np.argmin(y)]
    # Raw series are the log's values; smoothed ones are smoother (less roughness: second differences).
    tr = [s for s in data["loss"] if s["key"] == "train_loss"][0]
    raw = np.array(tr["raw"], dtype=float)
    assert raw == pytest.approx(run.get("train_loss"), rel=1e-4)
    sm = np.array(tr["smooth"], dtype=float)
    assert np.abs(np.diff(sm, 2)).sum() < np.abs(np.diff(raw, 2)).sum()
    # The gap is smoothed val minus smoothed train at the end, and positive for this overfit run.
    assert data["gap"]["value"] == pytest.approx(data["gap"]["val"] - data["gap"]["train"], rel=1e-3)
    assert data["gap"]["value"] > 0
    # The forecast band starts where the log ends and reaches the horizon, lo <= mid <= hi.
    f = data["forecast"]
    assert f["x"][0] <= run.axis[-1] < f["x"][1] and f["x"][-1] == pytest.approx(120)
    assert all(lo <= mid <= hi for lo, mid, hi in zip(f["lo"], f["mid"], f["hi"]))
    # Accuracy panel, as logged; no lr / grad-norm panel because none was logged.
    assert [p["title"] for p in data["panels"]] == ["accuracy"]


def test_an_accuracy_curve_is_drawn_as_one(tmp_path):
    """A log of accuracies only (the real CSVLogger run's own columns): the best point is the
    maximum, the phases rise and climb, the axis is named after the metric."""
    with EXAMPLE.open() as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "acc.csv"
    path.write_text("epoch,accuracy,val_accuracy\n" + "".join(
        f"{r['epoch']},{r['accuracy']},{r['val_accuracy']}\n" for r in rows))
    d = losslens.diagnose(path)
    data = chart_data(d)
    x, y = d.run.finite("val_acc")
    assert d.metric == "val_acc" and data["valmin"]["label"] == "val max"
    assert data["valmin"]["y"] == pytest.approx(y.max(), rel=1e-4) and data["valmin"]["x"] == x[np.argmax(y)]
    labels = {p["name"]: p["label"] for p in data["phases"]}
    assert labels.get("steep_drop", "steep rise") == "steep rise" and "descent" not in " ".join(labels.values())
    page = report_html.report_html([d])
    assert "val maximum" in page and "val_acc" in page
    # the smoothed best is the smoothed curve's maximum, as an accuracy (it read "smoothed min -0.9028")
    card = report_html.card_html(d, data)
    [best] = re.findall(r"<dt>smoothed max</dt><dd>([-0-9.]+) at ([0-9]+)</dd>", card)
    s = d.facts.smoothed
    assert "smoothed min" not in card and float(best[0]) == pytest.approx(s.max(), rel=1e-3)
    assert float(best[1]) == d.facts.x[np.argmax(s)]


def test_a_score_diagnosed_next_to_losses_gets_the_main_panel_and_the_losses_a_panel_below(tmp_path):
    """The real CSVLogger run, read on val_acc while its losses are logged too: an accuracy and a
    loss drawn on one (log) axis labelled val_acc read as nonsense. The accuracies take the main
    panel on a linear axis; the losses move to a panel of their own."""
    d = losslens.diagnose(EXAMPLE, metric="val_acc")
    data = chart_data(d)
    assert [s["key"] for s in data["loss"]] == ["train_acc", "val_acc"] and data["logy"] is False
    panels = {p["title"]: [s["key"] for s in p["series"]] for p in data["panels"]}
    assert panels["loss"] == ["train_loss", "val_loss"] and "accuracy" not in panels
    assert d.save_plot(tmp_path / "acc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plain = chart_data(losslens.diagnose(EXAMPLE))   # the loss diagnosed: as before
    assert [s["key"] for s in plain["loss"]] == ["train_loss", "val_loss"]
    assert "loss" not in {p["title"] for p in plain["panels"]} and "accuracy" in {p["title"] for p in plain["panels"]}


def test_lr_and_grad_norm_panels_from_a_real_trainer_state():
    # transformers.Trainer's trainer_state.json logs learning_rate and grad_norm.
    path = next((LOGS / "hf_output").glob("trainer_state.json"), None)
    if path is None:
        pytest.skip("no trainer_state.json fixture")
    d = losslens.diagnose(path)
    titles = [p["title"] for p in chart_data(d)["panels"]]
    assert "learning rate" in titles and "grad norm" in titles
    payload = report_html.chart_payload(d)
    assert len(payload["x"]) == len(payload["cols"][0]["values"])
    assert all(len(s["values"]) == len(payload["x"]) for p in payload["panels"] for s in p["series"])


def test_plot_png_and_svg(tmp_path):
    d = losslens.diagnose(EXAMPLE, horizon=120)
    png = save_plot(d, tmp_path / "fig.png", dpi=60)
    import matplotlib.image as mpimg
    img = mpimg.imread(png)[..., :3]
    # The train and validation colours are drawn (the smoothed curves), the X line too.
    for hexcol in ("#1f77b4", "#e8710a", "#c0392b"):
        rgb = np.array([int(hexcol[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        assert (np.abs(img - rgb).max(axis=-1) < 0.06).sum() > 30, hexcol
    svg = save_plot(d, tmp_path / "fig.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    with pytest.raises(ValueError, match="unknown figure format"):
        save_plot(d, tmp_path / "fig.gif")


def test_plot_on_given_axes_draws_only_the_loss_panel():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = losslens.diagnose(EXAMPLE)
    fig, (a, b) = plt.subplots(1, 2)
    ax = plot_diagnosis(d, ax=b)
    assert ax is b and len(fig.axes) == 2 and not a.lines
    assert "overfitting" in b.get_title(loc="left") or d.verdict.replace("_", " ") in b.get_title(loc="left")
    xs = [ln.get_xdata() for ln in b.lines if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]]
    assert any(x[0] == d.plateau.epoch for x in xs)  # the X line
    plt.close(fig)


def test_notebook_card_shows_chart_and_verdict(tmp_path):
    ds = losslens.diagnose_all(evil_long_csv(tmp_path))
    card = ds[0]._repr_html_()
    assert "<svg" in card and ds[0].verdict.replace("_", " ") in card
    assert EVIL not in card and "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    for e in ds[0].causes[0].evidence:
        assert report_html.esc(e) in card


def test_cli_report_and_plot(tmp_path):
    runner = CliRunner()
    files = [str(EXAMPLE), str(LOGS / "keras_csvlogger.csv"), str(LOGS / "keras_history.json")]
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", *files, "-o", str(out), "--horizon", "100"])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert len(re.findall(r'<section class="ll-run', page)) == 3
    assert len(re.findall(r'<tr data-i=', page)) == 3  # the overview lists every run
    assert "https://" not in page.replace("https://github.com/leeoniya/uPlot", "")  # no CDN
    res = runner.invoke(app, ["plot", str(EXAMPLE), "-o", str(tmp_path / "f.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["keras_csvlogger.csv", "trainer_state.json"])
def test_an_output_that_names_a_log_inside_a_folder_read_is_refused(tmp_path, name):
    """`losslens report runs/ -o runs/a.csv` wrote the HTML over the log a.csv: only the paths given were
    compared with the output, not the logs found in a folder. (`plot` writes .png/.svg/.pdf only.)"""
    import shutil

    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copy(LOGS / "keras_csvlogger.csv", folder)  # a real Keras CSVLogger log
    if name == "trainer_state.json":  # a real Trainer's output folder
        shutil.copy(LOGS / "hf_output" / "trainer_state.json", folder)
        folder = tmp_path
    target = next(tmp_path.rglob(name))
    before = target.read_bytes()
    res = CliRunner().invoke(app, ["report", str(folder), "-o", str(target)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines[-1] == f"losslens: {target}: --output names an input log; it would be overwritten: write to another file"
    assert target.read_bytes() == before
    ok = CliRunner().invoke(app, ["report", str(folder), "-o", str(tmp_path / "r.html")])
    assert ok.exit_code == 0, ok.output
    assert ("(2 runs)" if name == "trainer_state.json" else "(1 run)") in ok.output


@pytest.mark.parametrize("command", ["report", "plot"])
def test_an_output_folder_that_does_not_exist_is_refused_before_any_run_is_read(tmp_path, monkeypatch, command):
    """`report runs/ -o missing/r.html` read and diagnosed every run, then failed on the write ("no such file or
    directory"); the folder is checked first, one line, exit 2, nothing read."""
    from losslens.commands import report as report_command

    read = []
    monkeypatch.setattr(report_command, "read_paths", lambda *a, **k: read.append(a) or [])
    monkeypatch.setattr(report_command, "diagnose_paths", lambda *a, **k: read.append(a) or [])
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for folder, problem in ((tmp_path / "missing", "does not exist"), (a_file, "is not a folder")):
        out = folder / ("r.html" if command == "report" else "f.png")
        res = CliRunner().invoke(app, [command, str(EXAMPLE), "-o", str(out)])
        assert res.exit_code == 2 and not read, res.output
        assert res.output == f"losslens: {out}: --output's folder {folder} {problem}; create it or write elsewhere\n"
    if command == "report":  # (plot asks for a .png/.svg/.pdf name first)
        res = CliRunner().invoke(app, [command, str(EXAMPLE), "-o", str(tmp_path)])
        assert res.exit_code == 2 and not read and res.output == f"losslens: {tmp_path}: is a directory\n"
    assert EXAMPLE.is_file() and not (tmp_path / "missing").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_report_that_cannot_be_written_names_its_file():
    """A full disk (Linux's /dev/full): the line said "[Errno 28] No space left on device", naming no file."""
    res = CliRunner().invoke(app, ["report", str(EXAMPLE), "-o", "/dev/full"])
    assert res.exit_code == 2 and res.output == "losslens: /dev/full: no space left on device\n", res.output


@pytest.mark.parametrize("args, message", [
    (["report", "{missing}", "-o", "{tmp}/r.html"], "missing.csv"),
    (["plot", "{example}", "-o", "{tmp}/f.gif"], "unknown figure format"),
    (["plot", "{long}", "-o", "{tmp}/f.png"], "holds 2 runs; pick one with --run"),
])
def test_cli_errors_are_one_line(tmp_path, args, message):
    subs = {"missing": str(tmp_path / "missing.csv"), "tmp": str(tmp_path), "example": str(EXAMPLE),
            "long": str(evil_long_csv(tmp_path))}
    res = CliRunner().invoke(app, [a.format(**subs) for a in args])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in res.output


def test_report_of_many_real_runs_lists_each_once(shared_curves):
    runs = losslens.read(shared_curves / "keras_notebook_curves.csv")
    ds = [losslens.diagnose(r) for r in runs]
    page = report_html.report_html(ds)
    parsed = _Text()
    parsed.feed(page)
    names = re.findall(r'<tr data-i="\d+" data-name="([^"]*)"', page)
    import html
    assert sorted(html.unescape(n) for n in names) == sorted(r.name for r in runs)
    verdicts = {d.verdict for d in ds}
    # Every verdict present gets a chip and a filter option.
    for v in verdicts:
        assert f'<option value="{v}">' in page


_DANGEROUS = st.sampled_from(["<script>alert(1)</script>", "</script>", "<!--", "-->", "<![CDATA[", "\"'><svg onload=alert(1)>",
                              "&amp;", "&lt;", "\u2028", "javascript:alert(1)", "</style>", "${x}", "{{x}}"])
_NAMES = st.lists(st.one_of(_DANGEROUS, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)),
                  min_size=1, max_size=4).map("".join)


@pytest.fixture(scope="module")
def example_diagnosis():
    return losslens.diagnose(EXAMPLE, horizon=100)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAMES, source=_NAMES)
def test_any_name_shows_as_text(example_diagnosis, name, source):
    import copy
    d = copy.copy(example_diagnosis)
    d.run_name, d.source = name, source
    page = report_html.report_html([d, example_diagnosis])
    parsed = _Text()
    parsed.feed(page)
    assert [t for t, _ in parsed.tags if t in ("img", "svg", "iframe", "object")] == []
    assert sum(1 for a, _ in parsed.scripts if "type" not in a) == 2
    title, link = re.search(r'<td class="ll-name" title="(.*?)"><a href="#run-1">(.*?)</a>', page, re.S).groups()
    import html
    # the name in full as the row's tooltip; shown as the overview cuts a long one
    assert html.unescape(title) == name
    assert html.unescape(link) == report_html.overview_labels([name, example_diagnosis.run_name])[0]
    for a, data in parsed.scripts:
        if a.get("type") == "application/json":
            json.loads(data)


def test_the_summary_tables_say_where_each_run_ends_on_its_own_axis():
    """A Lightning CSVLogger run read on the step axis (fixture lightning_val_interval: 10 epochs of 25 steps,
    validation 4 times an epoch) has 90 rows; the summary table's "length" column printed 90 for it, 360 for the
    40-epoch one, and the HTML report "90 steps". The column is "logged to": the last axis value, with the
    epoch beside a step, in the numbering the X column uses: the epochs done there, as a Trainer counts them (10 epochs
    end at step 249, "epoch 10"; the metrics.csv's epoch column holds 9 there, the index of the tenth)."""
    import io

    from losslens.report.text import print_diagnoses

    folder = REPO / "tests" / "fixtures" / "ecosystem" / "lightning_val_interval"
    ds = losslens.diagnose_all(folder)
    by = {d.run_name: d for d in ds}
    assert by["sgd0.01"].length == 90  # rows: what the old column showed
    assert by["sgd0.01"].logged_to() == "step 249 (epoch 10)"
    assert by["cf_sgd0.01_ep40"].logged_to() == "step 999 (epoch 40)"
    buf = io.StringIO()
    print_diagnoses(ds, file=buf)
    table = buf.getvalue().split("\n\n")[0]
    assert "logged to" in table and "length" not in table
    assert "step 249 (epoch 10)" in table and "step 999 (epoch 40)" in table and " 90 " not in table
    page = report_html.report_html(ds)
    assert 'data-type="num">logged to</th>' in page and 'data-len="249.0"' in page
    assert "step 249 (epoch 10)" in page and "90 steps" not in page
    # An epoch-axis log says its last epoch (Keras counts from 0: 80 epochs end at epoch 79).
    [d] = losslens.diagnose_all(EXAMPLE)
    assert d.logged_to() == "epoch 79"


def _lr_range_run(epochs=30):
    """A real PyTorch run whose learning rate grows 60% an epoch (an lr range test left running):
    the loss falls, then the steps overshoot and it overflows to inf, then NaN."""
    pytest.importorskip("torch")

    def lr_range(epoch, x, opt):
        for group in opt.param_groups:
            group["lr"] = 0.01 * 1.6 ** epoch
    return linear_regression_run(lr=0.01, epochs=epochs, weights=(1.0, -2.0, 0.5, 3.0), n=256, n_train=192,
                                 inputs="randn", before_epoch=lr_range)


def test_a_diverged_run_s_chart_marks_where_the_loss_turned_nan(tmp_path):
    """The curve stops at the last finite point; without a mark, a diverged run's chart showed a clean
    descent and nothing of why the verdict is `diverged`."""
    pytest.importorskip("matplotlib")
    h = _lr_range_run()
    first = {k: next(i for i, v in enumerate(h[k]) if not np.isfinite(v)) for k in h}
    # falls first (measured: to 0.01), breaks down before the end: validation at 22, training at 23
    assert 5 < min(first.values()) < 29 and not np.isfinite(h["loss"][-1])
    d = losslens.diagnose(h)
    assert d.verdict == "diverged"
    marks = chart_data(d)["nonfinite"]
    assert {(m["x"], m["label"].split(" loss")[0]) for m in marks} == {(first["loss"], "train"), (first["val_loss"], "val")}
    assert all(m["label"].endswith(f"from epoch {m['x']}") for m in marks)
    svg = save_plot(d, tmp_path / "diverged.svg").read_text()
    assert f"from epoch {first['loss']}" in svg  # in the legend
    page = report_html.report_html([d])
    assert '"nonfinite":[{"x":%d' % min(first.values()) in page  # the HTML chart draws it too


def _tensorboard_steps_run(logdir, steps=5000, every=100):
    """A real PyTorch loop logged with torch's SummaryWriter: minibatch SGD on scikit-learn's diabetes, the
    batch loss every step and the validation loss every ``every`` steps (as users log a long run)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from sklearn.datasets import load_diabetes
    from torch.utils.tensorboard import SummaryWriter

    x, y = load_diabetes(return_X_y=True)
    x, y = (x - x.mean(0)) / x.std(0), (y - y.mean()) / y.std()
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    with SummaryWriter(str(logdir)) as writer:
        for step in range(steps):
            i = torch.randint(0, 350, (16,))
            loss = ((net(x[i]) - y[i]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            writer.add_scalar("train/loss", loss.item(), step)
            if step % every == every - 1:
                with torch.no_grad():
                    writer.add_scalar("val/loss", ((net(x[350:]) - y[350:]) ** 2).mean().item(), step)
    return logdir


@pytest.mark.usefixtures("one_torch_thread")
def test_a_long_run_s_chart_keeps_every_point_of_a_sparsely_logged_validation_loss(tmp_path):
    """5,000 steps thinned evenly to 2,000 points kept 3 of the validation loss's 50 points (logged every
    100 steps): its line was drawn from step 3,400 on only, and its minimum sat off it."""
    pytest.importorskip("matplotlib")
    d = losslens.diagnose(_tensorboard_steps_run(tmp_path / "tb"))
    assert d.axis == "step" and len(d.run) == 5000 and d.metric == "val_loss"
    x, y = d.run.finite("val_loss")
    data = chart_data(d)
    assert len(data["x"]) < 2100  # still thinned
    [val] = [s for s in data["loss"] if s["key"] == "val_loss"]
    drawn = [(xv, v) for xv, v in zip(data["x"], val["raw"]) if v is not None]
    assert [xv for xv, _ in drawn] == list(x) and len(drawn) == 50
    assert (data["valmin"]["x"], data["valmin"]["y"]) in [(xv, pytest.approx(v, rel=1e-4)) for xv, v in drawn]
    # the figure's smoothed validation line has them all, and the gap between the curves is filled
    from matplotlib.figure import Figure

    from losslens.report.plot import draw_loss
    ax = Figure().subplots()
    draw_loss(ax, data)
    [line] = [ln for ln in ax.get_lines() if ln.get_label() == "val loss (smoothed)"]
    assert len(line.get_xdata()) == 50
    [gap] = [c for c in ax.collections if c.get_label() == "generalization gap"]
    assert len(gap.get_paths()) >= 1 and gap.get_paths()[0].vertices.shape[0] > 100
    payload = report_html.chart_payload(d)
    [col] = [c for c in payload["cols"] if c["label"] == "val loss"]
    assert sum(v is not None for v in col["values"]) == 50


def test_the_card_says_a_forecast_is_uncertain_where_diagnose_does():
    """A real Trainer's run (fixture hf_output, 75 steps): diagnose says "the forecast is uncertain: its 90%
    interval is wider than the level now"; the card quoted the same value and interval as a plain forecast."""
    d = losslens.diagnose(LOGS / "hf_output")
    assert d.forecast["uncertain"] == "its 90% interval is wider than the level now"
    assert any(e.startswith("the forecast is uncertain") for e in d.causes[0].evidence)
    card = report_html.card_html(d, chart_data(d))
    [fc] = re.findall(r"<dt>forecast at 145</dt><dd>(.*?)</dd>", card)
    assert "uncertain: its 90% interval is wider than the level now" in fc
    plain = losslens.diagnose(LOGS / "keras_csvlogger.csv")
    assert plain.forecast["value"] is not None and not plain.forecast["uncertain"]
    assert "uncertain" not in report_html.card_html(plain, chart_data(plain))


def test_the_page_without_javascript_and_the_overview_of_a_loss_and_an_accuracy_run(tmp_path):
    """Two real Keras CSVLogger runs, one read on its loss, one on its accuracy only: the overview's column
    of best validation values holds a minimum and a maximum, so it is not headed "val min"; and with
    JavaScript off the empty chart boxes say why, pointing to the card."""
    with EXAMPLE.open() as fh:
        rows = list(csv.DictReader(fh))
    acc = tmp_path / "acc.csv"
    acc.write_text("epoch,accuracy,val_accuracy\n" + "".join(
        f"{r['epoch']},{r['accuracy']},{r['val_accuracy']}\n" for r in rows))
    page = report_html.report_html([losslens.diagnose(EXAMPLE), losslens.diagnose(acc)])
    head = re.search(r"<thead>(.*?)</thead>", page).group(1)
    assert ">val best</th>" in head and ">val min</th>" not in head
    # (the column holds each run's smoothed best, what the best mark ranks: an accuracy's maximum, not its minimum)
    best = [float(v) for v in re.findall(r'data-valmin="([^"]+)"', page)]
    assert best[0] == pytest.approx(losslens.diagnose(EXAMPLE).best[1])
    assert best[1] == pytest.approx(losslens.diagnose(acc).best[1])
    assert best[1] == pytest.approx(max(float(r["val_accuracy"]) for r in rows), rel=1e-4)
    [noscript] = re.findall(r"<noscript>(.*?)</noscript>", page)[:1]
    assert "JavaScript" in noscript and page.count("<noscript>") == 2


def test_the_legend_leaves_the_phase_names_readable():
    """A real XGBoost evals_result (fixture): loc="best" weighs the curves, not text, and put the legend
    over the "rising validation" phase name."""
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from losslens.report.plot import draw_loss
    d = losslens.diagnose(LOGS / "xgboost_evals_result.json")
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.subplots()
    draw_loss(ax, chart_data(d))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    names = [t for t in ax.texts if t.get_text()]
    assert "rising validation" in [t.get_text() for t in names]
    box = ax.get_legend().get_window_extent(renderer)
    assert not [t.get_text() for t in names if t.get_window_extent(renderer).overlaps(box)]


def test_the_phase_bands_have_a_key_in_the_page_and_the_png(tmp_path):
    """The bands' colours had no key: a slow descent over epochs 1-3 (70 px, too narrow for its name) and a steep
    drop were colours nobody named. The HTML chart has a key under it and the PNG's legend an entry per phase, by
    the names the bands carry. A real Keras CSVLogger run: steep drop (to 70% of the improvement), slow descent (to X),
    plateau, rising validation."""
    pytest.importorskip("matplotlib")
    d = losslens.diagnose(EXAMPLE)
    names = [p["label"] for p in chart_data(d)["phases"]]
    assert names == ["steep drop", "slow descent", "plateau", "rising validation"]
    page = report_html.report_html([d])
    [key] = re.findall(r'<div class="ll-key">(.*?)</div>', page)
    assert re.findall(r"</span>([^<]+)</span>", key) == names
    from losslens.report.plot import drawn_figure
    fig = drawn_figure(d, chart_data(d), True)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()][-len(names):] == [f"phase: {n}" for n in names]


def _lr_sweep(folder, lrs=(0.01, 0.1, 0.5, 1.0), epochs=40):
    """A real learning-rate sweep, one CSV per lr in its own folder (the layout a user's loop writes): full-batch
    SGD on y = 2 x1 + 3 x2 + noise; 0.01 and 0.1 still fall at epoch 40, 1.0 overshoots (the largest
    stable step is ~0.6)."""
    ends = {}
    for lr in lrs:
        h = linear_regression_run(lr=lr, epochs=epochs)
        (folder / f"lr_{lr:g}").mkdir(parents=True)
        with (folder / f"lr_{lr:g}" / "log.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["epoch", "loss", "val_loss"])
            w.writerows([e, a, b] for e, (a, b) in enumerate(zip(h["loss"], h["val_loss"])))
        ends[f"lr_{lr:g}"] = h["val_loss"]
    return ends


def test_a_sweep_names_its_best_run_in_the_table_json_and_report(tmp_path):
    """"Which lr should I pick?": the summary table listed each run's verdict and X, the report's overview a
    sortable raw best, and nothing named the run that did best. Now one line under the table, the JSON's
    ``best`` and a badge in the overview name the run whose smoothed validation loss got lowest."""
    ends = _lr_sweep(tmp_path / "sweep")
    assert min(ends["lr_0.5"]) < 0.5 * min(min(ends[k]) for k in ("lr_0.01", "lr_0.1"))  # the sweep's pick
    assert not np.isfinite(ends["lr_1"][-1]) or ends["lr_1"][-1] > 10 * ends["lr_1"][0]  # overshoots
    res = CliRunner().invoke(app, ["diagnose", str(tmp_path / "sweep")])
    assert res.exit_code == 0, res.output
    table = res.output.split("\n\n")[0]
    assert [ln.split()[1] for ln in table.splitlines() if ln.startswith("│")] == ["lr_0.01", "lr_0.1", "lr_0.5", "lr_1"]
    [best] = [ln for ln in res.output.splitlines() if ln.startswith("best ")]
    ds = losslens.diagnose_all(tmp_path / "sweep")
    by = {d.run_name: d for d in ds}
    epoch, value = by["lr_0.5"].best
    assert best == f"best val_loss: lr_0.5, {value:.4g} at epoch {epoch:g} (smoothed; {verdict_words(by['lr_0.5'].verdict)})"
    assert value == min(d.best[1] for d in ds)
    js = [json.loads(ln) for ln in CliRunner().invoke(app, ["diagnose", str(tmp_path / "sweep"), "--json"]).output.splitlines()]
    assert {j["run"]: j["best"]["value"] for j in js}["lr_0.5"] == pytest.approx(value)
    page = report_html.report_html(ds)
    assert page.count("data-best") == 1 and re.search(r'data-name="lr_0.5"[^>]*data-best', page)
    assert "data-lr" not in page and "│ lr " not in table  # no lr logged or saved: no lr column
    # Runs read on different metrics do not compare: no line, no badge.
    assert losslens.result.best_run([by["lr_0.5"], losslens.diagnose(by["lr_0.1"].run, metric="train_loss")]) is None


def _sweep_data(page: str) -> dict | None:
    """The sweep chart's embedded JSON in a report page, None where there is none."""
    m = re.search(r'<script type="application/json" id="ll-sweep-data">(.*?)</script>', page, re.S)
    return None if m is None else json.loads(m.group(1))


def test_a_sweep_s_validation_curves_share_one_chart(tmp_path):
    """"Which lr?": the report showed a table and one chart per run; the curves a user compares were on separate
    charts. A real SGD sweep (4 lrs, one folder each) gets one chart holding every run's smoothed validation loss,
    the best run (the overview's badge) marked, on a log axis (lr 1 blows up to ~1e20: the axis stops at twice the
    highest start)."""
    _lr_sweep(tmp_path / "sweep")
    ds = losslens.diagnose_all(tmp_path / "sweep")
    page = report_html.report_html(ds)
    sweep = _sweep_data(page)
    assert sweep is not None and 'id="ll-sweep-chart"' in page
    assert [r["name"] for r in sweep["runs"]] == ["lr_0.01", "lr_0.1", "lr_0.5", "lr_1"]
    assert [r["best"] for r in sweep["runs"]] == [False, False, True, False]
    assert sweep["axis"] == "epoch" and sweep["metric"] == "val_loss" and sweep["logy"]
    assert len({r["color"] for r in sweep["runs"]}) == 4
    for r, d in zip(sweep["runs"], ds):
        data = chart_data(d)
        [line] = [s for s in data["loss"] if s["key"] == "val_loss"]
        at = dict(zip(sweep["x"], r["y"]))
        assert len(r["y"]) == len(sweep["x"])
        got = [at[x] for x, v in zip(data["x"], line["smooth"]) if v is not None]
        assert got == pytest.approx([v for v in line["smooth"] if v is not None], rel=1e-3, nan_ok=True)
    assert sweep["ymax"] == pytest.approx(2 * max(r["y"][0] for r in sweep["runs"]), rel=1e-3)
    assert "lr_0.5" in sweep["caption"] and "all 4 runs" in sweep["caption"]


def test_no_sweep_chart_for_one_run_or_runs_that_do_not_compare(tmp_path):
    _lr_sweep(tmp_path / "sweep", lrs=(0.1, 0.5))
    ds = losslens.diagnose_all(tmp_path / "sweep")
    assert _sweep_data(report_html.report_html(ds)) is not None
    assert _sweep_data(report_html.report_html(ds[:1])) is None  # one run
    # training losses (the lowest is the one that fitted best, overfitting included), and a loss beside an accuracy
    assert _sweep_data(report_html.report_html(losslens.diagnose_all(tmp_path / "sweep", metric="train_loss"))) is None
    acc = losslens.diagnose(ECO / "tb_lr_sweep" / "runs" / "lr_0.03", metric="val_acc")
    assert _sweep_data(report_html.report_html([ds[0], acc])) is None
    # two experiments (this sweep's folder and the TensorBoard sweep's): the best line names none, nor does the chart
    tb = losslens.diagnose_all(ECO / "tb_lr_sweep" / "runs")
    assert _sweep_data(report_html.report_html(tb)) is not None
    assert _sweep_data(report_html.report_html(ds + tb)) is None


def test_a_sweep_of_more_than_twenty_runs_draws_the_twenty_best(tmp_path):
    _lr_sweep(tmp_path / "sweep", lrs=tuple(float(v) for v in np.geomspace(0.002, 0.6, 22)), epochs=30)
    ds = losslens.diagnose_all(tmp_path / "sweep")
    sweep = _sweep_data(report_html.report_html(ds))
    assert len(sweep["runs"]) == 20 and "the 20 best of 22 runs by smoothed best" in sweep["caption"]
    worst = sorted(ds, key=lambda d: d.best[1])[20:]
    assert {d.run_name for d in worst}.isdisjoint(r["name"] for r in sweep["runs"])
    assert sum(r["best"] for r in sweep["runs"]) == 1


def test_a_single_run_or_training_losses_name_no_best(tmp_path):
    ends = _lr_sweep(tmp_path / "sweep", lrs=(0.1, 0.5))
    assert ends
    ds = losslens.diagnose_all(tmp_path / "sweep", metric="train_loss")
    assert losslens.result.best_run(ds) is None and losslens.result.best_run(ds[:1]) is None
    res = CliRunner().invoke(app, ["diagnose", str(tmp_path / "sweep"), "--metric", "train_loss"])
    assert res.exit_code == 0 and not [ln for ln in res.output.splitlines() if ln.startswith("best ")]


def test_a_lightning_sweep_of_twelve_versions_reads_in_version_order_with_its_lrs(tmp_path):
    """Lightning's CSVLogger numbers a sweep's runs version_0 ... version_11 in a folder; string order put
    version_10 and version_11 between version_1 and version_2, so the summary's lrs read 1e-3, 2e-3, 0.55, 1,
    3.4e-3 ... Numbers in names now sort as numbers, and each row shows the lr hparams.yaml saved."""
    pytest.importorskip("lightning")
    from lightning.pytorch.loggers import CSVLogger

    lrs = [float(v) for v in np.geomspace(1e-3, 1.0, 12)]
    for lr in lrs:  # a user's own loop logging through Lightning's logger, as LightningModule.log would
        logger = CSVLogger(tmp_path, name="lightning_logs")
        logger.log_hyperparams({"lr": lr})
        h = linear_regression_run(lr=lr, epochs=30)
        for e, (a, b) in enumerate(zip(h["loss"], h["val_loss"])):
            logger.log_metrics({"epoch": e, "train_loss": a, "val_loss": b}, step=e)
        logger.save()
    folder = tmp_path / "lightning_logs"
    assert sorted(p.name for p in folder.iterdir())[:4] == ["version_0", "version_1", "version_10", "version_11"]
    runs = losslens.read(folder)
    assert [r.name for r in runs] == [f"version_{i}" for i in range(12)]
    res = CliRunner().invoke(app, ["diagnose", str(folder)])
    assert res.exit_code == 0, res.output
    rows = [ln.split("│")[1:3] for ln in res.output.split("\n\n")[0].splitlines() if ln.startswith("│")]
    assert [float(lr) for _, lr in rows] == pytest.approx(lrs, rel=1e-4)


def test_a_sweep_shows_the_quantity_its_best_mark_ranks(tmp_path):
    """A real Keras transfer-learning sweep (fixture): the best line named transfer_e60 by its smoothed best,
    0.1696, while the report's "val best" column showed raw minima, transfer_lr1e-4's lucky 0.1478 the lowest:
    the mark sat on a row whose value was not the column's lowest. Now the column (and the terminal table) show
    the smoothed best, the single point beside it, the best line says whose single value is lower, and the JSON's
    ``best`` carries that ``point`` too."""
    folder = ECO / "keras_transfer"
    res = CliRunner().invoke(app, ["diagnose", str(folder)])
    assert res.exit_code == 0, res.output
    ds = losslens.diagnose_all(folder)
    by = {d.run_name: d for d in ds}
    raw = {n: min(float(r["val_loss"]) for r in csv.DictReader((folder / f"{n}.log").open())) for n in by}
    assert min(raw, key=raw.get) == "transfer_lr1e-4" and raw["transfer_lr1e-4"] < by["transfer_e60"].best[1]
    table = res.output.split("\n\n")[0]
    head = next(ln for ln in table.splitlines() if ln.startswith("┃"))
    assert head.split("┃")[-2].strip() == "smoothed best"
    cells = {ln.split("│")[1].strip(): ln.split("│")[-2].strip() for ln in table.splitlines() if ln.startswith("│")}
    assert cells == {n: f"{d.best[1]:.4g}" for n, d in by.items()}
    [best] = [ln for ln in res.output.splitlines() if ln.startswith("best ")]
    lr4 = by["transfer_lr1e-4"]
    assert best == (f"best val_loss: transfer_e60, {by['transfer_e60'].best[1]:.4g} at epoch 99 (smoothed; "
                    f"{verdict_words(by['transfer_e60'].verdict)}); the lowest value logged is transfer_lr1e-4's, "
                    f"{raw['transfer_lr1e-4']:.4g} at epoch {lr4.best_point[0]:g}, a point its smoothed curve does "
                    f"not hold (its best {lr4.best[1]:.4g})")
    js = {j["run"]: j["best"] for j in map(json.loads, CliRunner().invoke(
        app, ["diagnose", str(folder), "--json"]).output.splitlines())}
    for n, b in js.items():
        assert b["value"] == pytest.approx(by[n].best[1]) and b["point"]["value"] == pytest.approx(raw[n], rel=1e-6)
    page = report_html.report_html(ds)
    shown = {m.group(1): float(m.group(2)) for m in re.finditer(r'data-name="([^"]+)"[^>]*data-valmin="([^"]+)"', page)}
    [marked] = re.findall(r'data-name="([^"]+)"[^>]*data-best', page)
    assert marked == "transfer_e60" == min(shown, key=shown.get)
    row = re.search(r'data-name="transfer_lr1e-4".*?</tr>', page).group(0)
    assert f"{lr4.best[1]:.4g}" in row and f"point {raw['transfer_lr1e-4']:.4g}</span>" in row


def test_a_sweep_of_accuracies_names_the_run_with_the_highest(tmp_path):
    """Real scikit-learn MLPs on digits at lr 0.01, 0.1 and 1.0 (fixture), read on their validation accuracy:
    the best line said "best validation_scores: mlp_lr1.0, -0.06667 at epoch 11": the run that learned least,
    its worst point negated (``Diagnosis.best`` took a score's minimum). Now the run with the highest smoothed
    accuracy, in the metric's own units."""
    folder = ECO / "sklearn_mlp_lr1"
    ds = losslens.diagnose_all(folder)
    top = {d.run_name: max(json.loads((folder / f"{d.run_name}.json").read_text())["validation_scores_"])
           for d in ds}
    assert max(top, key=top.get) == "mlp_lr0.01" and top["mlp_lr0.01"] > 0.9 > top["mlp_lr1.0"]
    by = {d.run_name: d for d in ds}
    assert {n: d.best_point[1] for n, d in by.items()} == pytest.approx(top)
    assert all(0 < d.best[1] <= top[n] for n, d in by.items())
    res = CliRunner().invoke(app, ["diagnose", str(folder)])
    [best] = [ln for ln in res.output.splitlines() if ln.startswith("best ")]
    assert best.startswith(f"best validation_scores: mlp_lr0.01, {by['mlp_lr0.01'].best[1]:.4g} at epoch ")


def test_a_trainer_sweeps_lr_column_reads_the_rate_set_not_the_warm_up():
    """Real Trainer runs (fixture, make.py): fine-tunes at lr 3e-3 and 3e-4 with 10% linear warm-up, read from
    their trainer_state.json (which saves no setting). The summary's lr column showed the first lr logged, a
    warm-up step's: 0.0003 and 3e-05, a tenth of what was set; now the schedule's peak, 0.00297 and 0.000297."""
    from losslens.report.text import learning_rates

    ds = losslens.diagnose_all(ECO / "hf_lm_finetune")
    by = dict(zip([d.run_name for d in ds], learning_rates(ds)))
    assert by["ft_e6"] == pytest.approx(3e-3, rel=0.02) and by["ft_e6_lr3e-4"] == pytest.approx(3e-4, rel=0.02)
    assert by["pre_e8"] == pytest.approx(2e-3, rel=0.001)  # cosine from 2e-3: its peak, not where it had decayed
    res = CliRunner().invoke(app, ["diagnose", str(ECO / "hf_lm_finetune")])
    rows = {ln.split("│")[1].strip(): float(ln.split("│")[2]) for ln in res.output.split("\n\n")[0].splitlines()
            if ln.startswith("│")}
    assert rows["ft_e6_lr3e-4"] == pytest.approx(by["ft_e6_lr3e-4"], rel=1e-4)


def test_a_card_read_on_the_training_loss_quotes_that_curves_smoothed_best():
    """A Trainer run evaluated too seldom to read (fixture hf_lm_finetune/pre_e2) is read on its training loss; the
    card's "smoothed min" was validation's (4.095 at step 64, the val minimum's twin) under the verdict's metric.
    Now it is the training curve's, named."""
    d = losslens.diagnose(ECO / "hf_lm_finetune" / "pre_e2")
    assert d.metric == "train_loss" and d.facts.generalization is not None
    card = report_html.card_html(d, chart_data(d))
    [(value, at)] = re.findall(r"<dt>smoothed min \(train_loss\)</dt><dd>([-0-9.]+) at ([0-9]+)</dd>", card)
    assert float(value) == pytest.approx(d.best[1], rel=1e-3) and float(at) == d.best[0]
    assert float(value) != pytest.approx(d.facts.generalization.val_min, rel=1e-3)
    assert "<dt>smoothed min</dt>" not in card


def test_the_overview_s_lr_fits_its_column():
    """Two real Trainer runs (fixtures): a linear decay's largest logged lr, 0.000946667, was printed in full and
    ran into the verdict column beside it; the cell shows 3 digits, the full value its title."""
    ds = [losslens.diagnose(LOGS / "hf_output"), losslens.diagnose(ECO / "hf_best_accuracy" / "trainer_state.json")]
    page = report_html.report_html(ds)
    # (the lr cell follows the name's; their saved num_train_epochs, 3 and 25, has a column after it)
    cells = re.findall(r'<td class="ll-name"[^>]*>.*?</td><td class="ll-num"(?: title="([^"]*)")?>([^<]*)</td>', page)
    assert cells == [("0.000946667", "0.000947"), ("0.000984", "0.000984")]


@pytest.mark.parametrize("log, logy", [("l2_0.01_w512.csv", False), ("l2_1e-05.csv", True)])
def test_one_spike_neither_sets_the_loss_axis_nor_goes_unseen(tmp_path, log, logy):
    # A real CSVLogger log (keras_l2, 40 epochs) with one batch's loss 1e4 injected at epoch 20, in a copy: the
    # spike alone (losses 0.87-2.9 on the linear one) made the axis logarithmic and the curves a line at
    # its foot. Now the scale is the log's own, the axis stops just above the curves and the spike is marked at
    # its top edge, its value beside it.
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(open(REPO / "tests" / "fixtures" / "ecosystem" / "keras_l2" / log)))
    clean = chart_data(losslens.diagnose(REPO / "tests" / "fixtures" / "ecosystem" / "keras_l2" / log))
    assert clean["logy"] is logy and clean["ymax"] is None and clean["spikes"] == []
    rows[20]["loss"] = "10000.0"
    path = tmp_path / log
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    d = losslens.diagnose(path)
    data = chart_data(d)
    assert data["logy"] is logy
    assert data["spikes"] == [{"key": "train_loss", "label": "train loss", "x": 20, "y": 10000}]
    curves = [v for s in data["loss"] for k in ("raw", "smooth") for v in s[k] if v is not None and v < 1e4]
    assert max(curves) < data["ymax"] < 1.5 * max(curves)
    ax = plot_diagnosis(d, panels=False)
    assert ax.get_yscale() == ("log" if logy else "linear") and ax.get_ylim()[1] == pytest.approx(data["ymax"])
    marks = [ln for ln in ax.lines if ln.get_marker() == "^"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [20] and list(marks[0].get_ydata()) == [1.0]
    assert any(t.get_text() == "1e+04" for t in ax.texts)
    plt.close(ax.figure)
    # The page draws it so too: the axis's cut and the point it leaves above go to its chart.
    payload = report_html.chart_payload(d, data)
    assert payload["ymax"] == data["ymax"] and payload["spikes"] == data["spikes"]


def _overview_names(page: str) -> list[tuple[str, str]]:
    """The overview's rows: (the name shown, the title holding the full name)."""
    import html

    cells = re.findall(r'<td class="ll-name" title="([^"]*)"><a href="#run-\d+">([^<]*)</a>', page)
    return [(html.unescape(shown), html.unescape(title)) for title, shown in cells]


def test_long_deepobs_run_ids_show_what_tells_them_apart_in_the_overview(shared_curves):
    # DeepOBS's run ids (150 characters) were shown whole and cut by the browser at the end: every row of an lr
    # sweep read "cifar100_allcnnc/AdamOptimizer/num_epochs__350__batch_size__256__beta1__9.e-01__...".
    runs = runs_by_name(shared_curves / "deepobs_baselines_curves.csv.gz")
    sweep = [r for name, r in runs.items() if name.startswith("cifar100_allcnnc/AdamOptimizer/")
             and "random_seed__42__" in name][:6]
    assert len(sweep) == 6 and all(len(r.name) > 140 for r in sweep)
    rows = _overview_names(report_html.report_html([losslens.diagnose(r) for r in sweep]))
    assert [title for _, title in rows] == [r.name for r in sweep]  # the full name in the tooltip
    for shown, title in rows:
        lr = re.search(r"lr__([^/]+)/", title).group(1)
        assert len(shown) <= report_html.NAME_WIDTH and lr in shown and shown.endswith(title[-11:])  # its time
    assert len({shown for shown, _ in rows}) == 6


def test_long_names_differing_inside_show_the_difference(tmp_path):
    # DeepOBS's Adam lr sweep (fixtures/ecosystem/deepobs_blowup, real runs) saved under names of the kind a
    # sweep writes, its settings around the lr: the end all share is cut, not the lr.
    src = REPO / "tests" / "fixtures" / "ecosystem" / "deepobs_blowup"
    for f in sorted(src.glob("*.csv")):
        long = f"deepobs_cifar100_allcnnc_{f.stem}_num_epochs_350_batch_size_256_beta1_0.9_beta2_0.999_seed_42.csv"
        (tmp_path / long).write_bytes(f.read_bytes())
    page = report_html.report_html(losslens.diagnose_all(tmp_path))
    rows = _overview_names(page)
    assert len(rows) == 4
    for shown, title in rows:
        assert len(title) > report_html.NAME_WIDTH >= len(shown)
        assert re.search(r"_lr[\d.]+_", title).group(0)[1:-1] in shown, shown
        assert shown.startswith("deepobs_cifar100") and shown.endswith("seed_42")


def test_where_a_still_falling_curve_flattened_is_on_the_chart_and_the_card_not_as_x():
    """A Trainer logging every step (tests/fixtures/ecosystem/hf_logging_steps): the text says "still improving
    slowly — flattened at step 138 (epoch 13.8) [118, 145]"; the card said "plateau X: none (not plateaued)" and the
    PNG had no mark and no word of it. Now both show where it flattened, named so, and still no X."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_logging_steps" / "ls1_e16_trainer_state.json"
    d = losslens.diagnose(str(path))
    assert d.plateau is None and d.slowdown_epoch is not None  # the case: flattened, not plateaued
    at = f"{d.slowdown_epoch:g}"
    assert f"flattened at step {at}" in str(d).splitlines()[0]
    data = chart_data(d)
    assert data["plateau"] is None and data["flattened"]["x"] == pytest.approx(d.slowdown_epoch)
    assert report_html.chart_payload(d, data)["flattened"] == data["flattened"]  # what the page's script draws
    card = report_html.card_html(d, data)
    assert f"<dt>flattened at (step)</dt><dd>{at} (epoch" in card
    assert "none (not plateaued)" not in card
    ax = plot_diagnosis(d)
    try:
        assert f"flattened at {at}" in ax.get_title(loc="left") and "X =" not in ax.get_title(loc="left")
        marks = [line for line in ax.get_lines() if "flattened" in str(line.get_label())]
        assert len(marks) == 1 and marks[0].get_xdata()[0] == pytest.approx(d.slowdown_epoch)
    finally:
        plt.close(ax.figure)
    # a plateaued run keeps X alone: no "flattened" mark beside it
    plateaued = losslens.diagnose(str(Path(__file__).parent.parent / "src" / "losslens" / "examples" /
                                      "keras_csvlogger.csv"))
    assert plateaued.plateau is not None and chart_data(plateaued)["flattened"] is None
