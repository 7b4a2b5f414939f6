"""``losslens verify``: retrain with the change each diagnosed cause predicts will matter."""

from __future__ import annotations

import contextlib
import shlex
import sys
from typing import List, Optional

import typer


def register(app):
    from losslens.cli import baseline_loss_option, noise_floor_option, offset_free_option

    @app.command()
    def verify(
        target: str = typer.Argument(
            ..., metavar="FILE.py:FUNCTION",
            help="Your training function, as path/to/train.py:train or package.module:train. It takes "
                 "lr_factor, epochs_factor, size_factor, data_factor, shuffle_labels, decay_factor, dropout_factor, "
                 "from_epoch, class_weight (those it can; seed for --seeds) and returns a Keras History, a dict of "
                 "lists, a DataFrame, a fitted scikit-learn MLP or gradient-boosting model, or a log path."),
        cause: Optional[List[str]] = typer.Option(
            None, "--cause", "-c",
            help="Check this cause (repeat); default: the verdict, the other likely causes and, after converged, "
                 "whether a bigger model or more data goes lower."),
        seeds: Optional[str] = typer.Option(
            None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2 (train must take `seed`); the verdict is read on the seeds' "
                              "mean curve and the checks compare means (a seed that alone reads otherwise is said)."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose."),
        classes: Optional[int] = typer.Option(None, "--classes", "-k", min=2, help="Number of classes K (chance level 1/K)."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object (schema losslens.verification/1)."),
        plot: Optional[str] = typer.Option(
            None, "--plot", help="Also draw the baseline and each retrained curve to this .png/.svg/.pdf."),
        baseline: Optional[List[str]] = typer.Option(
            None, "--baseline", "-b",
            help="The run already trained (a log losslens diagnose reads; repeat once per seed with --seeds) "
                 "instead of training the baseline again."),
        noise_floor: Optional[float] = noise_floor_option(),
        baseline_loss: Optional[float] = baseline_loss_option(),
        offset_free: bool = offset_free_option(),
    ):
        """Diagnose a training function's run, then retrain it with each cause's counterfactual
        (lr/10, lr x10, twice the epochs, half or twice the data, a smaller or bigger model,
        shuffled labels) and say whether the prediction held. Exit 0: the verdict's prediction
        held (or it has nothing to retrain), 1: it failed (with --cause: one of theirs did),
        2: bad input (one line on stderr), or it was not checked or not decided (its retrainings failed, changed
        nothing, or moved the loss no further than train() unchanged moves it), said with its reason on the report's
        last lines (--json: its "summary" and "asked")."""
        from losslens.api import to_runs
        from losslens.cli import (check_baseline_loss_option, check_figure_path, check_noise_floor_option, fail,
                                  needs_package, require_matplotlib, run_guarded)
        from losslens.exceptions import LosslensError
        from losslens.result import json_text
        from losslens.verification import Interrupted, TrainingError, error_line, verify as _verify

        check_noise_floor_option(noise_floor)  # (before train.py is imported: importing it may start a training)
        check_baseline_loss_option(baseline_loss)
        if plot:  # before any retraining: a typo in the figure's name must not cost the whole run
            require_matplotlib("--plot")
            check_figure_path(plot)
        # --json's stdout is the one object: what the training prints (Keras's progress bar at its default
        # verbose, a loop's print per epoch, a script's prints on import) goes to stderr.
        theirs = contextlib.redirect_stdout(sys.stderr) if json_out else contextlib.nullcontext()
        with theirs:
            train = load_target(target)
        from losslens.verification import KEYWORDS, keywords_taken, require_callable_as_verify_calls
        # A parameter verify never passes first: it is the mistake to fix. verify() checks it too (the Python API's
        # guard, before the baseline trains), but only after the keyword check below, the --baseline logs and
        # --seeds, each of which would speak first (`def train(lr)`: "takes none of the keywords").
        try:
            require_callable_as_verify_calls(train)
        except LosslensError as exc:
            fail(f"{target}: {exc}")
        takes = keywords_taken(train)
        if "*" not in takes and not takes & set(KEYWORDS):  # every check would be skipped, after the baseline's training
            name = getattr(train, "__name__", type(train).__name__)  # (the function named, not verify's word for it)
            fail(f"{target}: {name}() takes none of the keywords verify changes ({', '.join(KEYWORDS)}): there is "
                 "nothing to retrain; give it those your training can vary (losslens diagnose reads a run as it is)")
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
            with theirs:
                result = _verify(train, baseline=base, causes=cause or None, seeds=seed_list, metric=metric,
                                 classes=classes, progress=None if not json_out else False,
                                 noise_floor=noise_floor, baseline_loss=baseline_loss, offset_free=offset_free)
        except Interrupted as stop:  # Ctrl-C mid-retraining: what was read before it; the CLI's own line, exit 130
            typer.echo(json_text(stop.partial.to_dict()) if json_out else str(stop.partial))
            raise
        except TrainingError as exc:  # the user's training code failed: one line, not our traceback
            err = exc.error
            missing = needs_package(err)
            if missing:
                fail(f"{target}: training {missing}")
            what = (f"called sys.exit({err.code!r})" if isinstance(err, SystemExit)
                    else f"raised {type(err).__name__}: {error_line(err)}")
            fail(f"{target}: training {what} (call it in Python for the traceback)")
        except LosslensError as exc:  # what train returned (or the --baseline log) cannot be diagnosed; how train
            # is called or returns, --cause, --seeds (a UsageError). Any other TypeError/ValueError is a bug: exit 3.
            fail(f"{target}: {str(exc).splitlines()[0]}")
        if json_out:
            typer.echo(json_text(result.to_dict()))
        else:
            typer.echo(str(result))
            if result.next_cause:  # (the command to run, as the summary's last clause names it)
                # (with the options this run was given: without --seeds or --baseline it checks another run)
                kept = [*(["--seeds", seeds] if seeds else []), *(["--metric", metric] if metric else []),
                        *(["--classes", str(classes)] if classes else []),
                        *(["--noise-floor", repr(noise_floor)] if noise_floor is not None else []),
                        *(["--baseline-loss", repr(baseline_loss)] if baseline_loss is not None else []),
                        *(["--offset-free"] if offset_free else []),
                        *(a for b in baseline or [] for a in ("--baseline", b))]
                typer.echo(f"try: losslens verify {shlex.quote(target)} --cause {result.next_cause[0]}"
                           + "".join(f" {shlex.quote(a)}" for a in kept))
        if plot:
            run_guarded(result.save_plot, plot)
            typer.echo(f"wrote {plot}", err=json_out)
        # 1 when a prediction that was asked about failed: the verdict's, or each --cause's.
        asked = cause or [result.diagnosis.verdict]
        failed = [c for c in asked if result.holds(c) is False]
        # 2 where no reading was decided (each retraining trained on from the one before), or one asked about was
        # left not checked (each retraining for it raised, or changed nothing) or not decided (it moved the loss no
        # further than train() unchanged, or the tail's noise): exit 0 read as a pass to a script. A result, as
        # compare's: its reason is the report's last lines on stdout (the verdict's, an `asked` line; --json: its
        # "summary" and "asked"), and nothing on stderr, where a line "losslens: train.py:train: ..." is the form of an
        # input that cannot be read.
        if result.warm_start or (not failed and any(result.unsettled(c) for c in asked)):
            raise typer.Exit(2)
        raise typer.Exit(1 if failed else 0)


def load_target(target: str):
    """``path/to/file.py:function`` or ``package.module:function`` -> the function."""
    import contextlib
    import importlib
    import importlib.util
    import inspect
    import io
    import sys
    from pathlib import Path

    from losslens.cli import fail, needs_package

    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        bare = target.rstrip(":")
        if bare.endswith(".py") and Path(bare).is_file():
            fail(_name_the_function(bare))
        fail(f"{target}: expected FILE.py:FUNCTION or module:FUNCTION")
    path = Path(module_name)
    try:
        if module_name.endswith(".py") or path.exists():
            if not path.is_file():
                fail(f"{module_name}: no such file")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(path.resolve().parent))  # its own imports of neighbouring files
            # A script that parses its arguments on import (argparse at module level) sees the command line
            # `python train.py` gives it, not losslens's (`verify train.py:train` it would call unrecognized).
            # What it prints to stderr while importing is held back, and given back unless it exits: an
            # argparse error is then one line of ours, not its usage block.
            argv, sys.argv = sys.argv, [str(path)]
            said = io.StringIO()
            try:
                with contextlib.redirect_stderr(said):
                    spec.loader.exec_module(module)
            except SystemExit as exc:
                last = [ln for ln in said.getvalue().splitlines() if ln.strip()][-1:]
                fail(f"{module_name}: importing it exited (sys.exit({exc.code!r})"
                     + (f": {last[0].strip()}" if last else "")
                     + "): the code at the top of the file ran; put it under `if __name__ == \"__main__\":` "
                     "so verify can import train without running it")
            finally:
                sys.argv = argv
            sys.stderr.write(said.getvalue())
        else:
            module = importlib.import_module(module_name)
    except typer.Exit:
        raise
    except SystemExit as exc:  # a module imported by name that exits on import
        fail(f"{module_name}: importing it exited (sys.exit({exc.code!r})): the code at the top of the module ran")
    except Exception as exc:  # noqa: BLE001 — any import error of the user's file is one line
        missing = needs_package(exc)
        fail(f"{module_name}: {missing}" if missing else f"{module_name}: could not import it: {type(exc).__name__}: {exc}")
    fn = getattr(module, attr, None)
    if fn is not None and not callable(fn):
        fail(f"{target}: {attr!r} in {module_name} is not a function (its type: {type(fn).__name__})")
    if fn is None:
        # an ill-named function is most often a typo: name the ones the file defines
        own = [k for k, v in vars(module).items()
               if inspect.isfunction(v) and v.__module__ == module.__name__ and not k.startswith("_")]
        fail(f"{target}: {module_name} has no function {attr!r}"
             + (f" (it defines {', '.join(own[:8])}{' …' if len(own) > 8 else ''})" if own else ""))
    return fn


def training_functions(path) -> tuple[list[str], list[str]]:
    """``(training-like, other)``: the names of the top-level functions ``path`` defines, read with ``ast`` (the
    file is neither imported nor run: importing a script may start its training). Training-like are those that
    take a keyword verify passes (:data:`losslens.verification.KEYWORDS`, ``seed``) or ``**kwargs``; private
    (``_name``) functions are left out of both."""
    import ast
    from pathlib import Path

    from losslens.verification import KEYWORDS

    tree = ast.parse(Path(path).read_bytes(), filename=str(path))
    taken, other = [], []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith("_"):
            continue
        a = node.args
        names = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
        (taken if a.kwarg is not None or names & {*KEYWORDS, "seed"} else other).append(node.name)
    return taken, other


def _name_the_function(path: str) -> str:
    """The one line for ``losslens verify x.py`` without ``:FUNCTION``: the training-like functions first, e.g.
    ``x.py: name the training function, e.g. losslens verify x.py:train (functions here: train, make_model)``."""
    try:
        taken, other = training_functions(path)
    except (OSError, SyntaxError, ValueError, RecursionError) as exc:
        return f"{path}: expected FILE.py:FUNCTION (the file could not be parsed: {type(exc).__name__}: {exc})"
    names = taken + other
    if not names:
        return f"{path}: expected FILE.py:FUNCTION, and {path} defines no function: verify calls a training " \
               "function that takes the keywords it varies (lr_factor, epochs_factor ...)"
    shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
    example = taken[0] if taken else "train" if "train" in names else names[0]
    return f"{path}: name the training function, e.g. losslens verify {path}:{example} (functions here: {shown}" \
           + ("" if taken else "; none takes a keyword verify varies, lr_factor, epochs_factor ...") + ")"
