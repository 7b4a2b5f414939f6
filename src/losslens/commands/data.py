"""``losslens data``: would more training data help? A learning curve over training-set size, forecast."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer


def register(app):
    @app.command()
    def data(
        paths: List[str] = typer.Argument(..., metavar="PATH", help="Tables of training-set size and validation loss or score "
                                                    "(CSV/TSV/JSON; one row per size, or per size and fold/seed; "
                                                    "a model/dataset/learner or other text column: several curves)."),
        factor: float = typer.Option(2.0, "--factor", "-f", help="Forecast for this many times the largest training set "
                                                                     "(a finite number above 1)."),
        size: Optional[str] = typer.Option(None, "--size", help="Column of training-set sizes (default: found by name)."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Column of validation loss or score (default: found by name)."),
        curve: Optional[str] = typer.Option(None, "--curve", help="In a file of several curves, only this one "
                                                                  "(its ids joined by '/', e.g. 3/SVC_linear)."),
        higher: Optional[bool] = typer.Option(None, "--higher-is-better/--lower-is-better",
                                              help="Is the metric a score (accuracy) or a loss? Default: from its name, else from the curve."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object per curve (schema losslens.data/1)."),
        plot: Optional[str] = typer.Option(None, "--plot", help="Also save the learning curve and the forecast "
                                                                "(.png/.svg/.pdf; with several files, one per file: name-1.png ...)."),
    ):
        """Forecast the validation loss with FACTOR times the data (90% interval, P(>10% lower))
        from a learning curve, and say whether the model is data-limited. A file of several
        curves (one per model or dataset) gets one row each."""
        from losslens.cli import (fail, plot_target, refuse_overwriting_inputs_by_plots, require_matplotlib,
                                  run_guarded)
        from losslens.exceptions import check_number
        from losslens.readers.learning_curve import pick_curve, read_learning_curves

        if plot is not None:
            refuse_overwriting_inputs_by_plots(plot, len(paths), paths)
        # One line for every bad factor, in the words the Python API uses: a range on the option answered 0.5 and
        # nan in a usage block ("greater than or equal to 1", which 1 is and fails here), inf with the keyword.
        run_guarded(check_number, "--factor", factor, above=1, means="times the largest training set")
        if plot is not None:
            require_matplotlib("--plot")
        for i, path in enumerate(paths):
            curves, by = run_guarded(read_learning_curves, path, size=size, metric=metric)
            if curve is not None or len(curves) == 1:
                target = None if plot is None else plot_target(plot, i, len(paths))
                _show_one(path, run_guarded(pick_curve, curves, by, curve, path), factor, higher, json_out, target,
                          len(paths))
            elif plot is not None:
                fail(f"{path}: --plot draws one learning curve; pick it with --curve "
                     f"({len(curves)} curves by {'/'.join(by)})")
            else:
                _show_many(path, curves, by, factor, higher, json_out)


def _show_one(path, entry, factor, higher, json_out, target, n=1) -> None:
    """One curve: the verdict paragraph (or its JSON), and its chart when asked (``n``: the charts written, for the
    "wrote" line: of several, it says whose each is)."""
    from losslens.cli import run_guarded, wrote_line

    name, sizes, values, col, repeats = entry
    fc = run_guarded(_forecast, sizes, values, col, higher, factor, _label(path, name), repeats)
    if target is not None:
        run_guarded(fc.save_plot, target)
        typer.echo(wrote_line(target, n, _label(path, name)), err=json_out)
    if json_out:
        _write_json(path, name, fc.to_dict())
    else:
        typer.echo(describe(fc, _label(path, name)))


def _show_many(path, curves, by, factor, higher, json_out) -> None:
    """A file of several curves: a row (or JSON object) each; a curve that cannot be forecast is a
    row saying why, and when none can, one line and exit 2."""
    from losslens.cli import end_skipped
    from losslens.commands.report import PROGRESS_FROM, progress_bar

    rows = []
    with progress_bar(len(curves) >= PROGRESS_FROM) as bar:  # LCDB's 4,367 curves take seconds
        task = bar.add_task("forecasting", total=len(curves))
        for name, sizes, values, col, repeats in curves:
            rows.append((name, *_try_forecast(sizes, values, col, higher, factor, _label(path, name), repeats)))
            bar.advance(task)
    if all(fc is None for _, fc, _ in rows):
        end_skipped([f"{path} [{name}]: {problem}" for name, _, problem in rows], 0, what="curve")
    if json_out:
        for name, fc, problem in rows:
            _write_json(path, name, fc.to_dict() if fc is not None else {"error": problem})
    else:
        _print_table(path, by, factor, rows)


def _forecast(sizes, values, metric, higher, factor, source, repeats="folds"):
    from losslens.facts.learning_curve import from_scores

    return from_scores(sizes, values, metric=metric, greater_is_better=higher, source=source,
                       repeats=repeats).forecast(factor)


def _try_forecast(sizes, values, metric, higher, factor, source, repeats="folds"):
    """``(forecast, None)`` or, for a curve that cannot be forecast, ``(None, its problem)``:
    one bad curve of many is a row that says why, not the end of the table."""
    from losslens.exceptions import LosslensError

    try:
        return _forecast(sizes, values, metric, higher, factor, source, repeats), None
    except LosslensError as exc:
        return None, exc.problem


def _label(path: str, name: str | None) -> str:
    return path if name is None else f"{path} [{name}]"


def _write_json(path: str, name: str | None, body: dict) -> None:
    from losslens.result import json_text

    head = {"source": path} if name is None else {"source": path, "curve": name}
    sys.stdout.write(json_text(head | body) + "\n")


def _print_table(path: str, by: list, factor: float, rows: list) -> None:
    """One row per curve; the data-limited count first (a file can hold thousands)."""
    from rich.markup import escape
    from rich.table import Table

    from losslens.report.text import console
    ok = [fc for _, fc, _ in rows if fc is not None]
    limited = sum(fc.data_limited for fc in ok)
    table = Table(title=f"{path}: {len(rows)} learning curves by {'/'.join(by)}; {limited} data-limited, "
                        f"{len(rows) - len(ok)} not forecast", show_lines=False)
    for col in ("curve", "sizes", "largest", "loss now", f"at {factor:g}x", "90% interval", "P(>10% lower)", "verdict"):
        table.add_column(col, overflow="fold")
    for name, fc, problem in rows:
        if fc is None:
            table.add_row(escape(name), "", "", "", "", "", "", f"[dim]not forecast: {escape(problem)}[/]")
            continue
        lo, hi = fc.interval
        verdict = "[red]data_limited[/]" if fc.data_limited else "not clearly"
        table.add_row(escape(name), str(fc.curve.sizes.shape[0]), f"{fc.size:,.0f}", f"{fc.level:.4g}",
                      f"{fc.value:.4g} ({-fc.gain:+.0%})", f"{lo:.4g} to {hi:.4g}", f"{fc.p_gain:.2f}", verdict)
    console().print(table)
    note = next((fc.note for _, fc, _ in rows if fc is not None and fc.note), None)
    if note:  # the same for every row: the factor is one for the table
        console().print(f"factor: {escape(note)}")


def describe(fc, name: str) -> str:
    """The verdict first, then the forecast and the curve it came from (:meth:`DataForecast.verdict` and
    :meth:`~DataForecast.evidence`: the diagnosis's data_limited evidence says the same). The verdict reads twice
    the data (``data_limited`` is "doubling lowers it 10%"); a headline under another ``--factor`` speaks of that
    factor too, so a "not clearly" line does not sit above a 17% forecast for 4x."""
    label, sentence = fc.verdict()
    return "\n".join([f"{name}: {label}: {sentence}", *(f"  {line}" for line in fc.evidence())])
