"""``losslens forecast``: where is the curve heading, and will more epochs help?"""

from __future__ import annotations

import json
import sys
from typing import List, Optional

import typer


def register(app):
    @app.command()
    def forecast(
        paths: List[str] = typer.Argument(..., help="Log files, directories or store URIs."),
        horizon: Optional[float] = typer.Option(
            None, "--horizon", help="Epoch (or step) to forecast to; default twice the logged length."),
        metric: Optional[str] = typer.Option(
            None, "--metric", "-m", help="Series to forecast (default: val_loss, else train_loss)."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object per run (JSON Lines)."),
        run_id: Optional[str] = typer.Option(None, "--run", help="Only the run with this id/name."),
    ):
        """Forecast the value at the horizon with a 90% interval, the plateau epoch X and
        the probability that training on lowers the metric by more than 1%."""
        from losslens.api import to_runs
        from losslens.cli import run_guarded
        from losslens.forecast import forecast_run

        for path in paths:
            runs = run_guarded(to_runs, path, run_id=run_id)
            for run in runs:
                fc = run_guarded(forecast_run, run, horizon=horizon, metric=metric)
                if json_out:
                    out = {"schema": "losslens.forecast/1", "source": run.source, "run": run.name,
                           "axis": run.axis_name}
                    out.update(fc.to_dict())
                    sys.stdout.write(json.dumps(out, allow_nan=False) + "\n")
                else:
                    typer.echo(describe(fc, run.name, run.axis_name))


def describe(fc, name: str, axis: str) -> str:
    """A few lines for people: value at the horizon, interval, gain, p(improve), X."""
    def g(v):
        return "n/a" if v is None else f"{v:.4g}"

    lines = [f"{name}: {fc.metric} at {axis} {g(fc.horizon)}: {g(fc.value)} "
             f"(90% interval {g(fc.interval[0])} to {g(fc.interval[1])}); now {g(fc.level)} "
             f"at {axis} {g(fc.x_last)}"]
    if fc.reason:
        lines.append(f"  {fc.reason}")
        return "\n".join(lines)
    verb = "lower" if fc.gain >= 0 else "higher"
    lines.append(f"  forecast: {abs(fc.gain) * 100:.1f}% {verb} by {axis} {g(fc.horizon)}; "
                 f"P(more than 1% lower) = {fc.p_improve:.2f}")
    if fc.plateau_epoch is not None:
        where = "already" if fc.plateau_epoch <= fc.x_last else "forecast"
        lines.append(f"  plateau {axis} X = {g(fc.plateau_epoch)} ({where}; 95% of the improvement "
                     f"forecast by {axis} {g(fc.horizon)})")
    return "\n".join(lines)
