"""`losslens watch PATH`: the diagnosis live while a real Keras CSVLogger log is written row by row.

The log is tests/fixtures/logs/keras_rlrop.csv (``keras.callbacks.CSVLogger`` of SGD(0.5) on digits with
ReduceLROnPlateau, 60 epochs: tests/fixtures/logs/make_logs.py), flat from epoch 8. The loop (``follow``) is driven
in-process through its ``sleep``: each call writes the next row, so a test knows which row each diagnosis saw; the
command itself runs in a subprocess beside a writer thread.
"""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import losslens
from losslens.diagnosis import diagnose_run
from losslens.result import CAUSES

LOG = Path(__file__).parent / "fixtures" / "logs" / "keras_rlrop.csv"
OTHER = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_focal" / "clean.csv"  # another CSVLogger run
HEADER, *ROWS = LOG.read_text().splitlines(keepends=True)
SRC = str(Path(losslens.__file__).resolve().parents[1])  # the losslens under test, for the subprocesses


def _default_sigint():
    # A shell's background job (`make test &`, a CI step) starts with SIGINT ignored, which the child inherits and
    # Python then leaves ignored: the Ctrl-C test's signal was lost and the watch ran on (a fresh-clone run hung).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + str(Path(__file__).parent)}
    return subprocess.Popen([sys.executable, "-m", "losslens", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, preexec_fn=_default_sigint, **kwargs)


class Seen:
    """A ``show`` that keeps what the loop says: its notes, and (rows, verdict, firm) per diagnosis."""

    def __init__(self):
        self.notes, self.updates, self.ended = [], [], None

    def note(self, text):
        self.notes.append(text)

    def update(self, key, w, stop_gain):
        self.updates.append((w.rows, w.diagnosis.verdict, w.firm, w.diagnosis))

    def end(self, watched):
        self.ended = [w.diagnosis for w in watched.values() if w.diagnosis is not None]


class Writer:
    """``sleep`` for :func:`follow`: each call runs the next step (writes rows ...) and moves the clock on."""

    def __init__(self, steps):
        self.steps, self.now = list(steps), 0.0

    def sleep(self, seconds):
        self.now += seconds
        if self.steps:
            self.steps.pop(0)()

    def clock(self):
        return self.now


def _append(path, text):
    def step():
        with open(path, "a") as f:
            f.write(text)
    return step


def _follow(path, show, writer, **options):
    from losslens.commands.watch import follow

    return follow(str(path), show, interval=1.0, sleep=writer.sleep, clock=writer.clock, **options)


def test_exit_when_converged_exits_at_the_row_it_firms(tmp_path):
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:3]))
    writer = Writer(_append(path, row) for row in ROWS[3:])
    seen = Seen()
    assert _follow(path, seen, writer, idle=5.0, exit_when={"converged"}) == 0
    # Firm as the callbacks' rule (firm_verdict): the same verdict at two diagnoses in a row, counted from their first
    # (5 points), at confidence >= 0.5, and not a converged too short to tell from its swings nor one with a jump off
    # its best in its tail (this SGD 0.5 run's validation: 0.36, 0.50, 0.87, 0.33 at epochs 4-7; firm at 11 rows).
    from losslens.integrations._core import firm_verdict

    run = losslens.read(str(LOG))[0]
    verdicts = {k: diagnose_run(run.head(k)) for k in range(5, len(ROWS) + 1)}
    firm_at = next(k for k in range(6, len(ROWS) + 1) if verdicts[k].verdict == "converged"
                   and firm_verdict(verdicts[k], verdicts[k - 1].verdict))
    rows, verdict, firm, _ = seen.updates[-1]
    assert (rows, verdict, firm) == (firm_at, "converged", True)
    assert rows < len(ROWS) // 2  # it converged early: the watch ended long before the log did
    assert [u[0] for u in seen.updates] == list(range(3, rows + 1))  # one diagnosis per row written
    assert not any(u[2] for u in seen.updates[:-1])
    assert f"converged is firm at epoch {rows - 1} ({rows} points read; --exit-when)" in seen.notes[-1] and seen.ended and seen.ended[0].verdict == "converged"


def test_a_half_written_last_line_is_not_said_nor_diagnosed(tmp_path, caplog):
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:5]))
    steps = []
    for row in ROWS[5:12]:  # each row in two writes: a poll between them sees it half-written
        steps += [_append(path, row[:len(row) // 2]), _append(path, row[len(row) // 2:])]
    steps.append(_append(path, ROWS[12][:10]))  # and the log stops growing half-written
    writer = Writer(steps)
    seen = Seen()
    assert _follow(path, seen, writer, idle=3.0) == 0
    assert [u[0] for u in seen.updates] == list(range(5, 13))  # the half rows added no diagnosis
    said = "\n".join(seen.notes) + caplog.text
    assert said.count("cut off mid-write") == 1  # once, at the end, where it stopped growing half-written
    assert "cut off mid-write" in seen.notes[-2] and "--idle" in seen.notes[-1]
    assert all("cut off" not in n for d in seen.ended for n in d.notes)


def test_a_file_replaced_by_a_shorter_one_starts_over(tmp_path):
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:30]))

    def replace():
        new = tmp_path / "new.log"
        new.write_text(HEADER + "".join(ROWS[:6]))
        os.replace(new, path)

    writer = Writer([_append(path, ROWS[30]), replace, _append(path, ROWS[6]), _append(path, ROWS[7])])
    seen = Seen()
    assert _follow(path, seen, writer, idle=2.0) == 0
    assert [u[0] for u in seen.updates] == [30, 31, 6, 7, 8]
    assert sum("started over" in n for n in seen.notes) == 1
    assert not seen.updates[2][2]  # firm again only at two diagnoses of the new run


def test_a_log_written_again_in_place_with_another_run_starts_over(tmp_path):
    """Truncated and written again (CSVLogger(append=False) at a new fit) past the old length before a poll: the
    epochs match, the values do not."""
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:8]))
    other_header, *other = OTHER.read_text().splitlines(keepends=True)

    def rewrite():
        path.write_text(other_header + "".join(other[:12]))

    seen = Seen()
    assert _follow(path, seen, Writer([rewrite]), idle=2.0) == 0
    assert [u[0] for u in seen.updates] == [8, 12]
    assert sum("started over" in n for n in seen.notes) == 1
    assert seen.updates[-1][3].to_dict() == diagnose_run(losslens.read(str(path))[0]).to_dict()


def test_a_missing_file_is_waited_for(tmp_path):
    path = tmp_path / "later" / "training.log"

    def appear():
        path.parent.mkdir()
        path.write_text(HEADER + "".join(ROWS[:6]))

    seen = Seen()
    assert _follow(path, seen, Writer([lambda: None, appear]), idle=3.0) == 0
    assert seen.notes[0].endswith("does not exist yet; waiting for it")
    assert sum("does not exist" in n for n in seen.notes) == 1
    assert [u[0] for u in seen.updates] == [6]


def test_a_folder_with_no_log_yet_waits_then_reads_it(tmp_path):
    seen = Seen()
    appear = lambda: (tmp_path / "training.log").write_text(HEADER + "".join(ROWS[:6]))  # noqa: E731
    assert _follow(tmp_path, seen, Writer([lambda: None, appear]), idle=3.0) == 0
    assert "no training runs found" in seen.notes[0] and "waiting" in seen.notes[0]
    assert [u[0] for u in seen.updates] == [6]


def test_ctrl_c_shows_the_last_diagnosis_and_raises(tmp_path):
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:10]))

    def interrupt():
        raise KeyboardInterrupt

    seen = Seen()
    with pytest.raises(KeyboardInterrupt):
        _follow(path, seen, Writer([_append(path, ROWS[10]), interrupt]))
    assert seen.ended and seen.ended[0].length == 11


def test_the_live_panel_shows_verdict_forecast_and_stop_advice(tmp_path):
    from rich.console import Console

    from losslens.commands.watch import Panel

    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:30]))
    out = io.StringIO()
    show = Panel(Console(file=out, force_terminal=True, width=200, color_system=None), str(path), 1.0)
    _follow(path, show, Writer([_append(path, row) for row in ROWS[30:33]]), idle=2.0, stop_gain=0.01)
    text = out.getvalue()
    d = diagnose_run(losslens.read(str(path))[0])
    assert "losslens watch" in text and "firm: yes" in text and "33 epochs read, the last epoch 32" in text
    assert f"plateau at epoch {d.plateau_epoch:g}" in text
    assert f"forecast: val_loss {d.forecast['value']:.4g} at epoch {d.forecast['horizon']:g}" in text
    # The callbacks' stop_gain rule at each new point, on the forecast shown above it (fitted from the lr's last cut,
    # as forecast --stop-gain replays it). ReduceLROnPlateau cuts the lr every 3 epochs from epoch 13 on: each forecast
    # holds the level since the cut (0.0% to gain), and the rule waits for 10 points at a rate (it stopped at 31 on a
    # fit across the cuts; the run's best, 0.2818 at epoch 16, was behind it either way).
    from losslens.commands.forecast import replay_stop

    stop = replay_stop(losslens.read(str(path))[0], "val_loss", 0.01)
    assert stop["stopped_epoch"] is None
    assert ("stop now? not yet: the forecast is 0.0% better than the best so far, < 1%, but only 1 point(s) since the "
            "lr was cut at 29: the rule waits for 10 at the new rate") in text
    assert text.rfind("what to do:") > text.rfind("stop now?")  # the full report after the panel


class Panels:
    """A ``show`` that keeps, per diagnosis, the rows read, the panel's lines and the stopping rule's forecast."""

    def __init__(self):
        self.seen = []

    def note(self, text):
        pass

    def update(self, key, w, stop_gain):
        from losslens.commands.watch import summary_lines

        fc = w.stopper.metric_forecast  # (the rule's forecast at this row: the rule itself goes on)
        self.seen.append((w.rows, summary_lines(w, stop_gain), (fc.value, fc.interval, fc.horizon)))

    def end(self, watched):
        pass


def test_the_panel_shows_one_forecast_the_one_losslens_forecast_gives(tmp_path):
    # ReduceLROnPlateau cut the lr at epoch 20: `losslens forecast` holds the level since the cut (0.2844, "the fit
    # across the cut would carry that on (to 0.2434)"). The stopping rule, blind to the lr, fitted across the cut and
    # the panel said both: "forecast: val_loss 0.2844 at epoch 40" and "... forecast to gain 13.7% (to 0.2434)".
    from losslens.forecasting import forecast_run

    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:5]))
    show = Panels()
    _follow(path, show, Writer([_append(path, row) for row in ROWS[5:24]]), idle=2.0, stop_gain=0.01)
    run = losslens.read(str(LOG))[0]
    assert [rows for rows, _, _ in show.seen] == list(range(5, 25))
    for rows, lines, shown in show.seen:
        fc = forecast_run(run.head(rows))
        # The rule decides on the forecast `losslens forecast` gives on the same rows: value, interval, horizon.
        assert shown == (fc.value, fc.interval, fc.horizon), rows
        assert not fc.reason == (f"forecast: val_loss {fc.value:.4g} at epoch {fc.horizon:g}" in lines[2]), rows
        # No second value: the rule's own is named only where the panel shows none (a verdict whose forecast is not
        # quoted: the SGD 0.5 run's 6th row, its last point jumped, reads lr_too_high).
        assert lines[3].startswith("  stop now? ") and (f"{shown[0]:.4g}" not in lines[3]
                                                        or lines[2] == "  forecast: none"), rows
    rows, lines, _ = show.seen[16]  # 21 rows: epoch 20, the first at the cut lr
    assert rows == 21 and "only 1 point(s) since the lr was cut at 20" in forecast_run(run.head(21)).note
    assert "forecast: val_loss 0.2844 at epoch 40" in lines[2] and not any("0.2434" in line for line in lines)
    assert lines[3] == ("  stop now? not yet: the forecast is 0.0% better than the best so far, < 1%, but only 1 point(s) "
                        "since the lr was cut at 20: the rule waits for 10 at the new rate")


class Lines(threading.Thread):
    """The lines a subprocess prints, as it prints them."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.lines = stream, []
        self.start()

    def run(self):
        for line in self.stream:
            self.lines.append(line)

    def wait(self, n=1, timeout=60):
        end = time.monotonic() + timeout
        while len(self.lines) < n and time.monotonic() < end:
            time.sleep(0.02)
        assert len(self.lines) >= n


def _write_rows(path, rows, halves=False):
    for row in rows:
        with open(path, "a") as f:
            if halves:  # in two flushes, as a buffered writer may leave a row
                f.write(row[:len(row) // 2])
                f.flush()
                time.sleep(0.01)
                row = row[len(row) // 2:]
            f.write(row)
        time.sleep(0.02)


def test_json_lines_grow_while_written_and_the_last_is_diagnose_json(tmp_path):
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:4]))
    proc = _cli("watch", str(path), "--json", "--interval", "0.05", "--idle", "1")
    out = Lines(proc.stdout)
    out.wait()  # (the command started: the rows come while it watches)
    _write_rows(path, ROWS[4:], halves=True)
    err = proc.stderr.read()
    proc.wait(timeout=60)
    out.join(timeout=10)
    assert proc.returncode == 0, err
    rows = [json.loads(line) for line in out.lines]
    lengths = [r["length"] for r in rows]
    assert len(rows) >= 5 and lengths == sorted(set(lengths)) and lengths[0] == 4 and lengths[-1] == len(ROWS)
    assert all(r["schema"] == "losslens.diagnosis/1" for r in rows)
    whole = _cli("diagnose", str(path), "--json")
    assert rows[-1] == json.loads(whole.communicate(timeout=60)[0])
    assert "cut off" not in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].endswith("has not changed for 1 s (--idle): exiting")


def test_piped_lines_only_when_verdict_or_x_changes_and_ctrl_c_exits_130(tmp_path):
    path = tmp_path / "run1.csv"
    path.write_text(HEADER + "".join(ROWS[:4]))
    proc = _cli("watch", str(path), "--interval", "0.05")
    out = Lines(proc.stdout)
    out.wait()
    _write_rows(path, ROWS[4:40])
    out.wait(2)  # (the verdict or X changes over those rows: X goes from epoch 1 to 8)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    finally:
        proc.kill()  # (a no-op once it has exited; a watch that ran on must not hold the suite)
    err = proc.stderr.read()
    out.join(timeout=10)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "losslens: interrupted"
    live, _, report = "".join(out.lines).partition("\n\n")
    lines = live.splitlines()
    assert lines[0].startswith("epoch 3: run1: ")

    def said(line):  # the verdict and X, without X's interval and the confidence
        return line.split(": ", 1)[1].split(" [")[0].split(" (confidence")[0]

    assert all(said(a) != said(b) for a, b in zip(lines, lines[1:]))  # a line only where the verdict or X changed
    assert 2 <= len(lines) < 20
    assert said("-: " + report.splitlines()[0]) == said(lines[-1]) and "what to do:" in report
    assert "run1: " in report and "40 epochs" not in said(lines[-1])


@pytest.mark.parametrize("content, word", [("hello,world\nfoo,bar\n", "no numeric columns"),
                                           ("epoch,val_loss\n0,0.5\n1,0.4\n2,0.3\n", None)])
def test_bad_input_is_one_line_exit_2(tmp_path, content, word):
    path = tmp_path / "run.csv"
    path.write_text(content)
    args = ["watch", str(path), "--interval", "0.05", "--idle", "0.3"]
    if word is None:  # a good log, a bad option
        args += ["--exit-when", "convergd"]
        word = "unknown cause 'convergd'"
    proc = _cli(*args)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and word in err and "Traceback" not in err
    assert path.read_text() == content


def test_a_file_that_never_appears_ends_at_idle_with_exit_2(tmp_path):
    proc = _cli("watch", str(tmp_path / "nope.csv"), "--interval", "0.05", "--idle", "0.3")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [f"losslens: {tmp_path / 'nope.csv'}: does not exist yet; waiting for it",
                                        f"losslens: {tmp_path / 'nope.csv'}: no such file or directory (waited 0.3 s)"]


def test_a_lightning_log_written_row_by_row_goes_on_without_notes(tmp_path):
    """Lightning's CSVLogger writes an epoch's training and validation rows apart, and its log is read on steps
    until validation has 3 epochs: neither is a new run, nor a note to say at each poll."""
    fixture = Path(__file__).parent / "fixtures" / "logs" / "lightning" / "version_0" / "metrics.csv"
    header, *rows = fixture.read_text().splitlines(keepends=True)
    path = tmp_path / "metrics.csv"
    path.write_text(header)
    seen = Seen()
    assert _follow(path, seen, Writer(_append(path, row) for row in rows), idle=2.0) == 0
    growing = seen.notes[:-1]  # (the last: --idle)
    assert not any("started over" in n or "has no value after" in n for n in growing), growing
    assert {u[3].axis for u in seen.updates} == {"step", "epoch"}
    assert path.read_text() == fixture.read_text()
    assert seen.updates[-1][3].to_dict() == diagnose_run(losslens.read(str(path))[0]).to_dict()


def test_a_real_problem_of_the_log_is_said_once_while_it_grows(tmp_path):
    """A reader's note that holds at three reads in a row is said, once; one of the last rows alone is not."""
    redone = ROWS[5].rstrip("\n").rsplit(",", 1)[0] + ",0.9\n"  # epoch 5 written twice, over another val_loss
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:5]))
    seen = Seen()
    assert _follow(path, seen, Writer(_append(path, row) for row in [redone, *ROWS[5:12]]), idle=2.0) == 0
    said = [n for n in seen.notes if "epoch 5 written twice over other values" in n]
    assert len(said) == 1 and seen.notes.index(said[0]) < len(seen.notes) - 1  # said before the end, once
    assert not any("started over" in n for n in seen.notes)
    assert [u[0] for u in seen.updates] == [5, 6, 6, *range(7, 13)]  # (epoch 5's second row: diagnosed again)


def test_a_horizon_the_run_reaches_is_said_once_and_the_watch_goes_on(tmp_path):
    path = tmp_path / "training.log"
    path.write_text(HEADER + "".join(ROWS[:5]))
    seen = Seen()
    assert _follow(path, seen, Writer(_append(path, row) for row in ROWS[5:9]), idle=2.0, horizon=6) == 0
    assert [u[0] for u in seen.updates] == list(range(5, 10))
    assert [u[3].forecast is None for u in seen.updates] == [False, False, True, True, True]
    assert sum("horizon 6 is not after the last logged epoch" in n for n in seen.notes) == 1


def _mlflow_store(store):
    """A real MLflow folder store with one run and its first 3 epochs of the Keras log logged (loss, val_loss by
    step): (a step for :class:`Writer` that logs the next epoch, the number of epochs it can log)."""
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(store.as_uri())
    run_id = client.create_run(client.create_experiment("demo"), run_name="live").info.run_id
    rows = [dict(zip(HEADER.strip().split(","), map(float, row.split(",")))) for row in ROWS[:12]]

    def log(epoch):
        client.log_metric(run_id, "loss", rows[epoch]["loss"], step=epoch)
        client.log_metric(run_id, "val_loss", rows[epoch]["val_loss"], step=epoch)

    for epoch in range(3):
        log(epoch)
    return [lambda e=e: log(e) for e in range(3, len(rows))], len(rows)


def test_an_mlflow_file_uri_store_is_watched_as_it_grows(tmp_path, monkeypatch):
    """``mlflow:file:/…/mlruns`` (the tracking URI as MLflow spells it): its "file:" was kept in the path polled,
    which os.stat never found: "does not exist yet" until --idle, though the reader opens the store."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    steps, epochs = _mlflow_store(store)
    seen = Seen()
    assert _follow(f"mlflow:{store.as_uri()}", seen, Writer(steps), idle=3.0) == 0
    assert [u[0] for u in seen.updates] == list(range(3, epochs + 1)), seen.notes  # one diagnosis per epoch logged
    assert not any("does not exist" in n for n in seen.notes)


def test_mlflow_alone_polls_the_default_store_not_the_working_directory(tmp_path, monkeypatch):
    """``mlflow:`` alone reads MLflow's default store ($MLFLOW_TRACKING_URI here): the working directory was polled
    instead, so epochs logged to the store were never read again. A tracking server's URI is re-read at every poll
    (None: nothing local to poll)."""
    from losslens.commands.watch import _local_path

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "store" / "mlruns"
    steps, epochs = _mlflow_store(store)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.as_uri())
    seen = Seen()
    assert _follow("mlflow:", seen, Writer(steps), idle=3.0) == 0
    assert [u[0] for u in seen.updates] == list(range(3, epochs + 1)), seen.notes
    for uri in ("http://127.0.0.1:5000", "https://mlflow.example.com", "databricks"):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        assert _local_path("mlflow:") is None and _local_path(f"mlflow:{uri}") is None
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    assert _local_path("mlflow:") == f"{tmp_path}/mlflow.db" == _local_path(f"sqlite:///{tmp_path}/mlflow.db")


FINISHED = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_lr_blowup" / "sgd_0.5_s0.csv"


def test_a_finished_log_read_at_once_can_firm_and_exit(tmp_path):
    """The README's `watch run.csv --exit-when converged,overfitting,diverged` on a log already complete: one read,
    one diagnosis of the whole, which had nothing before it to agree with and never firmed (the CLI hung). The
    diagnosis a row earlier, which the callbacks would have made, is the one it must agree with."""
    from losslens.integrations._core import counted_verdict, firm_verdict

    path = tmp_path / "done.csv"
    path.write_bytes(FINISHED.read_bytes())
    seen = Seen()
    assert _follow(path, seen, Writer([]), idle=30.0, exit_when={"converged", "overfitting", "diverged"}) == 0
    run = losslens.read(str(path))[0]
    whole, before = diagnose_run(run), diagnose_run(run.head(len(run) - 1))
    assert firm_verdict(whole, counted_verdict(before))  # (what the rule says of it: the test reads the real run)
    assert [(u[0], u[1], u[2]) for u in seen.updates] == [(len(run), whole.verdict, True)]
    assert "--exit-when" in seen.notes[-1] and "--idle" not in "\n".join(seen.notes)


def test_a_finished_log_whose_last_two_verdicts_differ_does_not_firm(tmp_path):
    """What "firm" guards against stays guarded: a log read whole whose verdict a row earlier was another."""
    from losslens.integrations._core import counted_verdict, firm_verdict

    run = losslens.read(str(LOG))[0]
    k = next(k for k in range(6, len(run) + 1)
             if not firm_verdict(diagnose_run(run.head(k)), counted_verdict(diagnose_run(run.head(k - 1)))))
    path = tmp_path / "cut.csv"
    path.write_text(HEADER + "".join(ROWS[:k]))
    seen = Seen()
    assert _follow(path, seen, Writer([]), idle=3.0, exit_when=set(CAUSES)) == 0
    assert [(u[0], u[2]) for u in seen.updates] == [(k, False)]
    assert "--idle" in seen.notes[-1]


def test_piped_a_run_started_over_prints_its_first_verdict(tmp_path, capsys):
    """Piped, a line is printed where the verdict or X changed; a new run written to the same path is a new run,
    whose first verdict is printed even where it is the old run's last (converged, X = epoch 8 at 40 rows and
    at 20)."""
    from losslens.commands.watch import Lines

    path = tmp_path / "live.csv"
    path.write_text(HEADER + "".join(ROWS[:40]))

    def replace():
        new = tmp_path / "new.csv"
        new.write_text(HEADER + "".join(ROWS[:20]))
        os.replace(new, path)

    assert _follow(path, Lines(), Writer([replace]), idle=2.0) == 0
    live = capsys.readouterr().out.partition("\n\n")[0].splitlines()
    old, new = (diagnose_run(losslens.read(str(LOG))[0].head(k)) for k in (40, 20))
    assert (old.verdict, old.plateau_epoch) == (new.verdict, new.plateau_epoch)  # the case: the same verdict and X
    assert [line.split(":")[0] for line in live] == ["epoch 39", "epoch 19"]


def test_a_lightning_fit_resumed_into_version_1_is_watched_as_the_one_run_diagnose_reads(tmp_path):
    """``trainer.fit(ckpt_path=...)`` with a new Trainer logs on into ``version_1``: diagnose reads the folder as
    one run ``version_0+version_1``. The watch read ``version_0`` alone first, and ended showing that snapshot
    (frozen at its last epoch) beside the joined run."""
    logs = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_resume" / "logs" / "csv"
    root = tmp_path / "csv"
    (root / "version_0").mkdir(parents=True)
    (root / "version_0" / "metrics.csv").write_text((logs / "version_0" / "metrics.csv").read_text())

    def resume():
        (root / "version_1").mkdir()
        (root / "version_1" / "metrics.csv").write_text((logs / "version_1" / "metrics.csv").read_text())

    seen = Seen()
    assert _follow(root, seen, Writer([resume]), idle=2.0) == 0
    assert [d.run.name for d in seen.ended] == ["version_0+version_1"]
    assert seen.ended[0].to_dict() == diagnose_run(losslens.read(str(root))[0]).to_dict()


def test_a_callback_file_that_becomes_a_copy_is_no_longer_watched_as_its_own(tmp_path):
    """Lightning with the LosslensCallback, resumed from an older checkpoint into version_1: version_0's own run
    (its metrics.csv, its losslens.json) becomes part of version_0+version_1 and a copy of it."""
    import shutil

    logs = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_resume_callback" / "logs"
    root = tmp_path / "logs"
    shutil.copytree(logs / "version_0", root / "version_0")
    seen = Seen()
    assert _follow(root, seen, Writer([lambda: shutil.copytree(logs / "version_1", root / "version_1")]),
                   idle=2.0) == 0
    assert [d.run.name for d in seen.ended] == ["version_0+version_1"]
