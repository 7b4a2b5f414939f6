"""``losslens lab seed``, ``losslens lab variants`` and ``losslens demo``: the article's experiments, run and diagnosed.

Only typer and the standard library are imported here; torch and the lab load inside the commands.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional, Sequence

import typer

from .report import progress_bar

DEFAULT_OUT = "losslens-lab"
#: ``lab variants``' own folder inside the demo's: its runs beside the seed runs made ``losslens diagnose
#: losslens-lab/runs``, which the demo suggests, read both.
VARIANTS_OUT = f"{DEFAULT_OUT}/variants"


class Variant(str, Enum):
    """The names ``lab variants`` takes (``lab.variants.VARIANTS``' keys, not imported here: torch): an Enum, so that
    its help lists them (a list of str shows ``<list[str]>``)."""
    overfit = "overfit"
    data = "data"
    lr = "lr"


class ArticleExperiment(str, Enum):
    """The article's examples by their headings (``lab.experiments.SEED_EXPERIMENTS``' names, not imported
    here: torch)."""
    complex = "complex"
    data = "data"
    optimizer = "optimizer"


lab_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="The article's three experiments and the variants that make each phenomenon real.")


def _need_torch(digits: bool = False):
    """One line naming the extra, before any training, when what the lab imports is missing (the digits
    variant reads scikit-learn's bundled digits), not a traceback after the runs that went first."""
    from ..cli import fail
    from ..exceptions import TORCH_PIN
    try:
        import torch  # noqa: F401
    except ImportError:
        fail(f"the lab needs PyTorch: pip install {TORCH_PIN} 'losslens[lab]'")
    if digits:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            fail("the data variant needs scikit-learn (its digits): pip install 'losslens[lab]'")


def seed_lab(seeds: int = 5, framework: str = "torch", out: str = DEFAULT_OUT, epochs: int = 50,
             keras_seed: int = 0, quiet: bool = False, verify: bool = True,
             experiments: Sequence[str] = ()) -> Path:
    """Run, diagnose, save and report the seed lab (``experiments``: names, default all three);
    returns the report path."""
    from ..cli import fail

    _need_torch()
    from ..lab import report as lab_report
    from ..lab import runner
    from ..lab.experiments import SEED_EXPERIMENTS

    if framework not in ("torch", "keras"):
        fail(f"--framework: choose torch or keras, not {framework!r}")
    if framework == "keras":  # before the PyTorch seeds train, not minutes after
        from ..lab import keras_article
        try:
            keras_article.import_keras()
        except ImportError as exc:
            fail(str(exc))
        if seeds < 2:
            fail("--framework keras: at least 2 seeds, so that there is a spread to place the Keras run in")
    if seeds < 1:
        fail("--seeds: at least 1 seed")
    chosen = [e for e in SEED_EXPERIMENTS if not experiments or e.name in experiments]
    out_dir = Path(out)
    arms = [a.key for e in chosen for a in e.arms]
    planned = [out_dir / "report.md", out_dir / "report.html"]
    planned += [out_dir / "runs" / f"{k}_seed{s}.json" for k in arms for s in range(seeds)]
    if framework == "keras":
        planned += [out_dir / "runs" / f"keras_{k}_seed{keras_seed}.json" for k in arms]
    _clear_the_way(out_dir, planned)
    with progress_bar(True) as bar:
        task = bar.add_task(f"training {seeds} seed{'s' * (seeds != 1)} x {len(chosen)} experiment"
                            f"{'s' * (len(chosen) != 1)}", total=runner.total_epochs(chosen, epochs=epochs))
        result = runner.run_seed_lab(range(seeds), epochs=epochs, experiments=chosen,
                                     on_epoch=lambda _e: bar.advance(task))
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
                task = bar.add_task(f"Keras 3, seed {keras_seed}", total=len(chosen))
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


def _written_by_lab(path: Path) -> bool:
    """Whether ``path`` is a file an earlier ``losslens lab`` run wrote: its report's heading, or a run's
    JSON with the lab's meta (every run it saves names its arm)."""
    import json

    try:
        if path.suffix == ".json":
            meta = json.loads(path.read_text(encoding="utf-8")).get("meta")
            return isinstance(meta, dict) and "arm" in meta
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
    except (OSError, ValueError, AttributeError):
        return False
    if path.suffix == ".md":
        return head.startswith("# losslens lab")
    return "<title>losslens lab" in head


def _clear_the_way(out_dir: Path, planned: Sequence[Path], others: bool = True) -> None:
    """Before any training: refuse to overwrite a file the lab did not write (a user's own report.md under
    ``--out .``), and say which files of an earlier lab run are replaced and which stay beside the new ones
    (``losslens diagnose OUT/runs`` reads those too) -- never silently, and never minutes into a run."""
    from ..cli import fail

    existing = [p for p in planned if p.exists()]
    foreign = [p for p in existing if not p.is_file() or not _written_by_lab(p)]
    if foreign:
        fail(f"{foreign[0]}: exists and was not written by losslens lab; it would be overwritten "
             "(choose another --out, or move it)")
    if existing:
        typer.echo(f"replacing {len(existing)} file(s) an earlier losslens lab run wrote in {out_dir}/", err=True)
    runs = out_dir / "runs"
    kept = sorted(set(runs.glob("*.json")) - set(planned)) if others and runs.is_dir() else []
    if kept:
        typer.echo(f"{runs}/ also holds {len(kept)} other run(s) this run does not rewrite ({kept[0].name} ...): "
                   f"losslens diagnose {runs} reads them too", err=True)


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
    experiment: Optional[List[ArticleExperiment]] = typer.Option(
        None, "--experiment", "-e", show_default=False,
        help="Which of the article's examples (repeatable; default all three): complex (1. Overly Complex "
             "Model), data (2. Data Limitations), optimizer (3. Optimizer Limits)."),
    seeds: int = typer.Option(5, "--seeds", "-n", min=1, help="Number of seeds (0..n-1): mean and spread."),
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
    """The article's three experiments: train several seeds, measure, diagnose, check by retraining, report.

    All three x 5 seeds x 50 epochs take about 40 s on an idle 2-core machine, 1-2 minutes on a busy
    one, half of it the retraining
    (--no-verify skips it); --framework keras adds a few minutes per seed of Keras.
    """
    from ..cli import run_guarded
    chosen = [e.value for e in experiment or ()]
    run_guarded(seed_lab, seeds, framework, out, epochs, keras_seed, quiet, verify, chosen)


@lab_app.command("variants")
def variants(
    which: Optional[List[Variant]] = typer.Argument(None, metavar="NAME", show_default=False,
                                                    help="Which variants (default: all three)."),
    seeds: int = typer.Option(3, "--seeds", "-n", min=1, help="Seeds per setting."),
    out: str = typer.Option(VARIANTS_OUT, "--out", "-o",
                            help="Folder for the runs (JSON, in runs/) and the report (variants.md); apart from the "
                                 "demo's losslens-lab/runs."),
):
    """Variants that make each phenomenon real: overfitting, a data-limited plateau, a too-large step.

    All three x 3 seeds take about a minute on 2 cores.
    """
    from ..cli import run_guarded

    chosen = [w.value for w in (which or Variant)]
    _need_torch(digits="data" in chosen)
    run_guarded(_run_variants, chosen, seeds, out)


def _run_variants(chosen, seeds: int, out: str):
    from ..lab import variants as lab_variants

    out_dir = Path(out)
    # (its runs' names come with the variants (torch); report.html is the demo's page, built alike: a user's own
    # report.html in --out is refused before training, as a report.md is by the demo)
    _clear_the_way(out_dir, [out_dir / "variants.md", out_dir / "report.html"], others=False)
    results, files = [], []
    with progress_bar(True) as bar:
        for name in chosen:
            task = bar.add_task(f"variant {name}", total=None)
            res = lab_variants.VARIANTS[name](seeds=range(seeds))
            bar.update(task, total=1, completed=1)
            files += lab_variants.save(res, out_dir)
            results.append(res)
    paths = lab_variants.write_reports(results, out_dir)
    typer.echo(paths[0].read_text(encoding="utf-8"))
    typer.echo(f"wrote {len(files)} runs to {out_dir / 'runs'}/ (losslens diagnose {out_dir / 'runs'})")
    for p in paths:
        typer.echo(f"wrote {p}")
    if len(paths) > 1:
        typer.echo(f"\nopen the report: {paths[-1]}")


def register(app):
    app.add_typer(lab_app, name="lab")

    @app.command("demo")
    def demo(
        out: str = typer.Option(DEFAULT_OUT, "--out", "-o", help="Folder for the runs (JSON) and the report."),
        seeds: int = typer.Option(5, "--seeds", "-n", min=1, help="Seeds per experiment."),
        verify: bool = typer.Option(True, "--verify/--no-verify",
                                    help="Check each verdict by retraining with its counterfactual."),
    ):
        """Run the article's three experiments (5 seeds each), diagnose them, check each verdict by
        retraining with its counterfactual and write the report (about 40 s on an idle 2-core machine,
        1-2 minutes on a busy one)."""
        from ..cli import run_guarded
        path = run_guarded(seed_lab, seeds, "torch", out, 50, 0, False, verify)
        typer.echo(f"\nopen the report: {path}")
