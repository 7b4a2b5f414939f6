"""The ``losslens`` command line (Typer + rich): people get colour and tables, programs get ``--json``.

Every bad input ends in one line on stderr naming the file and the problem, and exit code 2; anything else
that escapes a command (a bug in losslens: a TypeError, a library's ValueError ...) in one line saying so, and
exit code 3 (``losslens --debug`` or ``LOSSLENS_DEBUG=1``: the traceback too); Ctrl-C in one line, exit 130; the
reader of stdout gone (``losslens diagnose runs/ | head -1``) quietly, exit 141.
Feature areas register their own commands from ``losslens/commands/`` so that each stays
next to its code and ``losslens diagnose`` imports nothing heavy.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from .exceptions import LosslensError, one_line

try:  # (typer vendors Click as typer._click from 0.2x on; before, Click itself)
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as _click_errors

#: Click's "no arguments: the help" (Click >= 8.2), shown as Click shows it (the help, exit 2): not a mistake to
#: put in one line.
_HELP_ASKED = getattr(_click_errors, "NoArgsIsHelpError", ())


class _OneLineUsage(_click_errors.UsageError):
    """A usage error (an option misspelt, an argument missing, a value of the wrong kind, a command unknown) as the
    one line, exit 2, that the README promises for every bad input: Click printed four (the usage, a hint, a blank
    line, the error). Its suggestion ("Did you mean 'diagnose'?", "Possible options: --horizon, --run") stays."""

    def __init__(self, error):
        super().__init__(error.format_message(), error.ctx)

    def show(self, file=None) -> None:
        # (the root's name as the README writes it: a test runner calls it "root", python -m losslens "python -m ...")
        command = self.ctx.command_path.partition(" ")[2] if self.ctx is not None else ""
        path = f"losslens {command}".rstrip()
        message = self.format_message().rstrip(".")
        see = f"{' S' if message.endswith('?') else '; s'}ee {path} --help"  # ("Did you mean 'diagnose'? See ...")
        typer.echo(f"losslens: {command + ': ' if command else ''}{message}{see}", err=True)


def _one_line_usage(error):
    return error if isinstance(error, (_OneLineUsage, *((_HELP_ASKED,) if _HELP_ASKED else ()))) \
        else _OneLineUsage(error)


class _Group(TyperGroup):
    """The ``losslens`` group: every usage error met below it, a subcommand's or its own, becomes
    :class:`_OneLineUsage`."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except _click_errors.UsageError as exc:
            raise _one_line_usage(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _click_errors.UsageError as exc:
            raise _one_line_usage(exc) from None


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Why did my training and validation loss plateau after X epochs, and what should I do?")


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", help="Print the version and exit."),
          debug: bool = typer.Option(False, "--debug", envvar="LOSSLENS_DEBUG",
                                     help="On an internal error (a bug in losslens, exit 3), print its traceback too.")):
    """Why did my training and validation loss plateau after X epochs, and what should I do?"""
    # (--debug is read where a command fails, off this context: _Command.)
    if version:
        from . import __version__
        typer.echo(f"losslens {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        # `losslens --debug` alone: as bare `losslens` and `losslens lab` are (Click >= 8.2: no command is a usage
        # error, the help on stderr, exit 2), not the help on stdout with exit 0.
        if _HELP_ASKED:
            raise _HELP_ASKED(ctx)
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print one line to stderr and exit with ``code``."""
    typer.echo(f"losslens: {one_line(message)}", err=True)
    raise typer.Exit(code)


def bad_value(option: str, problem: str) -> "_click_errors.BadParameter":
    """Refuse ``option``'s value in the shape Click refuses one (``losslens forecast: Invalid value for '--stop-gain':
    PROBLEM; see losslens forecast --help``, exit 2; :class:`_Group` makes it one line), for a check Click's own
    (``min=``) cannot make: ``--stop-gain 2`` read "losslens: --stop-gain must be ..." beside ``--stop-gain -1``'s
    "losslens: forecast: Invalid value for '--stop-gain': ...; see losslens forecast --help"."""
    try:
        from typer._click import get_current_context
    except ImportError:  # pragma: no cover
        from click import get_current_context
    raise _click_errors.BadParameter(problem, ctx=get_current_context(silent=True), param_hint=f"'{option}'")


def unknown_cause_line(option: str, name: str, causes) -> str:
    """``--fail-on: unknown cause 'divergd'; choose from ...; did you mean diverged?``: the list, then the near name
    as ``--metric`` gives it (:func:`losslens.facts.did_you_mean`)."""
    from .facts import did_you_mean

    return f"{option}: unknown cause {name!r}; choose from {', '.join(causes)}{did_you_mean(name, causes)}"


def refuse_overwriting_input(output, paths, option: str = "--output") -> None:
    """Fail with one line, before anything is read, when ``output`` is one of the input logs:
    writing the report (or figure) there would replace the log it was made from."""
    if output is None or not os.path.exists(output):
        return
    for p in paths:
        try:
            same = os.path.isfile(p) and os.path.samefile(p, output)
        except OSError:
            continue
        if same:
            fail(f"{output}: {option} names an input log; it would be overwritten: write to another file")


def plot_target(plot, i: int, n: int) -> Path:
    """Where ``--plot`` saves the chart of run ``i`` (0-based) of ``n``: the name given for one run; for several,
    ``name-1.png``, ``name-2.png`` ... (diagnose, forecast and data share the naming)."""
    out = Path(plot)
    return out if n == 1 else out.with_stem(f"{out.stem}-{i + 1}")


def wrote_line(target, n: int, name: str) -> str:
    """``wrote out-2.png (version_1)``: where ``--plot`` saved a chart and, of several (:func:`plot_target` numbers
    them), whose it is: "wrote out-1.png" alone sent the user to open each. The files keep their numbers: run names
    repeat (every Lightning folder's version_0), hold a path's ``/`` or spaces (MLflow, TensorBoard), and a name
    chosen by run would change with the inputs; the numbers follow the order of the report above them."""
    return f"wrote {target}" + (f" ({name})" if n > 1 else "")


def refuse_overwriting_inputs_by_plots(plot, n: int, paths) -> None:
    """:func:`refuse_overwriting_input` for each of the ``n`` charts ``--plot`` writes (:func:`plot_target`): with
    several runs, ``name-1.png`` is written, not ``name.png``, and an input log of that name would be replaced.
    Called once the runs are known, before the first chart is written."""
    for i in range(n):
        target = plot_target(plot, i, n)
        option = "--plot" if n == 1 else f"--plot {plot} (run {i + 1}'s chart)"
        refuse_overwriting_input(target, paths, option)


def require_output_folder(output, option: str = "--output") -> None:
    """Fail with one line, before anything is read, when ``output``'s folder does not exist (or ``output`` is a
    folder): a report on many runs found that out only after reading and diagnosing every one of them."""
    if Path(output).is_dir():
        fail(f"{output}: is a directory")  # (as the write would say, once every run was read)
    parent = Path(output).parent
    if not parent.is_dir():
        problem = "is not a folder" if parent.exists() else "does not exist"
        fail(f"{output}: {option}'s folder {parent} {problem}; create it or write elsewhere")


def require_matplotlib(what: str) -> None:
    """Fail with one line, before any work, when a figure was asked for without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail(f"{what} needs matplotlib: pip install 'losslens[plot]'")


#: The extra that installs a package losslens's optional parts or a user's training function import (``sklearn`` is
#: scikit-learn's import name; ``trainspotter`` and ``emcee`` are the benchmark's baselines alone).
EXTRA_OF = {"torch": "lab", "torchvision": "lab", "sklearn": "lab", "keras": "keras", "lightning": "lightning",
            "pytorch_lightning": "lightning", "transformers": "transformers", "accelerate": "transformers",
            "matplotlib": "plot", "pandas": "pandas", "trainspotter": "bench", "emcee": "bench"}


def missing_extra(err: BaseException) -> str | None:
    """The package (its top-level import name) whose absence ``err`` reports, where an extra installs it; None for
    any other error, and for a module no extra installs (a user's own, a missing losslens submodule, a typo'd import:
    no ``pip install`` mends those, and in losslens's own code they are a bug)."""
    if not isinstance(err, ModuleNotFoundError) or not err.name:
        return None
    top = err.name.partition(".")[0]
    return top if top in EXTRA_OF else None


def needs_package(err: BaseException) -> str | None:
    """"needs torch, not installed here: pip install ..." where ``err`` is a framework an extra installs missing.

    The shipped example (``examples/verify_train.py``) trains with torch, which a core install lacks: "training
    raised ModuleNotFoundError: No module named 'torch' (call it in Python for the traceback)" sent a new user
    to a traceback that says nothing more, with no extra named.
    """
    from .exceptions import TORCH_PIN

    top = missing_extra(err)
    if top is None:  # the user's own module, or a package no extra installs: the error says it as it is
        return None
    extra = EXTRA_OF[top]
    pin = f"{TORCH_PIN} " if extra in ("lab", "bench") else ""  # an unpinned torch is a multi-GB CUDA build
    return f"needs {top}, not installed here: pip install {pin}'losslens[{extra}]'"


def check_figure_path(plot: str) -> None:
    """Fail in one line, before any work (training, forecasting), when the --plot figure could not be written."""
    out = Path(plot)
    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        fail(f"{plot}: unknown figure format {out.suffix or '(none)'!r}; use .png, .svg or .pdf")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        fail(f"{plot}: no such directory {str(parent)!r} for the --plot figure")


def higher_option():
    """``--higher-is-better/--lower-is-better``, shared by the commands that read a curve."""
    return typer.Option(None, "--higher-is-better/--lower-is-better",
                        help="Is the metric a score (accuracy, R², Dice, reward) or a loss? "
                             "Default: from its name; a name that does not say is read as a loss.")


def noise_floor_option():
    """``--noise-floor VALUE``, shared by diagnose, forecast and verify: the data's noise floor the run cannot state itself."""
    return typer.Option(None, "--noise-floor", metavar="VALUE",
                        help="The data's noise floor, in the loss's units (a regression's target noise variance "
                             "for MSE): no model goes lower. A converged validation loss within 1.25x of it is "
                             "read as at the floor; the chart draws it (the lab's run.meta['noise_floor']).")


def baseline_loss_option():
    """``--baseline-loss VALUE``, shared by diagnose, forecast, watch and verify: a constant prediction's loss, which a
    regression's log cannot state (a classifier's is ln K, ``--classes``)."""
    return typer.Option(None, "--baseline-loss", metavar="VALUE",
                        help="The loss of predicting one constant for every input, in the loss's units (for MSE "
                             "the validation targets' variance: 1.0 on standardised targets; for MAE their mean "
                             "absolute deviation from the median). A validation loss never clearly below it while "
                             "training fell is read no_signal, training settled at it stuck_at_init; the chart "
                             "draws it (the run's meta['baseline_loss']).")


def offset_free_option():
    """``--offset-free``, shared by diagnose, forecast, compare and verify: the loss has no zero point (a positive
    one cannot say)."""
    return typer.Option(False, "--offset-free",
                        help="The loss has no zero point (a Gaussian NLL, a continuous ELBO: other units for the "
                             "target add a constant): 0 is no floor, so the forecast is not held above it and its "
                             "interval is weighed against the curve's improvement; compare's and verify's bars are "
                             "shares of the baseline's own improvement, not of its level. Read so without it where "
                             "the training or validation loss went below 0 (the run's meta['offset_free']).")


def check_noise_floor_option(value: Optional[float]) -> None:
    """``--noise-floor`` refused before any file is read by the rule ``noise_floor=`` is (:func:`losslens.api.
    check_noise_floor`: a finite loss > 0), in Click's shape; :func:`losslens.api.with_noise_floor` then states it."""
    from .api import check_noise_floor
    from .exceptions import UsageError

    try:
        check_noise_floor(value)
    except UsageError as e:
        said = str(e).split(": ", 1)[-1].replace("noise_floor=", "--noise-floor ")
        bad_value("--noise-floor", f"{said}, got {value:g}")


def check_baseline_loss_option(value: Optional[float]) -> None:
    """``--baseline-loss`` refused before any file is read by the rule ``baseline_loss=`` is (:func:`losslens.api.
    check_baseline_loss`: a finite loss > 0), in Click's shape; :func:`losslens.api.with_baseline_loss` states it."""
    from .api import check_baseline_loss
    from .exceptions import UsageError

    try:
        check_baseline_loss(value)
    except UsageError as e:
        said = str(e).split(": ", 1)[-1].replace("baseline_loss=", "--baseline-loss ")
        bad_value("--baseline-loss", f"{said}, got {value:g}")


def end_skipped(skipped: list[str], done: int, what: str = "run") -> None:
    """After a file of many runs (or curves): each that could not be handled is one line on
    stderr; when none could, the first problem is the error (one line, exit 2)."""
    if not done and skipped:
        more = f" (and {len(skipped) - 1} more {what}{'s' if len(skipped) > 2 else ''})" if len(skipped) > 1 else ""
        fail(skipped[0] + more)
    for line in skipped:
        typer.echo(f"losslens: skipped {one_line(line)}", err=True)


def end_bad_inputs(read) -> None:
    """Exit 2 where any of several paths could not be read (``read``: :func:`~losslens.commands.report.read_paths`'
    result, each such path's line already on stderr), once the others have been reported: a script sees that an
    input was bad, a person reads what the good ones hold. A folder's file that is no log stays a "passed over"
    line: a folder holds files of every kind, a path was named as a log."""
    if getattr(read, "bad", None):
        raise typer.Exit(2)


def run_guarded(fn, *args, **kwargs):
    """Call ``fn``; turn input problems into the one-line error and exit 2. Anything else (a ValueError,
    losslens's own or a library's: numpy's "zero-size array to reduction operation") is a bug, left to the
    internal-error line every command ends in (:class:`_Command`): losslens refuses input only with a
    :class:`LosslensError` (a horizon before the first point is a :class:`UsageError`)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - sorted below; what is no input problem is raised on
        line = bad_input_line(exc)
        if line is None:
            raise
        fail(line)


def bad_input_line(exc: BaseException) -> str | None:
    """The one line for an input problem: a :class:`LosslensError`, or an OSError of a file (the output:
    "r.html: No such file or directory", not "[Errno 2] ..."); None for anything else. A broken pipe
    (``losslens diagnose ... | head``) is no input problem: :func:`_pipe_closed` ends it."""
    if isinstance(exc, LosslensError):
        # A reader's message may name the Python way (columns={...}); the command line's is kept beside it.
        return getattr(exc, "cli_message", None) or str(exc)
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        if exc.filename is not None and exc.strerror:
            return f"{exc.filename}: {exc.strerror.lower()}"
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


_PACKAGE = Path(__file__).resolve().parent


def _internal_error(exc: BaseException, inputs: list[str], debug: bool = False) -> str:
    """The one line for a bug: the exception, the innermost losslens line it passed through (numpy's own file
    would say nothing of where losslens called it) and what was being read."""
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(_PACKAGE)]
    where = f", in {Path(ours[-1].filename).resolve().relative_to(_PACKAGE.parent).as_posix()}:{ours[-1].lineno}" \
        if ours else ""
    first = (str(exc).splitlines() or [""])[0][:200]
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    reading = f", reading {', '.join(inputs[:3])}{' ...' if len(inputs) > 3 else ''}" if inputs else ""
    return (f"internal error ({what}{where}{reading}); please report it, with the log if you can share it"
            + ("" if debug else " (losslens --debug ... prints the traceback)"))


class _Command(TyperCommand):
    """Every command ends in one of the lines the exit codes promise: what escapes it (none of Typer's own exits
    and usage errors) is a bad input where it is one (exit 2), else a bug in losslens (exit 3), never a
    traceback; Ctrl-C is one line, exit 130; stdout's reader gone, exit 141 (:func:`_pipe_closed`). Set on every
    command by :func:`_register_commands`."""

    def invoke(self, ctx):
        try:
            try:
                return super().invoke(ctx)
            finally:
                # What the command left buffered is written here, where a closed pipe is caught, not at the
                # interpreter's exit ("Exception ignored ... BrokenPipeError", exit 120).
                if sys.stdout is not None:
                    sys.stdout.flush()
        except (typer.Exit, typer.Abort, TyperException, _click_errors.UsageError):
            raise  # (a usage error a command raised itself, bad_value's: the group makes it one line)
        except BrokenPipeError:
            # (Left to Click, it would exit 1, which says a --fail-on cause matched.)
            _pipe_closed()
        except KeyboardInterrupt:
            typer.echo("losslens: interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the one place a command's failure becomes its exit code
            line = bad_input_line(exc)
            if line is not None:
                fail(line)
            debug = bool(ctx.find_root().params.get("debug"))
            if debug:
                traceback.print_exception(exc, file=sys.stderr)
            fail(_internal_error(exc, _inputs(ctx), debug), 3)


def _inputs(ctx) -> list[str]:
    """The command's positional arguments as given: the logs, folders, stores (or FILE.py:FUNCTION) it reads."""
    out = []
    for param in ctx.command.params:
        if param.param_type_name != "argument":
            continue
        value = ctx.params.get(param.name)
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, (str, Path)):  # (a lab variant's name is an Enum: not an input file)
                out.append(str(v))
    return out


@app.command()
def diagnose(
    paths: List[str] = typer.Argument(..., metavar="PATH", help="Log files, directories or store URIs (tb:, mlflow:, wandb:)."),
    metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose (default: val_loss, else val_acc, else train_loss)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object per run (JSON Lines, schema losslens.diagnosis/1)."),
    classes: Optional[int] = typer.Option(None, "--classes", "-k", min=2, help="Number of classes K (chance level 1/K)."),
    fail_on: Optional[List[str]] = typer.Option(None, "--fail-on", help="Exit 1 when any run's verdict is one of these causes (comma-separated, or the option repeated)."),
    horizon: Optional[float] = typer.Option(None, "--horizon", help="Forecast horizon in epochs (or steps): fills the forecast field. Default: "
                                                 "the planned end the log states (max_steps, 'Epoch 3/20') where the run has "
                                                 "not reached it, else twice the logged length."),
    run_id: Optional[str] = typer.Option(None, "--run", help="Only the run with this id/name (long-format files, folders, stores); a path without it is skipped with a line on stderr, and none with it is an error."),
    higher: Optional[bool] = higher_option(),
    noise_floor: Optional[float] = noise_floor_option(),
    baseline_loss: Optional[float] = baseline_loss_option(),
    offset_free: bool = offset_free_option(),
    plot: Optional[str] = typer.Option(None, "--plot", help="Also save each run's annotated chart (curves, X, phases, "
                                       "validation minimum, gap; .png/.svg/.pdf; with several runs, one per run: "
                                       "name-1.png ...), as losslens plot draws it."),
):
    """Diagnose each run: the verdict and plateau epoch X, the evidence, and what to do."""
    from .commands.report import diagnose_runs, read_paths
    from .report import text

    wanted = {c.strip() for v in fail_on or [] for c in v.split(",") if c.strip()}  # checked before any file is read
    bad = sorted(c for c in wanted if c not in _causes())
    if bad:
        fail(unknown_cause_line("--fail-on", bad[0], _causes()))
    # `--fail-on overfitting diverged` hands "diverged" to the paths: say how to name several causes.
    stray = [p for p in paths if p in _causes() and not os.path.exists(p)]
    if stray:
        fail(f"{stray[0]}: no such file or directory; to fail on several causes, separate them with commas: "
             f"--fail-on {','.join(sorted(wanted | set(stray)))}")
    check_noise_floor_option(noise_floor)
    check_baseline_loss_option(baseline_loss)
    if plot is not None:  # before any file is read
        require_matplotlib("--plot")
        check_figure_path(plot)
        refuse_overwriting_input(plot, paths, "--plot")
    from .api import with_stated

    runs = with_stated(run_guarded(read_paths, paths, run_id=run_id, metric=metric),
                       {"noise_floor": noise_floor, "baseline_loss": baseline_loss, "offset_free": offset_free})
    if horizon is not None:
        _horizon_inside(runs, horizon, metric)
    results = run_guarded(diagnose_runs, runs, metric=metric, classes=classes, horizon=horizon,
                          higher_is_better=higher)
    if json_out:
        from .repeats import mark_repeats

        mark_repeats(results)  # (the text reads the repeats in its summary; the JSON on each member's object)
        for d in results:
            sys.stdout.write(d.to_json() + "\n")
    else:
        text.print_diagnoses(results)
    if plot is not None:
        _save_plots(results, plot, json_out, paths)
    matched = [d for d in results if d.verdict in wanted]
    for d in matched:  # stderr: --json keeps stdout one object per line
        where = d.run_name if not d.source or d.source.endswith(d.run_name) else f"{d.source} ({d.run_name})"
        typer.echo(f"losslens: --fail-on: {where} is {d.verdict}", err=True)
    end_bad_inputs(runs)  # (a bad input outranks a matched cause: exit 2, as for one path)
    if matched:
        raise typer.Exit(1)


def _save_plots(results, plot: str, json_out: bool, paths) -> None:
    """``diagnose --plot``: each run's chart, as ``losslens plot`` draws it (``forecast --plot``'s naming: one run
    the name given, several ``name-1.png`` ..., each said with its run's name); where each went on stderr under
    ``--json`` (stdout: one object a line), else on stdout after the reports. ``paths``: the inputs as given (files,
    folders)."""
    from .report.plot import save_plot

    # A folder's logs are known only once read, and so is the number of charts: neither `--plot runs/a.png` nor
    # the `runs/a-1.png` it writes for the first of several runs may replace one of them.
    refuse_overwriting_inputs_by_plots(plot, len(results), {*paths, *(str(d.source) for d in results if d.source)})
    from .report.text import distinct_names

    for i, (d, name) in enumerate(zip(results, distinct_names([d.run for d in results]))):
        written = run_guarded(save_plot, d, plot_target(plot, i, len(results)))
        typer.echo(wrote_line(written, len(results), name), err=json_out)


def _horizon_inside(runs, horizon, metric) -> None:
    """A --horizon at or before a run's last point: a warning for each run that gets no forecast, whose diagnosis
    stands without it, one file as a folder of runs of different lengths (a script looping over files got exit 2
    and no diagnosis for the one file the folder diagnosed); a horizon no number of epochs can be (inf, NaN), the
    one-line error."""
    from .facts import check_horizon, require_ahead

    try:
        check_horizon(horizon)
    except LosslensError as exc:
        fail(str(exc))
    for run in runs:
        try:
            require_ahead(run, horizon, metric)
        except LosslensError as exc:
            typer.echo(f"losslens: {exc}; no forecast for this run", err=True)
        except ValueError:  # no such metric: diagnose says so in its own words
            pass


def _causes():
    from .result import CAUSES
    return CAUSES


def _register_commands():
    # Each module adds its commands to `app`; they import their heavy dependencies lazily.
    from .commands import register_all
    register_all(app)

    def every_command(typer_app):
        yield from typer_app.registered_commands
        for group in typer_app.registered_groups:
            yield from every_command(group.typer_instance)

    for info in every_command(app):
        if info.cls in (None, TyperCommand):  # (a command with a class of its own keeps it)
            info.cls = _Command


_register_commands()


#: The exit code of a command whose stdout's reader went away (``| head -1``): 128 + SIGPIPE, what a shell reports
#: for a tool SIGPIPE killed, not 1 (a --fail-on cause matched) under ``set -o pipefail``.
PIPE_CLOSED = 141


def _pipe_closed():
    """End quietly, exit :data:`PIPE_CLOSED`, once writing to stdout raised BrokenPipeError: stdout pointed at
    /dev/null first, so that the interpreter's flush at exit, of what is still buffered, cannot raise again
    (Python's documented recipe, "Note on SIGPIPE" in the ``signal`` module's docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # (a stdout with no descriptor: a test runner's buffer, never a pipe)
        pass
    raise SystemExit(PIPE_CLOSED)


#: What a character the reports print becomes on a stream that cannot encode it (``PYTHONIOENCODING=ascii``, a C
#: locale's ASCII, a Latin-1 console): one character where a table cell may hold it ("—", box lines: the columns
#: stay aligned); any other, its ``\\uXXXX`` escape, as ``backslashreplace`` writes it.
ASCII_FALLBACK = {"\u2014": "-", "\u2013": "-", "\u2212": "-", "\u2192": "->", "\u2190": "<-", "\u2265": ">=",
                  "\u2264": "<=", "\u00d7": "x", "\u2026": "...", "\u00b1": "+/-", "\u2248": "~", "\u2502": "|",
                  "\u2500": "-", "\u00b7": "*", "\u2022": "*", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                  "\u201d": '"', "\u00b2": "^2", "\u221a": "sqrt", "\u2713": "ok", "\u2717": "x", "\u00a0": " "}


def _to_ascii(err: UnicodeEncodeError):
    """The codec error handler ``losslens-ascii``: :data:`ASCII_FALLBACK`, else the character's escape."""
    bad = err.object[err.start:err.end]
    return "".join(ASCII_FALLBACK.get(c) or c.encode("ascii", "backslashreplace").decode("ascii") for c in bad), err.end


def encodable_streams(streams=None) -> None:
    """Write what stdout and stderr cannot encode in ASCII (:data:`ASCII_FALLBACK`) instead of raising: with
    ``PYTHONIOENCODING=ascii`` (a CI job's, a C locale's) every command's first "—" was an internal error, exit 3
    (UnicodeEncodeError in report/text.py). Streams that encode it, or whose errors are not strict, are left."""
    import codecs

    try:
        codecs.lookup_error("losslens-ascii")
    except LookupError:
        codecs.register_error("losslens-ascii", _to_ascii)
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        try:
            "\u2014\u2192\u2265\u2502".encode(stream.encoding or "ascii")
            continue
        except (UnicodeEncodeError, LookupError):
            pass
        except AttributeError:  # (no encoding: a test runner's buffer)
            continue
        if getattr(stream, "errors", "strict") == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="losslens-ascii")


def main(argv: Optional[list] = None):
    """Console entry point."""
    encodable_streams()
    try:
        app(args=argv, prog_name="losslens", standalone_mode=True)
    except SystemExit as exc:
        # Click met the closed pipe itself (--help, a usage error's text): it wraps stdout so and exits 1. (A
        # command's own output meets it in _Command.invoke.)
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _pipe_closed()
        raise
    except KeyboardInterrupt:  # pragma: no cover - outside a command (while Python imports it): _Command's inside
        typer.echo("losslens: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
