"""``losslens lab seed``, ``losslens lab variants`` and ``losslens demo``: the article's experiments, run and diagnosed.

Only typer and the standard library are imported here; torch and the lab load inside the commands.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .report import progress_bar

DEFAULT_OUT = "losslens-lab"


class Variant(str, Enum):
    """The names ``lab variants`` takes (``lab.variants.VARIANTS``' keys, not imported here: torch): an Enum, so that
    its help lists them (a list of str shows ``<list[str]>``)."""
    overfit = "overfit"
    data = "data"
    lr = "lr"

lab_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="The article's three experiments and the variants that make each phenomenon real.")


def _need_torch(digits: bool = False):
    """One line naming the extra, before any training, when what the lab imports is missing (the digits
    variant reads scikit-learn's bundled digits), not a traceback after the runs that went first."""
    from ..cli import fail
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("the lab needs PyTorch: pip install torch==2.13.0 'losslens[lab]'")
    if digits:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            fail("the data variant needs scikit-learn (its digits): pip install 'losslens[lab]'")


def seed_lab(seeds: int = 5, framework: str = "torch", out: str = DEFAULT_OUT, epochs: int = 50,
             keras_seed: int = 0, quiet: bool = False, verify: bool = True) -> Path:
    """Run, diagnose, save and report the seed lab; returns the report path."""
    from ..cli import fail

    _need_torch()
    from ..lab import report as lab_report
    from ..lab import runner

    if framework not in ("torch", "keras"):
        fail(f"--framework: choose torch or keras, not {framework!r}")
    if framework == "keras":  # before the PyTorch seeds train, not minutes after
        from ..lab import keras_article
        try:
            keras_article._keras()
        except ImportError as exc:
            fail(str(exc))
    if seeds < 2:
        fail("--seeds: at least 2 seeds, so that there is a spread")
    out_dir = Path(out)
    with progress_bar(True) as bar:
        task = bar.add_task(f"training {seeds} seeds x 3 experiments", total=runner.total_epochs(epochs=epochs))
        result = runner.run_seed_lab(range(seeds), epochs=epochs, on_epoch=lambda _e: bar.advance(task))
    if verify:
        with progress_bar(True) as bar:
            task = bar.add_task("checking each verdict by retraining", total=len(result.arms()))
            result.verify_seconds = runner.verify_lab(result, epochs=epochs, on_arm=lambda _k: bar.advance(task))
    extra: list[str] = []
    files = runner.save_runs(result.arms(), out_dir)
    if framework == "keras":
        from ..lab import compare

        typer.echo("running the article's Keras code (one seed; a few minutes) ...", err=True)
        try:
            with progress_bar(True) as bar:
                task = bar.add_task(f"Keras 3, seed {keras_seed}", total=len(compare.KERAS_ARMS))
                comps = compare.compare_keras(result, seed=keras_seed, epochs=epochs,
                                              on_arm=lambda _k: bar.advance(task))
        except ImportError as exc:
            fail(str(exc))
        extra = compare.comparison_text(comps, result)
        files += _save_keras(comps, out_dir)
    paths = lab_report.write_reports(result, out_dir, extra=extra)
    if not quiet:
        typer.echo(paths[0].read_text(encoding="utf-8"))
    typer.echo(f"wrote {len(files)} runs to {out_dir / 'runs'}/ (losslens diagnose {out_dir / 'runs'})")
    for p in paths:
        typer.echo(f"wrote {p}")
    return paths[-1]


def _save_keras(comps, out_dir: Path) -> list:
    import json

    from ..lab.runner import history_json

    paths = []
    for c in comps:
        p = out_dir / "runs" / f"keras_{c.arm_key}_seed{c.seed}.json"
        p.write_text(json.dumps(history_json(c.history, {"framework": "keras", "arm": c.arm_key, "seed": c.seed})))
        paths.append(p)
    return paths


@lab_app.command("seed")
def seed(
    seeds: int = typer.Option(5, "--seeds", "-n", min=2, help="Number of seeds (0..n-1): mean and spread."),
    framework: str = typer.Option("torch", "--framework", help="torch (fast re-implementation) or keras "
                                  "(also run the article's Keras code for one seed and compare)."),
    out: str = typer.Option(DEFAULT_OUT, "--out", "-o", help="Folder for the runs (JSON) and the report."),
    epochs: int = typer.Option(50, "--epochs", min=5, help="Epochs per run (the article: 50)."),
    keras_seed: int = typer.Option(0, "--keras-seed", help="Seed of the Keras run (--framework keras)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only say where the files are."),
    verify: bool = typer.Option(True, "--verify/--no-verify",
                                help="Check each verdict by retraining with its counterfactual (lr x10, twice "
                                     "the epochs, shuffled labels; about as long again as the training)."),
):
    """The article's three experiments: train several seeds, measure, diagnose, check by retraining, report."""
    from ..cli import run_guarded
    run_guarded(seed_lab, seeds, framework, out, epochs, keras_seed, quiet, verify)


@lab_app.command("variants")
def variants(
    which: Optional[List[Variant]] = typer.Argument(None, metavar="NAME", show_default=False,
                                                    help="Which variants (default: all three)."),
    seeds: int = typer.Option(3, "--seeds", "-n", min=1, help="Seeds per setting."),
    out: str = typer.Option(DEFAULT_OUT, "--out", "-o", help="Folder for the runs (JSON) and the report."),
):
    """Variants that make each phenomenon real: overfitting, a data-limited plateau, a too-large step."""
    from ..cli import run_guarded

    chosen = [w.value for w in (which or Variant)]
    _need_torch(digits="data" in chosen)
    run_guarded(_run_variants, chosen, seeds, out)


def _run_variants(chosen, seeds: int, out: str):
    from ..lab import variants as lab_variants

    out_dir = Path(out)
    texts, files = [], []
    with progress_bar(True) as bar:
        for name in chosen:
            task = bar.add_task(f"variant {name}", total=None)
            res = lab_variants.VARIANTS[name](seeds=range(seeds))
            bar.update(task, total=1, completed=1)
            files += lab_variants.save(res, out_dir)
            texts.append(res.text())
    report = "# losslens lab: variants that make each phenomenon real\n\n" + "\n\n".join(texts) + "\n"
    path = out_dir / "variants.md"
    path.write_text(report, encoding="utf-8")
    typer.echo(report)
    typer.echo(f"wrote {len(files)} runs to {out_dir / 'runs'}/")
    typer.echo(f"wrote {path}")


def register(app):
    app.add_typer(lab_app, name="lab")

    @app.command("demo")
    def demo(
        out: str = typer.Option(DEFAULT_OUT, "--out", "-o", help="Folder for the runs (JSON) and the report."),
        seeds: int = typer.Option(5, "--seeds", "-n", min=2, help="Seeds per experiment."),
        verify: bool = typer.Option(True, "--verify/--no-verify",
                                    help="Check each verdict by retraining with its counterfactual."),
    ):
        """Run the article's three experiments (5 seeds each), diagnose them, check each verdict by
        retraining with its counterfactual and write the report (about a minute on 2 cores)."""
        from ..cli import run_guarded
        path = run_guarded(seed_lab, seeds, "torch", out, 50, 0, False, verify)
        typer.echo(f"\nopen the report: {path}")
