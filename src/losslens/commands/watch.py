"""``losslens watch PATH``: the diagnosis live while a run writes its log, without touching the training code.

For the runs no callback can be added to (a colleague's script, a cluster job whose log is synced,
``python train.py | tee train.log``): the log is polled (its files' sizes, modification times and inodes: no
inotify), read again as ``diagnose`` reads it when it changed, and diagnosed again only when new rows arrived.
A verdict is firm as the callbacks' is (two diagnoses in a row from their first, 5 points:
``integrations._core.firm_verdict``; a run first read with more points is also diagnosed a point short, as the
callbacks would have, so that a finished log can firm), and "stop now?" is the callbacks' ``stop_gain`` rule
(:class:`losslens.stopping.ForecastStopping`) fed each new point. :func:`follow` is the loop; it takes its
``sleep`` and ``clock``, so a test drives it row by row.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, List, Optional

import typer

#: A reader's note that a last line or record is half-written: what a log being written ends in between two
#: flushes, so it is not said while the log grows (a log that stops growing so: once, at ``--idle``).
_CUT = re.compile(r"cut off mid-write")
#: The input problems that say "not yet" of a log being written (an empty file, a header alone, loss columns with
#: no value yet: Lightning's metrics.csv starts with rows of the lr alone; a run of 1-2 points, a folder with no log
#: in it yet, a printed log before its first epoch: lines of settings or prose, read as printed results or a console
#: capture with no value per epoch or step): watch waits on them.
_NOT_YET = ("empty file", "no data rows", "no values (all empty or NaN)", "too short to diagnose",
            "no training runs found", "no value per epoch or step")


def register(app):
    from losslens.cli import baseline_loss_option, higher_option, noise_floor_option, offset_free_option

    @app.command()
    def watch(
        path: str = typer.Argument(..., metavar="PATH", help="The log being written: a file, a folder or a store "
                                   "URI (tb:, wandb:, mlflow:), as diagnose reads it."),
        interval: float = typer.Option(2.0, "--interval", min=0.01, help="Seconds between two looks at the log."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose (default: val_loss, "
                                             "else val_acc, else train_loss)."),
        horizon: Optional[float] = typer.Option(None, "--horizon", help="Forecast to this epoch (or step), and "
                                                "\"stop now?\" weighs training on to it. Default: the planned end "
                                                "the log states, else twice the length read."),
        stop_gain: float = typer.Option(0.01, "--stop-gain", min=0.0, help="\"stop now?\" says stop when "
                                        "training on is forecast to gain less than this fraction (0.01 = 1%)."),
        exit_when: Optional[List[str]] = typer.Option(None, "--exit-when", help="Exit 0 when the verdict firms to "
                                                      "one of these causes (comma-separated): two diagnoses in a "
                                                      "row, as the callbacks act."),
        idle: Optional[float] = typer.Option(None, "--idle", min=0.0, help="Exit when the log has not changed "
                                             "for this many seconds (and stop waiting for one not there yet)."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object per new diagnosis (JSON Lines, "
                                      "schema losslens.diagnosis/1, as diagnose --json)."),
        classes: Optional[int] = typer.Option(None, "--classes", "-k", min=2, help="Number of classes K."),
        run_id: Optional[str] = typer.Option(None, "--run", help="Only the run with this id/name."),
        higher: Optional[bool] = higher_option(),
        noise_floor: Optional[float] = noise_floor_option(),
        baseline_loss: Optional[float] = baseline_loss_option(),
        offset_free: bool = offset_free_option(),
    ):
        """Diagnose a run live while it writes its log: the verdict, X, the forecast and "stop now?", updated
        as epochs arrive (Ctrl-C to stop)."""
        from losslens.cli import check_baseline_loss_option, check_noise_floor_option, fail, unknown_cause_line
        from losslens.result import CAUSES

        check_noise_floor_option(noise_floor)
        check_baseline_loss_option(baseline_loss)

        wanted = {c.strip() for v in exit_when or [] for c in v.split(",") if c.strip()}
        bad = sorted(c for c in wanted if c not in CAUSES)
        if bad:
            fail(unknown_cause_line("--exit-when", bad[0], CAUSES))
        if not stop_gain < 1:
            fail(f"--stop-gain must be a fraction below 1, e.g. 0.01 for 1%, got {stop_gain:g}")
        if path.strip() == "-":
            fail("-: watch reads a log as it is written; for a printed one, python train.py | tee train.log "
                 "and losslens watch train.log")
        from rich.console import Console

        out = Console(highlight=False)  # (wrapping: the report's soft-wrapped console crops a panel's lines)
        from losslens.report.text import draws_live

        # (the live panel only on an interactive terminal: under FORCE_COLOR, `watch log > out.txt` wrote each redraw)
        show = JsonLines() if json_out else Panel(out, path, interval) if draws_live(out) else Lines()
        try:
            code = follow(path, show, interval=interval, idle=idle, metric=metric, horizon=horizon,
                          stop_gain=stop_gain, exit_when=wanted, classes=classes, run_id=run_id,
                          higher_is_better=higher, noise_floor=noise_floor, offset_free=offset_free,
                          baseline_loss=baseline_loss)
        finally:
            show.close()  # (a bad input's one line, after the panel: the terminal's cursor back)
        raise typer.Exit(code)


@dataclass
class Watched:
    """One run of the log as watched: its rows so far, the latest diagnosis and whether its verdict is firm."""

    rows: int = 0
    axis: Any = None                 # the axis read at the last diagnosis, shape (rows,)
    diagnosis: Any = None
    previous: str | None = None      # the verdict of the diagnosis before (None: none counted yet)
    firm: bool = False
    stopper: Any = None              # ForecastStopping on the diagnosed metric
    fed: float = float("-inf")       # the last axis value fed to it
    stop_since: float | None = None  # where the rule has said stop at every check since
    values: Any = None               # the diagnosed metric at the last diagnosis, shape (rows,)
    values_read: Any = None          # (count, sum) of the finite values in every series then


def follow(path: str, show, *, interval: float = 2.0, idle: float | None = None, metric=None, horizon=None,
           stop_gain: float = 0.01, exit_when=(), classes=None, run_id=None, higher_is_better=None,
           noise_floor=None, offset_free: bool = False, sleep=time.sleep, clock=time.monotonic,
           baseline_loss=None) -> int:
    """Watch ``path`` until ``exit_when`` firms (0), ``idle`` seconds pass with no change (0; 2 where nothing could
    be diagnosed) or Ctrl-C (KeyboardInterrupt, raised on after ``show`` printed the last diagnosis).

    ``show`` receives what is said (:class:`JsonLines`, :class:`Lines`, :class:`Panel`); ``sleep(seconds)`` and
    ``clock()`` (seconds) pace the polls. ``noise_floor``: the data's, in the loss's units, stated on every run read
    (as ``diagnose --noise-floor`` does), so the diagnosis and "stop now?" hold a validation loss's forecast at it.
    ``offset_free``: the loss has no zero point, stated on every run read (as ``diagnose --offset-free`` does), so the
    diagnosis and "stop now?" read its gains as shares of its improvement, not of its value. ``baseline_loss``: a
    constant prediction's loss, stated on every run read (as ``diagnose --baseline-loss`` does). A bad input is raised as its :class:`~losslens.exceptions.LosslensError`
    (one line, exit 2, in the CLI)."""
    import numpy as np

    from losslens.exceptions import LosslensError, ReadError
    from losslens.facts import require_ahead
    from losslens.integrations._core import Watcher, counted_verdict, firm_verdict

    local = _local_path(path)
    first = max(int(Watcher.start_from_epoch), 3)  # the callbacks' first diagnosis: a verdict counts from it on
    watched: dict = {}
    sig, changed_at, waiting, said, problem, notes = None, clock(), None, set(), None, {}

    def say(lines) -> None:
        for text in lines:
            if text not in said:
                said.add(text)
                show.note(text)

    def wait_on(exc) -> None:
        nonlocal problem, waiting
        problem = exc
        if waiting != "rows":
            show.note(f"{exc}; waiting for rows to diagnose")
            waiting = "rows"

    try:
        while True:
            now = _signature(local) if local is not None else {}
            if now is None:  # not there (yet, or any more)
                if waiting != "missing":
                    show.note(f"{path}: does not exist yet; waiting for it" if sig is None else
                              f"{path}: is gone; waiting for it to come back")
                    waiting = "missing"
                if sig is not None:
                    sig, changed_at = None, clock()
            elif local is None or now != sig:
                if local is not None:  # (a tracking server is read at every poll: it changed when rows came)
                    sig, changed_at = now, clock()
                try:
                    runs = _read(path, run_id, metric, noise_floor, offset_free, baseline_loss)
                except LosslensError as exc:
                    if not _not_yet(exc):
                        raise
                    wait_on(exc)
                    runs = []
                else:
                    # A reader's note is said where three reads in a row give it (and at --idle): a note of the last
                    # rows alone is what a log being written leaves until its next rows. Lightning writes an epoch's
                    # training and validation rows apart: written a row at a time, "val_loss has no value after step
                    # 19" came at two reads in a row, then went.
                    notes = {n: notes.get(n, 0) + 1 for n in runs.notes}
                    say(n for n, reads in notes.items() if reads >= 3 and not _CUT.search(n))
                    for key in _absorbed(watched, runs):
                        # A run now read as part of another (version_0 once version_1 resumes it, a log once its
                        # copy in another logger's file is the fuller): the snapshot of its own is no run any more
                        # (diagnose reads the one run; the watch ended showing the two).
                        del watched[key]
                        if hasattr(show, "forget"):  # (a show of the caller's own may keep no runs)
                            show.forget(key)
                for run in runs:
                    key = (run.source, run.name)
                    w = watched.get(key)
                    axis = np.asarray(run.axis, dtype=float)
                    if w is not None and w.diagnosis is not None and w.diagnosis.axis != run.axis_name:
                        w.stopper = None  # read on another axis now (a Lightning log's steps, then its epochs)
                    elif w is not None and not _goes_on(w, run, axis):
                        # Shorter, or other values in the rows read before: a new run written to the same path (a
                        # file replaced, or truncated and written again). A file rewritten whole with the same rows
                        # and more (a Trainer's trainer_state.json, a callback's JSON saved atomically) goes on.
                        show.note(f"{run.source or path}{'' if len(runs) == 1 else f' ({run.name})'}: shrank or was "
                                  f"replaced (a new run?): started over")
                        w = None
                    if w is None:
                        w = watched[key] = Watched()
                    # Rows, and values: Lightning's metrics.csv adds an epoch's validation row to the epoch of its
                    # training row (one point on the axis), and a row written again replaces the one before.
                    values = (sum(int(np.isfinite(v).sum()) for v in run.series.values()),
                              sum(float(np.nansum(v)) for v in run.series.values()))
                    if (len(axis), values) == (w.rows, w.values_read):
                        continue  # the file changed, no row was added (a half-written line)
                    try:
                        d = _diagnose(run, metric, classes, horizon, higher_is_better)
                    except LosslensError as exc:
                        if _not_yet(exc):
                            wait_on(exc)
                        elif len(runs) == 1:
                            raise
                        elif str(exc) not in said:
                            said.add(str(exc))
                            show.note(f"skipped {exc}")
                        continue
                    waiting = None
                    if horizon is not None:
                        try:
                            require_ahead(run, horizon, metric)
                        except LosslensError as exc:  # the run reached it: diagnose refuses, watch goes on
                            if "--horizon" not in said:
                                said.add("--horizon")
                                show.note(f"{exc}; no forecast from here on")
                        except ValueError:  # (no such metric: the diagnosis would have said so)
                            pass
                    counted_before = w.rows >= first
                    w.rows, w.axis, w.diagnosis, w.values_read = len(axis), axis, d, values
                    seen = run.get(d.metric)
                    w.values = None if seen is None else np.asarray(seen, dtype=float)
                    if len(axis) > first and not counted_before:
                        # The run's first counted read holds more rows than the callbacks' first diagnosis: a log
                        # finished before the watch began, or first seen mid-run. The callbacks would have diagnosed
                        # it a row earlier too; that diagnosis is the one this verdict must agree with to be firm
                        # (without it a finished log got one diagnosis and never firmed: --exit-when hung).
                        w.previous = _previous_verdict(run, len(axis) - 1, metric, classes, horizon,
                                                       higher_is_better)
                    if len(axis) >= first:
                        w.firm, w.previous = firm_verdict(d, w.previous), counted_verdict(d)
                    _advise(w, run, d, stop_gain, horizon, higher_is_better)
                    show.update(key, w, stop_gain)
                    changed_at = clock()
                done = [w for w in watched.values() if w.diagnosis is not None]
                if exit_when and done and all(w.firm and w.diagnosis.verdict in exit_when for w in done):
                    show.end(watched)
                    from losslens.result import axis_text

                    what = ", ".join(sorted({w.diagnosis.verdict for w in done}))
                    last = max(done, key=lambda w: w.rows)
                    show.note(f"{path}: {what} is firm at {last.diagnosis.axis} {axis_text(float(last.axis[-1]))} "
                              f"({last.rows} points read; --exit-when): exiting")
                    return 0
            if idle is not None and clock() - changed_at >= idle:
                done = [w for w in watched.values() if w.diagnosis is not None]
                if not done:
                    if sig is None and local is not None:
                        raise ReadError(f"no such file or directory (waited {idle:g} s)", path)
                    raise problem if problem is not None else ReadError(f"nothing to diagnose (waited {idle:g} s)",
                                                                        path)
                show.end(watched)
                say(notes)  # (it stopped growing: a half-written line is no longer one still to come)
                show.note(f"{path}: has not changed for {idle:g} s (--idle): exiting")
                return 0
            sleep(interval)
    except KeyboardInterrupt:
        show.end(watched)  # (the CLI says "interrupted" and exits 130)
        raise


class _Runs(list):
    """The runs of one read, and ``notes``: the readers' lines about it (``where: what``), held off stderr."""

    notes: list


def _read(path, run_id, metric, noise_floor=None, offset_free=False, baseline_loss=None) -> _Runs:
    """The runs in ``path`` as diagnose reads them, with the readers' notes (``.notes``) kept off stderr; a
    half-written last line is left out of the runs' own notes (their JSON): the log is being written."""
    from losslens.api import to_runs, with_stated
    from losslens.commands import held_warnings
    from losslens.readers.directory import name_apart

    with held_warnings() as records:
        runs = _Runs(with_stated(name_apart(to_runs(path, run_id=run_id, metric=metric)),
                                 {"noise_floor": noise_floor, "baseline_loss": baseline_loss,
                                  "offset_free": offset_free}))
    runs.notes = [r.getMessage().removeprefix("losslens: ") for r in records]
    for run in runs:
        kept = run.meta.get("notes")
        if kept:
            run.meta["notes"] = [n for n in kept if not _CUT.search(n)]
    return runs


def _absorbed(watched: dict, runs) -> list:
    """The keys of ``watched`` whose run this read gives as part of another: its source is a run's own, one it
    joined (``resumed_in``) or one it read once as a copy (``copies``), under a key no run read now has."""
    now = {(run.source, run.name) for run in runs}
    parts = {s for run in runs for s in (run.source, *run.meta.get("resumed_in", ()), *run.meta.get("copies", ()))}
    return [key for key in watched if key not in now and key[0] in parts]


def _diagnose(run, metric, classes, horizon, higher_is_better):
    from losslens.diagnosis import diagnose_run

    return diagnose_run(run, metric=metric, classes=classes, horizon=horizon, higher_is_better=higher_is_better)


def _previous_verdict(run, rows: int, metric, classes, horizon, higher_is_better) -> str | None:
    """The verdict the diagnosis of ``run``'s first ``rows`` points counts as (``counted_verdict``); None where
    those points cannot be diagnosed."""
    from losslens.exceptions import LosslensError
    from losslens.integrations._core import counted_verdict

    try:
        return counted_verdict(_diagnose(run.head(rows), metric, classes, horizon, higher_is_better))
    except LosslensError:
        return None


def _advise(w: Watched, run, d, stop_gain: float, horizon, higher_is_better) -> None:
    """Feed the diagnosed metric's new points to the callbacks' ``stop_gain`` rule. A stop is taken back at the
    next point (:meth:`ForecastStopping.resume`): watched, the run goes on, and "stop now?" is asked again."""
    import numpy as np

    from losslens.facts import metric_direction, offset_free, stated_noise_floor
    from losslens.stopping import ForecastStopping

    if w.stopper is None or w.stopper.metric != d.metric:
        higher = metric_direction(d.metric) if higher_is_better is None else higher_is_better
        end = horizon if horizon is not None else run.meta.get("planned_end")
        x_last = float(np.asarray(run.axis, dtype=float)[-1])
        end = float(end) if end is not None and float(end) > x_last else None
        w.stopper = ForecastStopping(min_gain=stop_gain, horizon=end, mode="max" if higher else "min",
                                     metric=d.metric, noise_floor=stated_noise_floor(run, d.metric, bool(higher)),
                                     offset_free=d.metric in ("train_loss", "val_loss") and offset_free(run))
        w.fed, w.stop_since = float("-inf"), None
    x, y = run.finite(d.metric)
    new = x > w.fed
    if not new.any():
        return
    # Checked at the last point read alone: the question is "stop now?" (a forecast at each point of a log read
    # at once, 2,000 epochs long, took 26 s of CPU).
    from losslens.commands.forecast import lr_at

    lr = lr_at(run, d.metric)  # (the rule forecasts from the lr's last cut, as `losslens forecast` and the diagnosis)
    rates = (np.full(x.shape, np.nan) if lr is None else lr)[new]  # (NaN: no lr logged there)
    for xi, yi, ri in zip(x[new][:-1], y[new][:-1], rates[:-1]):
        w.stopper.record(float(xi), float(yi), float(ri))
    w.stopper.resume()
    stop = w.stopper.update(float(x[-1]), float(y[-1]), float(rates[-1]))
    w.stop_since = (w.stop_since if w.stop_since is not None else float(x[-1])) if stop else None
    w.fed = float(x[-1])


def advice(w: Watched, stop_gain: float) -> str:
    """"stop now?" in a line: the ``stop_gain`` rule's answer at the last point read. The rule forecasts as
    ``losslens forecast`` and the diagnosis do (:func:`losslens.forecasting.fit_series`, from the lr's last cut), so
    the line weighs the forecast the panel shows above it; it names its own only where the two differ (a diagnosis
    fitted on a long log's bins). Its gain is against the best so far, not against now: the two answer
    different questions (is the rest worth training for? against: where is the curve heading?)."""
    from losslens.result import axis_text

    s, d, axis = w.stopper, w.diagnosis, w.diagnosis.axis
    worth = f"{stop_gain * 100:g}%"
    if s is None or s.forecast is None or s.decided_gain is None:
        return f"stop now? not yet decided: too few points for the forecast stopping rule (stop_gain {worth})"
    fc, shown = s.metric_forecast, d.forecast or {}
    if fc.reason:  # (a fit that misses where the curve is now: no stop is decided on its stand-in value)
        return f"stop now? no: no forecast to weigh (the line above says why); stop_gain {worth}"
    same = shown.get("value") is not None and shown.get("horizon") == fc.horizon \
        and abs(shown["value"] - fc.value) <= 1e-6 * max(abs(fc.value), 1e-12)
    # One forecast in the panel: a second number for the same question (0.2844 above, 0.2434 here, where the rule
    # was blind to a ReduceLROnPlateau cut) read as two answers.
    which = "the forecast" if same else (f"the stopping rule's forecast, {fc.value:.4g} at {axis} "
                                         f"{axis_text(fc.horizon)},")
    gain = f"{which} is {max(s.decided_gain, 0.0):.1%} better than the best so far"
    if w.stop_since is not None:
        return (f"stop now? yes: {gain}, < {worth}: stop (said since {axis} {axis_text(w.stop_since)})")
    if s.waiting:  # (below stop_gain, but too soon after an lr cut to say: the callbacks wait as well)
        return f"stop now? not yet: {gain}, < {worth}, but {s.waiting}"
    return f"stop now? no: {gain}; stop_gain {worth}"


def forecast_line(d) -> str:
    """The forecast at the horizon with its 90% interval, in a line (from ``Diagnosis.forecast``)."""
    from losslens.result import axis_text

    fc = d.forecast
    if not fc:
        return "forecast: none"
    if fc.get("reason") or fc.get("value") is None:
        return f"forecast: none ({(fc.get('reason') or 'too few points').split('; ')[0]})"
    lo, hi = fc["interval"]

    def g(v):
        return "n/a" if v is None else f"{v:.4g}"

    p = fc.get("p_improve")
    return (f"forecast: {fc['metric']} {g(fc['value'])} at {d.axis} {axis_text(fc['horizon'])} (90% interval {g(lo)} "
            f"to {g(hi)}){'' if p is None else f'; P(> 1% better) = {p:.2f}'}")


def summary_lines(w: Watched, stop_gain: float) -> list[str]:
    """What the live view shows of one run: the verdict line (as diagnose prints it), firm or not, the forecast,
    "stop now?", the first action and the points read."""
    from losslens.report.text import as_logged, headline
    from losslens.result import axis_text

    d = w.diagnosis
    lines = [headline(d),
             "  firm: yes (two diagnoses in a row)" if w.firm else "  firm: not yet",
             "  " + as_logged(d, forecast_line(d)), "  " + advice(w, stop_gain)]
    if d.cause.actions:
        lines.append("  first action: " + as_logged(d, d.cause.actions[0]))
    lines.append(f"  {w.rows} {d.axis}s read, the last {d.axis} {axis_text(float(w.axis[-1]))}")
    return lines


class JsonLines:
    """``--json``: one ``losslens.diagnosis/1`` object per new diagnosis, as ``diagnose --json`` prints it."""

    def note(self, text: str) -> None:
        typer.echo(f"losslens: {text}", err=True)

    def update(self, key, w: Watched, stop_gain: float) -> None:
        sys.stdout.write(w.diagnosis.to_json() + "\n")
        sys.stdout.flush()

    def end(self, watched: dict) -> None:
        pass  # (every diagnosis is printed already)

    def forget(self, key) -> None:
        pass  # (a line printed stays printed)

    def close(self) -> None:
        pass


class Lines(JsonLines):
    """Not a terminal (piped, CI): a line where the verdict or X changed, or a new run's first (one started over at
    the same path), so that ``watch ... | tee`` stays readable; the last diagnosis in full at the end."""

    def __init__(self):
        self.shown: dict = {}

    def update(self, key, w: Watched, stop_gain: float) -> None:
        from losslens.report.text import headline
        from losslens.result import axis_text

        d = w.diagnosis
        # (the Watched itself too: a run started over at the same path is a new run, whose first verdict is said
        # even where it is the old run's last)
        now = (w, d.verdict, d.plateau_epoch)
        was = self.shown.get(key)
        if was is None or was[0] is not w or was[1:] != now[1:]:
            self.shown[key] = now
            typer.echo(f"{d.axis} {axis_text(float(w.axis[-1]))}: {headline(d)}")

    def end(self, watched: dict) -> None:
        from losslens.report.text import print_diagnoses

        done = [w.diagnosis for w in watched.values() if w.diagnosis is not None]
        if done:
            typer.echo("")
            print_diagnoses(done)


class Panel(Lines):
    """A terminal: a rich Live panel, redrawn at each new diagnosis; the last diagnosis in full at the end."""

    def __init__(self, console, path: str, interval: float):
        from rich.live import Live

        super().__init__()
        self.console, self.path, self.interval = console, path, interval
        self.runs: dict = {}
        self.live = Live(self._view(), console=console, auto_refresh=False, transient=True)
        self.live.start()

    def _view(self, stop_gain: float = 0.01):
        from rich.markup import escape
        from rich.panel import Panel as Box
        from rich.text import Text

        from losslens.report.text import COLOURS

        body = Text()
        for w in self.runs.values():
            lines = summary_lines(w, stop_gain)
            body.append(lines[0] + "\n", style=f"bold {COLOURS.get(w.diagnosis.verdict, '')}")
            body.append("\n".join(lines[1:]) + "\n")
        if not self.runs:
            body.append("waiting for rows to diagnose\n")
        body.append(f"updated {time.strftime('%H:%M:%S')}; Ctrl-C to stop", style="dim")
        return Box(body, title=f"losslens watch {escape(self.path)} (every {self.interval:g} s)", expand=False)

    def note(self, text: str) -> None:
        self.console.print(f"losslens: {text}", markup=False, highlight=False)

    def update(self, key, w: Watched, stop_gain: float) -> None:
        self.runs[key] = w
        self.live.update(self._view(stop_gain), refresh=True)

    def close(self) -> None:
        self.live.stop()  # (idempotent)

    def forget(self, key) -> None:
        self.runs.pop(key, None)

    def end(self, watched: dict) -> None:
        self.live.stop()
        done = [w.diagnosis for w in watched.values() if w.diagnosis is not None]
        if done:
            from losslens.report.text import print_diagnoses

            print_diagnoses(done, file=self.console.file)


def _local_path(path: str) -> str | None:
    """The file or folder behind ``path`` (a store URI's too, as the readers take it apart), to poll; None for a
    tracking server (read again at every poll: only new rows are diagnosed)."""
    from losslens.readers import scheme

    kind, target = scheme(path)
    target = target.split("#", 1)[0]  # (a store's run or experiment: mlruns#run=ID)
    if kind == "mlflow":
        from losslens.readers.mlflow import store_path

        local = store_path(target)
        if local is None:
            return None
        target = str(local)
    return os.path.expanduser(target) if target else "."


def _signature(local: str) -> dict | None:
    """{file: (size, inode, mtime_ns)} of the file, or of every file under the folder; None where it is not there."""
    try:
        st = os.stat(local)
    except OSError:
        return None
    if not os.path.isdir(local):
        return {local: (st.st_size, st.st_ino, st.st_mtime_ns)}
    out = {}
    for root, _, files in os.walk(local):
        for name in files:
            p = os.path.join(root, name)
            with contextlib.suppress(OSError):
                s = os.stat(p)
                out[p] = (s.st_size, s.st_ino, s.st_mtime_ns)
    return out


def _goes_on(w: Watched, run, axis) -> bool:
    """Does ``run`` hold the rows ``w`` read before (its axis, and the diagnosed metric but for the last row, which
    a printed log may still complete), and maybe more?"""
    import numpy as np

    if w.axis is None:
        return True
    if len(axis) < w.rows or not np.array_equal(axis[:w.rows], w.axis):
        return False
    now = None if w.diagnosis is None else run.get(w.diagnosis.metric)
    if now is None or w.values is None:
        return True
    k = w.rows - 1
    return bool(np.array_equal(np.asarray(now, dtype=float)[:k], w.values[:k], equal_nan=True))


def _not_yet(exc) -> bool:
    return any(s in getattr(exc, "problem", str(exc)) for s in _NOT_YET)
