"""``losslens data``: would more training data help? A learning curve over training-set size, forecast."""

from __future__ import annotations

import json
import sys
from typing import List, Optional

import typer


def register(app):
    @app.command()
    def data(
        paths: List[str] = typer.Argument(..., help="Tables of training-set size and validation loss or score "
                                                    "(CSV/TSV/JSON; one row per size, or per size and fold/seed)."),
        factor: float = typer.Option(2.0, "--factor", "-f", min=1.0, help="Forecast for this many times the largest training set."),
        size: Optional[str] = typer.Option(None, "--size", help="Column of training-set sizes (default: found by name)."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Column of validation loss or score (default: found by name)."),
        higher: Optional[bool] = typer.Option(None, "--higher-is-better/--lower-is-better",
                                              help="Is the metric a score (accuracy) or a loss? Default: from its name, else from the curve."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object per file (schema losslens.data/1)."),
        plot: Optional[str] = typer.Option(None, "--plot", help="Also save the learning curve and the forecast "
                                                                "(.png/.svg/.pdf; with several files, one per file: name-1.png ...)."),
    ):
        """Forecast the validation loss with FACTOR times the data (90% interval, P(>10% lower))
        from a learning curve, and say whether the model is data-limited."""
        from losslens.api import more_data
        from losslens.cli import fail, require_matplotlib, run_guarded

        if factor <= 1.0:
            fail("--factor must be above 1 (times the largest training set)")
        if plot is not None:
            require_matplotlib("--plot")
        for i, path in enumerate(paths):
            fc = run_guarded(more_data, path, factor=factor, size=size, metric=metric, greater_is_better=higher)
            if plot is not None:
                from pathlib import Path

                target = Path(plot) if len(paths) == 1 else Path(plot).with_stem(f"{Path(plot).stem}-{i + 1}")
                run_guarded(fc.save_plot, target)
                typer.echo(f"wrote {target}", err=json_out)
            if json_out:
                sys.stdout.write(json.dumps({"source": path} | fc.to_dict(), allow_nan=False) + "\n")
            else:
                typer.echo(describe(fc, path))


def describe(fc, name: str) -> str:
    """The verdict first, then the forecast and the curve it came from."""
    from losslens.facts.learning_curve import DATA_GAIN, MIN_SIZES

    lc = fc.curve
    verdict = ("data_limited: more data will lower the validation loss" if fc.data_limited
               else f"not clearly data-limited: doubling the data is not forecast to lower the loss by {DATA_GAIN:.0%}"
               if lc.gain_if_doubled < DATA_GAIN else "possibly data-limited: the forecast gain is large, but from two sizes only"
               if lc.sizes.shape[0] < MIN_SIZES else "possibly data-limited: the forecast gain is large but the folds disagree")
    folds = lc.losses.shape[0]
    curve = ", ".join(f"{n:,.0f}: {v:.4g}" for n, v in zip(lc.sizes, lc.losses.mean(0)))
    lines = [f"{name}: {verdict}", f"  {fc.summary()}",
             f"  learning curve ({lc.metric}{f', mean of {folds} folds' if folds > 1 else ''}) {curve}",
             f"  log-log slope over the largest sizes {lc.slope:.2f}"
             + (f" (t = {lc.slope_t:.1f} across folds)" if lc.slope_t is not None else "")]
    if lc.sizes.shape[0] < 4:
        lines.append(f"  only {lc.sizes.shape[0]} sizes: measure more (e.g. 10%, 25%, 50%, 100% of the data) to trust the slope")
    return "\n".join(lines)
