"""The terminal report: verdict and X on the first line, then evidence, then actions.

Uses rich for colour and tables when writing to a terminal; plain text otherwise, so that
output piped to a file or a CI log stays readable.
"""

from __future__ import annotations

import os

import numpy as np

from ..columns import respell
from ..result import (Diagnosis, at_text, axis_text, best_run, comparable, experiment_of, experiments, saved_settings,
                      task_of)

COLOURS = {"converged": "green", "still_improving": "cyan", "overfitting": "yellow", "lr_too_high": "yellow",
           "lr_too_low": "yellow", "underfitting": "yellow", "no_signal": "red", "diverged": "red",
           "stuck_at_init": "red", "data_limited": "yellow", "temporary_plateau": "cyan"}

VERDICT_TEXT = {
    "converged": "converged",
    "still_improving": "still improving (not plateaued)",
    "overfitting": "overfitting",
    "lr_too_high": "learning rate too high",
    "lr_too_low": "learning rate too low",
    "underfitting": "underfitting (too little capacity)",
    "no_signal": "no learnable signal",
    "diverged": "diverged",
    "stuck_at_init": "stuck at initialization",
    "data_limited": "data-limited",
    "temporary_plateau": "temporary plateau",
}


def headline(d: Diagnosis) -> str:
    """``run: overfitting — plateau at epoch 4 [3, 6] (confidence 0.87)``."""
    verdict = VERDICT_TEXT.get(d.verdict, d.verdict)
    if d.verdict == "underfitting" and d.causes and d.causes[0].numbers.get("penalty"):
        verdict = "underfitting (held by a weight penalty)"  # "too little capacity" would send them to a bigger model
    if d.verdict == "underfitting" and d.causes and d.causes[0].numbers.get("dropout"):
        verdict = "underfitting (held by dropout)"  # the rate the settings give, not too little capacity
    if d.verdict == "underfitting" and d.causes and d.causes[0].numbers.get("train_regularized"):
        verdict = "underfitting (held by dropout or augmentation)"  # nor capacity: training's own pass is held
    if d.verdict == "underfitting" and d.causes and d.causes[0].numbers.get("kl_collapse"):
        verdict = "underfitting (posterior collapse: the KL term is ~0)"  # not a capacity limit either
    if d.verdict == "stuck_at_init" and d.causes and d.causes[0].numbers.get("train_over_baseline"):
        # (It fell far, then held at or above a constant's loss: "at initialization" alone reads as a frozen curve.)
        from ..diagnosis import BASELINE_CLEAR, baseline_constant

        worse = d.causes[0].numbers.get("val_over_baseline", 0.0) > 1 + BASELINE_CLEAR  # (as its evidence words it)
        verdict = (f"{'worse' if worse else 'no better'} than predicting {baseline_constant(d.run, d.facts)} "
                   "(stuck at initialization)")
    if d.adversarial and d.verdict != "diverged":
        # A GAN's loss: "converged" or "learning rate too high" would read one player's score as the objective.
        n = d.causes[0].numbers
        verdict = ("a GAN's discriminator winning (its loss far below the BCE equilibrium)" if n.get("d_wins") else
                   "a GAN's players balanced (the discriminator's loss near its BCE equilibrium)"
                   if n.get("d_balanced") else "a GAN's game (two losses, not one objective)") \
            + f"; read as {VERDICT_TEXT.get(d.verdict, d.verdict)}"
    part = part_overfits(d)
    if part:
        # A total still falling over a part that overfits: "still improving" alone read "keep training" above the
        # first action naming the part (keras_heads_apart/w1.csv: val_head1_loss overfits from epoch 0).
        verdict += f", but {part}"
    solved = d.solved
    if solved:
        # "not plateaued" alone reads "keep training"; what falls is the loss of predictions already all right.
        verdict = "solved (validation accuracy at its ceiling); only the loss still falls"
    # A still-falling verdict has no plateau; where its curve flattened (slowdown) is said as that, not as X.
    mark = d.flattened
    if mark is not None:
        lo, hi = mark.interval
        at = at_text(d.run, d.axis, mark.epoch)  # a Trainer's step: its epoch beside it
        band = f"[{axis_text(lo)}, {axis_text(hi)}]"
        if d.x_uncertain():  # an interval over most of the run is no location: said, not printed like [5, 8]
            band = f"(X uncertain: anywhere in {axis_text(lo)}–{axis_text(hi)})"
        where = f"plateau at {at} {band}"
        if d.plateau is None:  # flattened, but forecast to creep lower
            where = f"flattened at {at} {band}"
            if d.verdict == "still_improving" and not solved:
                verdict = "still improving slowly"
    else:
        where = f"no plateau in {d.length} {d.axis}s"
        ax = None if d.run is None else np.asarray(d.run.axis, dtype=float)
        if ax is not None and ax.size > 1 and ax[-1] - ax[0] != ax.size - 1:
            # evaluations every k steps: "29 steps" would undercount the run. The points are the diagnosed curve's,
            # not the log's rows: a Lightning metrics.csv of 120 validations, its rows of batch losses and lr
            # between them, read "(216 points)", its TensorBoard log "(193 points)", the callback "(150 points)".
            where = f"no plateau by {d.axis} {axis_text(ax[-1])} ({_diagnosed_points(d)} points)"
    return as_logged(d, f"{d.run_name}: {verdict} — {where} (confidence {d.cause.confidence:.0%}, {d.metric})")


def _diagnosed_points(d: Diagnosis) -> int:
    """How many finite values the diagnosed series holds (``d.length`` where the run does not hold it)."""
    y = None if d.run is None else d.run.get(d.metric)
    return d.length if y is None else int(np.isfinite(np.asarray(y, dtype=float)).sum())


def part_overfits(d) -> str | None:
    """``val_head1_loss overfits from epoch 0`` where the verdict's actions name a part of its total loss that
    overfits while the total still falls (``diagnosis._parts_apart``), else None: what the headline adds."""
    from ..diagnosis import PART_OVERFITS

    cause = d.causes[0] if getattr(d, "causes", None) else None
    return next((a.claim for a in (cause.actions if cause is not None else ())
                 if getattr(a, "kind", None) == PART_OVERFITS and a.claim), None)


def as_logged(d: Diagnosis, text: str) -> str:
    """``text`` with each series the reader only normalised spelt as the log spelt it
    (``metrics_map50_95(b)`` -> ``metrics/mAP50-95(B)``: :meth:`losslens.run.Run.label`). Text only: the
    JSON keeps the Run's keys, which ``--metric`` also accepts."""
    return respell((getattr(d.run, "meta", None) or {}).get("column_names"), text)


def render_text(d: Diagnosis) -> str:
    lines = [headline(d)]
    shown: set = set()
    for i, c in enumerate(d.causes):
        tag = "" if i == 0 else (f"also {'possible' if c.status == 'possible' else 'likely'}: "
                                 f"{c.id} ({c.confidence:.0%})")
        if tag:
            lines.append(tag)
        for e in c.evidence:
            lines.append(f"  - {e}")
        if i == 0:
            lines.append("what to do:")
        # Every action, as the JSON and HTML list them; only one already printed word for word above is left out (a
        # cut at two per other cause dropped "regularize: weight decay, dropout" from data_limited, said nowhere else).
        for a in c.actions:
            if i == 0 or a not in shown:
                lines.append(f"  → {a}")
            shown.add(a)
    return "\n".join([lines[0]] + [as_logged(d, line) for line in lines[1:]])


def verdict_words(verdict: str) -> str:
    """A verdict id as the text says it, without its gloss: ``still_improving`` -> ``still improving``."""
    return VERDICT_TEXT.get(verdict, verdict.replace("_", " ")).split(" (")[0]


#: How far a wrapped line of the report is indented under its start: the evidence and actions under their
#: bullet ("  - ", "  → "); a headline or "also likely" line by as much.
HANG = {"  - ": "    ", "  → ": "    "}


def wrap_line(line: str, width: int) -> list[str]:
    """``line`` of :func:`render_text` folded to ``width`` columns with a hanging indent (its continuation lines
    start under the text after its bullet, not at column 0 as a terminal wraps it). Words are never split: a
    long number, path or command stays whole, past ``width`` if it must."""
    import textwrap

    if len(line) <= width:
        return [line]
    hang = next((h for b, h in HANG.items() if line.startswith(b)), "    ")
    return textwrap.wrap(line, width=max(width, len(hang) + 20), subsequent_indent=hang, break_long_words=False,
                         break_on_hyphens=False) or [line]


def console(file=None):
    """A rich console for tables: the terminal's width, or 200 columns when piped or logged (run
    ids are long: let the table breathe). A reader of the pipe gone raises BrokenPipeError, as ``print``
    does, for the command line to end with its own exit code (rich's own exits 1, which says a --fail-on
    cause matched)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True  # (nothing more to write; the caller decides how to end)
            raise BrokenPipeError

    # NO_COLOR (https://no-color.org), set and not empty: no escape codes at all. Rich drops its colours there but
    # kept bold and dim, still ANSI on a terminal that asked for none.
    plain = {"color_system": None} if os.environ.get("NO_COLOR") else {}
    out = _Console(file=file, highlight=False, soft_wrap=True, **plain)
    # (FORCE_COLOR and TTY_COMPATIBLE make rich's is_terminal true on a file or pipe, for colours: its width was then
    # 80 columns and the report folded there, where a pipe gets whole lines.)
    return out if out.is_terminal and _on_tty(out) else _Console(file=file, highlight=False, soft_wrap=True,
                                                                 width=200, **plain)


def _on_tty(console) -> bool:
    """Whether ``console``'s stream is a terminal itself, whatever rich's ``is_terminal`` says."""
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # (a closed stream)
        return False


def draws_live(console) -> bool:
    """Whether a live display (a bar or panel redrawn in place, with cursor codes) may go on ``console``'s stream:
    rich's ``is_interactive`` (``TTY_INTERACTIVE``, else a terminal that is not dumb) and the stream a terminal
    itself, unless ``TTY_INTERACTIVE=1`` says to draw anyway. FORCE_COLOR (https://force-color.org, set by many CI
    setups) and TTY_COMPATIBLE=1 make rich's ``is_terminal`` true, for colours; the bars then wrote every frame,
    cursor codes and all, into the file or pipe stderr went to (``losslens diagnose runs/ 2>err.txt``: 4.5 kB of
    frames for 27 runs, with NO_COLOR too)."""
    if os.environ.get("TTY_INTERACTIVE") == "1":
        return True
    return _on_tty(console) and console.is_interactive


def distinct_names(runs: list, names: list[str] | None = None) -> list[str]:
    """Each run's name, with what tells it apart where several runs share one (MLflow runs named
    "baseline" in two experiments): ``baseline (--run 57f92c36…)``, the id ``--run`` takes, else its
    source. Unique names are left as they are."""
    names = [getattr(r, "name", "run") for r in runs] if names is None else list(names)
    seen: dict = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    out = []
    for r, n in zip(runs, names):
        meta = getattr(r, "meta", None) or {}
        if seen[n] < 2:
            out.append(n)
        elif meta.get("run_id"):
            out.append(f"{n} (--run {meta['run_id']})")
        else:
            out.append(f"{n} ({getattr(r, 'source', None) or '?'})")
    return out


def learning_rates(diagnoses: list[Diagnosis]) -> list[float | None] | None:
    """Each run's learning rate where its log says (saved settings, else the largest lr logged:
    :func:`losslens.facts.regularization.learning_rate`), for the summaries' lr column; None where no run's does."""
    from ..facts.regularization import learning_rate

    lrs = [learning_rate(d.run) for d in diagnoses]
    return lrs if any(v is not None for v in lrs) else None


#: At most this many saved settings besides the lr get a column of the summary table.
MAX_SETTING_COLUMNS = 3


def differing_settings(diagnoses: list[Diagnosis], limit: int | None = MAX_SETTING_COLUMNS) -> list[tuple[str, list]]:
    """``[(name, [each run's value or None])]``: the saved settings (:func:`losslens.result.saved_settings`:
    hparams.yaml, MLflow params, a W&B config, a Ray trial's params.json) whose scalar values differ across the runs,
    the lr aside (its own column), in the first run's order, at most ``limit`` (every one: None): what a sweep
    varied (width, weight decay, epochs), which an lr column alone left unsaid. ``[]`` where fewer than two runs
    saved any."""
    from ..columns import ALIASES

    saved = [saved_settings(getattr(d, "run", None)) for d in diagnoses]
    flats = [dict(found[1]) if found else {} for found in saved]
    if sum(1 for f in flats if f) < 2:
        return []
    out = []
    for name in dict.fromkeys(k for f in flats for k in f):
        leaf = str(name).lower().rsplit(".", 1)[-1]
        if leaf in ALIASES["lr"]:
            continue
        values = [f.get(name) for f in flats]
        shown = [v for v in values if v is not None]
        if any(isinstance(v, (dict, list)) for v in shown) or len({repr(v) for v in shown}) < 2:
            continue
        out.append((str(name), values))
        if limit is not None and len(out) == limit:
            break
    return out


def best_line(diagnoses: list[Diagnosis], names: list[str] | None = None) -> str | None:
    """``best val_loss: lr_0.3, 0.1499 at epoch 27 (smoothed; converged)``: the run a sweep's reader picks
    (:func:`losslens.result.best_run`), or None where the runs do not compare. Runs of several folders
    (:func:`losslens.result.experiments`) get one line saying why none is named: a loss on one dataset beside a
    loss on another ranks the datasets, not the settings."""
    i = best_run(diagnoses)
    if i is None:
        groups = experiments(diagnoses) if len(diagnoses) > 1 and comparable(diagnoses) else []
        if len(groups) < 2:
            return None
        folders = {experiment_of(d) for d in diagnoses} - {None}
        if len(folders) > 1:
            if all("#experiment=" in f for f in folders):  # one store's experiments (MLflow), as a tree's folders
                return as_logged(diagnoses[0], f"no best named: these runs come from {len(folders)} experiments of "
                                 f"one store, whose {diagnoses[0].metric} values do not compare; diagnose each "
                                 "experiment alone (mlflow:STORE#experiment=NAME) to rank its runs")
            homes = {f.replace("\\", "/").rsplit("/", 1)[0] if "/" in f.replace("\\", "/") else "." for f in folders}
            if len(homes) == 1:  # a long table beside per-run files: one folder, read as 2 experiments, not 2 folders
                leaves = sorted((f.replace("\\", "/").rsplit("/", 1)[-1] for f in folders), key=lambda s: (s == "*", s))
                shown = ", ".join("its other files" if leaf == "*" else leaf for leaf in leaves)
                return as_logged(diagnoses[0], f"no best named: these runs come from {len(folders)} sets of logs in "
                                 f"one folder ({shown}), each its own experiment, whose {diagnoses[0].metric} values "
                                 "do not compare; diagnose each alone to rank its runs")
            return as_logged(diagnoses[0], f"no best named: these runs come from {len(folders)} folders, each its own "
                             f"experiment, whose {diagnoses[0].metric} values do not compare; diagnose each folder "
                             "alone to rank its runs")
        apart, by_accuracy = _tasks_apart(diagnoses, groups, names)
        # (Told apart by whether they log an accuracy alone, several problems on each side read as one: the demo's
        # two regressions beside its classifier were "2 problems".)
        return as_logged(diagnoses[0], f"no best named: these runs solve {'at least ' * by_accuracy}{len(groups)} "
                         f"problems ({apart}), whose {diagnoses[0].metric} values do not compare; rank each "
                         "problem's runs apart")
    d = diagnoses[i]
    x, value = d.best
    names = names or [dd.run_name for dd in diagnoses]
    line = f"best {d.metric}: {names[i]}, {value:.4g} at {d.axis} {axis_text(x)} (smoothed; {verdict_words(d.verdict)})"
    j = best_run(diagnoses, point=True)
    if j is not None and j != i:
        # The run with the single best value is not the pick: say so, or that value (the card's, the overview's
        # point) reads as a contradiction of the line.
        px, pv = diagnoses[j].best_point
        low = "highest" if d.facts.higher_is_better else "lowest"
        line += (f"; the {low} value logged is {names[j]}'s, {pv:.4g} at {d.axis} {axis_text(px)}, a point its "
                 f"smoothed curve does not hold (its best {diagnoses[j].best[1]:.4g})")
    return as_logged(d, line)


def _tasks_apart(diagnoses, groups, names=None) -> tuple[str, bool]:
    """What tells :func:`losslens.result.task_of`'s problems apart, for the best line: the run ids' first parts
    (``cifar100_allcnnc, fmnist_2c2d``), the settings each group's first run saved (``dataset=digits``, else the
    names: ``hidden, lr`` beside ``lr, n_features``), or which runs log no accuracy where the others do; and whether
    it is that last, which counts two problems however many each side holds."""
    names = names or [d.run_name for d in diagnoses]
    prefixes = list(dict.fromkeys(p for p, *_ in (task_of(diagnoses[g[0]]) for g in groups) if p is not None))
    if len(prefixes) > 1:
        shown = ", ".join(prefixes[:4]) + (f" and {len(prefixes) - 4} more" if len(prefixes) > 4 else "")
        return f"their run ids name {shown}", False
    setups = [task_of(diagnoses[g[0]])[2] for g in groups]
    if len({x for x in setups if x is not None}) > 1:
        # (Another module, or the same one on other data: name each group's first run and what it saved.)
        said = [f"{names[g[0]]}'s {', '.join(f'{k}={v}' for k, v in x[1]) if x[1] else ', '.join(x[0])}"
                for g, x in zip(groups, setups) if x is not None]
        shown = "; ".join(said[:3]) + (f" and {len(said) - 3} more" if len(said) > 3 else "")
        where = ", ".join(dict.fromkeys(saved_settings(diagnoses[g[0]].run)[0] for g, x in zip(groups, setups)
                                        if x is not None))
        return f"their saved settings ({where}) differ: {shown}", False
    plain = [names[i] for g in groups for i in g if not task_of(diagnoses[i])[1]]
    scored = [names[i] for g in groups for i in g if task_of(diagnoses[i])[1]]
    few = plain if len(plain) <= len(scored) else scored  # (name the fewer)
    shown = ", ".join(few[:3]) + (f" and {len(few) - 3} more" if len(few) > 3 else "")
    rest = len(plain) + len(scored) - len(few)
    s = "s" if len(few) == 1 else ""
    if few is plain:
        return f"{shown} log{s} no accuracy where the other{'s' * (rest != 1)} do{'es' * (rest == 1)}", True
    return f"{shown} log{s} an accuracy where the other {rest} do{'es' * (rest == 1)} not", True


def setting_text(v) -> str:
    """A saved setting as a table cell: a number in its short form (``0.01``, ``256``), else as saved."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:g}"
    return str(v)


#: Past this many runs the summary table is printed without each run's report.
MAX_REPORTS = 20


def print_diagnoses(diagnoses: list[Diagnosis], file=None) -> None:
    """Print one report per run; with several runs, a summary table first."""
    from rich.markup import escape
    from rich.table import Table

    out = console(file)
    names = distinct_names([getattr(d, "run", None) for d in diagnoses], [d.run_name for d in diagnoses])
    if len(diagnoses) > 1:
        table = Table(title=f"{len(diagnoses)} runs", show_lines=False)
        lrs = learning_rates(diagnoses)
        ranked = best_run(diagnoses) is not None  # the runs compare: each one's smoothed best, as the best line ranks
        settings = differing_settings(diagnoses)
        for col in ("run", *(("lr",) if lrs else ()), *(n for n, _ in settings), "verdict", "X", "interval",
                    "confidence", "metric", "logged to", *(("smoothed best",) if ranked else ())):
            table.add_column(col, overflow="fold")
        for k, (d, name) in enumerate(zip(diagnoses, names)):
            lo, hi = d.plateau.interval if d.plateau is not None else (None, None)
            iv = "" if d.plateau is None else f"[{axis_text(lo)}, {axis_text(hi)}]"
            lr = (("" if lrs[k] is None else f"{lrs[k]:g}"),) if lrs else ()
            lr += tuple(escape(setting_text(values[k])) for _, values in settings)
            # (X with its unit: runs by epoch and by step share the table, "3" beside "1375" compared neither.)
            table.add_row(escape(name), *lr, f"[{COLOURS.get(d.verdict, 'white')}]{verdict_words(d.verdict)}[/]",
                          "—" if d.plateau is None else f"{d.axis} {axis_text(d.plateau.epoch)}", iv,
                          f"{d.cause.confidence:.0%}",
                          escape(as_logged(d, d.metric)), escape(d.logged_to()),
                          *((("—" if d.best is None else f"{d.best[1]:.4g}"),) if ranked else ()))
        out.print(table)
        from ..repeats import best_setting_line, find_repeats, repeats_lines

        groups = find_repeats(diagnoses)
        # Repeats of one setting rank nothing: no best line where they are all the runs (a sweep beside them keeps it);
        # a sweep whose every setting was repeated ranks its settings by their repeats' mean.
        line = best_setting_line(groups, diagnoses) if sum(len(g.members) for g in groups) == len(diagnoses) \
            else best_line(diagnoses, names)
        if line:
            out.print(escape(line))
        for group in groups:
            for text in repeats_lines(group, diagnoses, names):
                out.print(escape(as_logged(diagnoses[0], text)))
        from ..diagnosis import sweep_notes

        for note in sweep_notes(diagnoses, names):
            out.print(escape(as_logged(diagnoses[0], note)))
        if len(diagnoses) > MAX_REPORTS:
            # The table alone, or the reports run to pages; said, or the evidence and actions just vanish.
            out.print(f"(each run's evidence and actions are left out past {MAX_REPORTS} runs: --run NAME "
                      "prints one run's, --json or losslens report all of them)")
            return
        out.print()
    for d, name in zip(diagnoses, names):
        text = render_text(d).split("\n")
        if name != d.run_name and text[0].startswith(d.run_name):  # two runs of one name: which is which
            text[0] = name + text[0][len(d.run_name):]
        colour = COLOURS.get(d.verdict, "white")
        # On a terminal each line is folded to its width with a hanging indent (a 270-character evidence line
        # wrapped at column 0 under the bullets); piped or written to a file, lines stay whole, one per item, for
        # grep and for the docs' examples.
        fold = (lambda line: wrap_line(line, out.width)) if out.is_terminal and _on_tty(out) else (lambda line: [line])
        for part in fold(text[0]):
            out.print(f"[bold {colour}]{escape(part)}[/]")
        for line in text[1:]:
            for part in fold(line):
                out.print(escape(part))
        out.print()
