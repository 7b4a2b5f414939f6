"""``losslens verify``: retrain with the change each diagnosed cause predicts will matter."""

from __future__ import annotations

import json
from typing import List, Optional

import typer


def register(app):
    @app.command()
    def verify(
        target: str = typer.Argument(
            ..., metavar="FILE.py:FUNCTION",
            help="Your training function, as path/to/train.py:train or package.module:train. It takes "
                 "lr_factor, epochs_factor, size_factor, data_factor, shuffle_labels, from_epoch (those it "
                 "can; seed for --seeds) and returns a Keras History, a dict of lists, a DataFrame or a log path."),
        cause: Optional[List[str]] = typer.Option(
            None, "--cause", "-c",
            help="Check this cause (repeat); default: the verdict, the other likely causes and, after converged, "
                 "whether a bigger model or more data goes lower."),
        seeds: Optional[str] = typer.Option(
            None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2 (train must take `seed`); means are compared."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose."),
        classes: Optional[int] = typer.Option(None, "--classes", help="Number of classes K (chance level 1/K)."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object (schema losslens.verification/1)."),
        plot: Optional[str] = typer.Option(
            None, "--plot", help="Also draw the baseline and each retrained curve to this .png/.svg/.pdf."),
        baseline: Optional[List[str]] = typer.Option(
            None, "--baseline", "-b",
            help="The run already trained (a log losslens diagnose reads; repeat once per seed with --seeds) "
                 "instead of training the baseline again."),
    ):
        """Diagnose a training function's run, then retrain it with each cause's counterfactual
        (lr/10, lr x10, twice the epochs, half or twice the data, a smaller or bigger model,
        shuffled labels) and say whether the prediction held. Exit 0: the verdict's prediction
        held (or it has nothing to retrain), 1: it failed (with --cause: one of theirs did),
        2: bad input."""
        from losslens.api import to_runs
        from losslens.cli import fail, require_matplotlib, run_guarded
        from losslens.verification import verify as _verify

        if plot:
            require_matplotlib("--plot")  # before any retraining
        train = load_target(target)
        base = None
        if baseline:
            base = [r for b in baseline for r in run_guarded(to_runs, b)]
        seed_list = None
        if seeds:
            try:
                seed_list = [int(s) for s in seeds.split(",") if s.strip()]
            except ValueError:
                fail(f"--seeds {seeds!r}: expected comma-separated integers such as 0,1,2")
        try:
            result = _verify(train, baseline=base, causes=cause or None, seeds=seed_list, metric=metric,
                             classes=classes, progress=None if not json_out else False)
        except (TypeError, ValueError) as exc:
            fail(f"{target}: {str(exc).splitlines()[0]}")
        except Exception as exc:  # noqa: BLE001 — the user's training code failed: one line, not our traceback
            fail(f"{target}: training raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                 "(call it in Python for the traceback)")
        if json_out:
            typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        else:
            typer.echo(str(result))
        if plot:
            run_guarded(result.save_plot, plot)
            typer.echo(f"wrote {plot}", err=json_out)
        # 1 when a prediction that was asked about failed: the verdict's, or each --cause's.
        failed = [c for c in (cause or [result.diagnosis.verdict]) if result.holds(c) is False]
        raise typer.Exit(1 if failed else 0)


def load_target(target: str):
    """``path/to/file.py:function`` or ``package.module:function`` -> the function."""
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    from losslens.cli import fail

    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        fail(f"{target}: expected FILE.py:FUNCTION or module:FUNCTION")
    path = Path(module_name)
    try:
        if module_name.endswith(".py") or path.exists():
            if not path.is_file():
                fail(f"{module_name}: no such file")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(path.resolve().parent))  # its own imports of neighbouring files
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 — any import error of the user's file is one line
        fail(f"{module_name}: could not import it: {type(exc).__name__}: {exc}")
    fn = getattr(module, attr, None)
    if not callable(fn):
        fail(f"{target}: {module_name} has no function {attr!r}")
    return fn
