"""``losslens report`` (one self-contained HTML file for many runs) and ``losslens plot`` (a figure).

Only typer and the standard library are imported here; the readers, the diagnosis and
matplotlib are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from losslens.exceptions import one_line

#: Show progress bars from this many runs on (fewer finish before a bar would be seen).
PROGRESS_FROM = 20


def register(app):
    from losslens.cli import higher_option

    @app.command()
    def report(
        paths: List[str] = typer.Argument(..., metavar="PATH", help="Log files, directories or store URIs (tb:, mlflow:, wandb:)."),
        output: Path = typer.Option(Path("losslens-report.html"), "--output", "-o",
                                    help="HTML file to write (one self-contained file, works offline)."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose (default: val_loss, else val_acc, else train_loss)."),
        classes: Optional[int] = typer.Option(None, "--classes", "-k", min=2, help="Number of classes K (chance level 1/K)."),
        horizon: Optional[float] = typer.Option(None, "--horizon", help="Forecast to this epoch (or step): draws the forecast band."),
        run_id: Optional[str] = typer.Option(None, "--run", help="Only the run with this id/name (long-format files, folders, stores); a path without it is skipped with a line on stderr, and none with it is an error."),
        title: str = typer.Option("losslens report", "--title", help="Page title."),
        higher: Optional[bool] = higher_option(),
    ):
        """Write an HTML report: an annotated chart and a verdict card per run, and an overview table."""
        from losslens.cli import end_bad_inputs, fail, refuse_overwriting_input, require_output_folder, run_guarded

        refuse_overwriting_input(output, paths)
        require_output_folder(output)
        if output.suffix.lower() in (".png", ".svg", ".pdf"):
            # It wrote its HTML page under that name: a .png no viewer opens, with or without matplotlib.
            fail(f"{output}: losslens report writes one HTML page; name it .html (a figure of one run: "
                 f"losslens plot RUN -o {output.name})")
        diagnoses = run_guarded(diagnose_paths, paths, metric=metric, classes=classes, horizon=horizon,
                                run_id=run_id, higher_is_better=higher)
        # A folder's logs are known only once read: `report runs/ -o runs/a.csv` replaced the log a.csv.
        refuse_overwriting_input(output, {str(d.source) for d in diagnoses if d.source})
        path = run_guarded(_write, diagnoses, output, title)
        typer.echo(f"wrote {path} ({len(diagnoses)} run{'s' if len(diagnoses) != 1 else ''})")
        end_bad_inputs(diagnoses)

    @app.command()
    def plot(
        path: str = typer.Argument(..., metavar="PATH", help="A log file, directory or store URI holding the run."),
        output: Path = typer.Option(..., "--output", "-o", help="Figure to write: .png, .svg or .pdf."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose (default: val_loss, else val_acc, else train_loss)."),
        classes: Optional[int] = typer.Option(None, "--classes", "-k", min=2, help="Number of classes K (chance level 1/K)."),
        horizon: Optional[float] = typer.Option(None, "--horizon", help="Forecast to this epoch (or step): draws the forecast."),
        run_id: Optional[str] = typer.Option(None, "--run", help="The run to draw when PATH holds several."),
        dpi: int = typer.Option(150, "--dpi", min=30, max=1200, help="Resolution of a .png."),
        higher: Optional[bool] = higher_option(),
    ):
        """Draw one run's annotated chart (curves, X, phases, validation minimum, gap, forecast) with matplotlib."""
        from losslens.cli import fail, refuse_overwriting_input, require_matplotlib, require_output_folder, run_guarded

        refuse_overwriting_input(output, [path])
        require_output_folder(output)
        if output.suffix.lower() not in (".png", ".svg", ".pdf"):
            fail(f"{output}: unknown figure format {output.suffix or '(none)'!r}; use .png, .svg or .pdf")
        require_matplotlib("losslens plot")
        runs = run_guarded(read_paths, [path], run_id=run_id, metric=metric, progress=False)
        if len(runs) != 1:
            if not runs:
                fail(f"{path}: no run found")
            from losslens.report.text import distinct_names
            ids = [r.meta.get("run_id") for r in runs]
            if len({r.name for r in runs}) == len(runs) or not all(ids):
                fail(f"{path}: holds {len(runs)} runs; pick one with --run (e.g. --run {runs[0].name!r})")
            # several runs share a name (--run NAME matched them all): only an id tells them apart
            fail(f"{path}: holds {len(runs)} runs{' named ' + repr(run_id) if run_id else ''}; pick one by its id "
                 f"with --run: {'; '.join(distinct_names(runs))}")
        diagnoses = run_guarded(diagnose_runs, runs, metric=metric, classes=classes, horizon=horizon,
                                progress=False, higher_is_better=higher)
        from losslens.report.plot import save_plot

        written = run_guarded(save_plot, diagnoses[0], output, dpi=dpi)
        typer.echo(f"wrote {written}")


def progress_bar(enabled: bool):
    """A rich progress bar on stderr (transient), drawn only where stderr is an interactive terminal
    (:func:`losslens.report.text.draws_live`: not into a file or pipe under FORCE_COLOR)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from losslens.report.text import draws_live

    console = Console(stderr=True)
    # Off the terminal (piped, captured) even a disabled bar's live display ends with a blank line.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True,
                    disable=not (enabled and draws_live(console)))


class Read(list):
    """The runs :func:`read_paths` read, and ``bad``: the one-line problem of each path given that could not be
    read (already said on stderr); a command ends in exit 2 where it holds any (:func:`losslens.cli.end_bad_inputs`),
    once the good paths' runs have been reported."""

    def __init__(self, runs=(), bad=(), origin=None):
        super().__init__(runs)
        self.bad = list(bad)
        #: The path named on the command line that each run was read from (one per run, in order; None: not
        #: known, or one path named): :func:`map_runs` tells a named path that gave no report from a run passed
        #: over among others.
        self.origin = origin


def read_paths(paths, *, run_id=None, metric=None, progress=True) -> Read:
    """Every run in every path (with a bar on a terminal). ``run_id`` is looked for in each path: it is read
    where it is, and each path that lacks it is one "skipped" line on stderr; where no path holds it, one
    line naming every path is the error. Of several paths, one that cannot be read (no such file, no loss
    column, not a log) is one line on stderr, as a folder's bad file is, and the others are read: ``bad`` on
    the result holds those lines (exit 2 once the rest is reported); where none could be read, the first is the
    error. One path's problem is raised as it is."""
    from rich.markup import escape

    from losslens.api import to_runs
    from losslens.cli import bad_input_line, end_skipped
    from losslens.exceptions import LosslensError, RunNotFoundError
    from losslens.readers import _source, reporting

    runs, lacking, bad, origin = [], [], [], []
    # One large long-format file can take seconds to read: the bar names the file being read; a folder or store of
    # many runs (a sweep: 300 TensorBoard runs read for 40 s, 500 MLflow runs for 110 s), each part as it is read.
    # Within one big file (a million printed lines parsed for 20 s), the share of it read so far, the bar filled as
    # far; within a folder's file, that share beside the run's name (the bar counts the paths).
    with progress_bar(progress) as bar:
        task = bar.add_task("reading", total=len(paths))
        for i, p in enumerate(paths):
            name, parts = escape(Path(str(p)).name), []

            def part(what, name=name, parts=parts):
                parts.append(what)
                bar.update(task, description=f"reading {name}: {escape(what)} ({len(parts)})")

            def within(done, total, name=name, parts=parts, i=i):
                share = done / max(total, 1)
                if parts:
                    bar.update(task, description=f"reading {name}: {escape(parts[-1])} ({len(parts)}) {share:.0%}")
                else:
                    bar.update(task, description=f"reading {name} {share:.0%}", completed=i + share)

            bar.update(task, description=f"reading {name}")
            try:
                with reporting(part, None if bar.disable else within), _source.command_line():
                    found = to_runs(p, run_id=run_id, metric=metric)
                runs.extend(found)
                origin.extend([str(p)] * len(found))
            except RunNotFoundError as exc:
                if len(paths) == 1:
                    raise
                lacking.append(exc)
            except (LosslensError, OSError) as exc:
                line = bad_input_line(exc)
                if len(paths) == 1 or line is None:
                    raise
                bad.append(line)
            bar.update(task, completed=i + 1)
    if lacking and not runs and not bad:
        raise RunNotFoundError(f"no run {run_id!r} in any of the {len(paths)} paths: "
                               + "; ".join(str(exc) for exc in lacking))
    for line in bad:
        typer.echo(f"losslens: {one_line(line)}", err=True)
    if bad and not runs:
        raise typer.Exit(2)  # (each path's line said above: none is more the error than the others)
    end_skipped([str(exc) for exc in lacking], len(runs))
    from losslens.readers.directory import name_apart
    return Read(name_apart(runs), bad, origin if len(paths) > 1 else None)


def map_runs(fn, runs, *, what: str = "diagnosing", progress=True) -> list:
    """``fn(run)`` for every run (a bar when there are many). Of several runs, one that ``fn``
    refuses (the metric asked for missing in it ...) is skipped with a line on stderr; with none
    left, the first problem is the error. A single run's problem is raised as it is.

    Of several paths named (``runs``: :func:`read_paths`' :class:`Read`), one that gave no report (one file,
    too short) is a path that cannot be read, as the README's exit codes have it: its line on stderr, not
    "skipped", and added to ``runs.bad`` (exit 2 once the others are reported; where none gave one, each path's
    line, exit 2). ``diagnose scale_1.csv one.csv`` (one.csv 1 epoch) exited 0 with one.csv only "skipped", and
    ``diagnose one.csv two.csv`` named one.csv and "(and 1 more run)"."""
    from losslens.cli import end_skipped
    from losslens.exceptions import LosslensError

    out, skipped, reported = [], [], set()
    origin = getattr(runs, "origin", None)
    with progress_bar(progress and len(runs) >= PROGRESS_FROM) as bar:
        task = bar.add_task(what, total=len(runs))
        for k, run in enumerate(runs):
            where = origin[k] if origin else None
            try:
                out.append(fn(run))
                reported.add(where)
            except LosslensError as exc:
                if len(runs) == 1:
                    raise
                skipped.append((where, f"{run.source or '?'} [{run.name}]: {exc.problem}"))
            bar.advance(task)
    if origin:
        _end_unreported(runs, skipped, reported)
        skipped = [(where, line) for where, line in skipped if where in reported]
    end_skipped([line for _, line in skipped], len(out))
    return out


def _end_unreported(runs, skipped: list, reported: set) -> None:
    """Each named path whose every run :func:`map_runs` skipped (``skipped``: ``(path, line)``; ``reported``:
    the paths that gave a report) is one line on stderr, kept in ``runs.bad``; where none gave a report, exit 2."""
    lines: dict[str, list[str]] = {}
    for where, line in skipped:
        if where not in reported:
            lines.setdefault(where, []).append(line)
    for first, *more in lines.values():
        line = first + (f" (and {len(more)} more run{'s' if len(more) > 1 else ''})" if more else "")
        typer.echo(f"losslens: {one_line(line)}", err=True)
        runs.bad.append(line)
    if lines and not reported:
        raise typer.Exit(2)  # (each path's line said above: none is more the error than the others)


def diagnose_runs(runs, *, metric=None, classes=None, horizon=None, progress=True, higher_is_better=None) -> list:
    """Diagnose every run, as :func:`map_runs` does."""
    from losslens.diagnosis import diagnose_run

    return map_runs(lambda run: diagnose_run(run, metric=metric, classes=classes, horizon=horizon,
                                             higher_is_better=higher_is_better), runs, progress=progress)


def diagnose_paths(paths, *, metric=None, classes=None, horizon=None, run_id=None, progress=True,
                    higher_is_better=None):
    runs = read_paths(paths, run_id=run_id, metric=metric, progress=progress)
    return Read(diagnose_runs(runs, metric=metric, classes=classes, horizon=horizon, progress=progress,
                              higher_is_better=higher_is_better), runs.bad)


def _write(diagnoses, output: Path, title: str):
    from losslens.report.html import write_report

    with progress_bar(len(diagnoses) >= PROGRESS_FROM) as bar:
        task = bar.add_task("writing report", total=len(diagnoses))
        return write_report(diagnoses, output, title=title, progress=lambda n: bar.advance(task, n))
