"""``losslens bench``: the diagnosis benchmark (the same as ``python -m benchmarks``).

The benchmark's labeled cases live in the repository (``benchmarks/``), not in the
installed package, so the command works from a checkout only. It prints the tables and writes a file only where
``--out`` names one, relative to the current folder: run from anywhere, it found the checkout and rewrote its
committed ``benchmarks/results/diagnosis.md`` (``python -m benchmarks`` from the repository root regenerates that).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer


NEEDS = "bench needs {package}: pip install {pin} 'losslens[bench]'"


def find_checkout(start: Optional[Path] = None) -> Optional[Path]:
    """The repository root holding ``benchmarks/__init__.py``: from ``start`` (default: the
    working directory) upwards, else next to this installed (editable) package."""
    here = Path(__file__).resolve()
    candidates = [Path(start or Path.cwd()).resolve()]
    candidates += list(candidates[0].parents)
    candidates += [here.parents[3]] if len(here.parents) > 3 else []
    for root in candidates:
        if (root / "benchmarks" / "__init__.py").is_file() and (root / "pyproject.toml").is_file():
            return root
    return None


def register(app):
    @app.command()
    def bench(
        parts: str = typer.Option("real,generated", "--parts", help="Comma list of parts: real, generated."),
        methods: Optional[str] = typer.Option(None, "--methods",
                                              help="Comma list of methods (default: losslens and every baseline)."),
        out: Optional[str] = typer.Option(None, "--out",
                                          help="Also write the tables to this markdown file (default: printed only; "
                                               "benchmarks/results/diagnosis.md from the repository root "
                                               "regenerates the committed one)."),
        errors: bool = typer.Option(False, "--errors", help="Also list losslens's wrong verdicts on the train split."),
        x_errors: bool = typer.Option(False, "--x-errors",
                                      help="Also list the first method's X error on each train-split case with a "
                                           "ground-truth X, largest first."),
        limit: int = typer.Option(0, "--limit", min=0, help="At most this many cases per part (a quick look)."),
    ):
        """Score the diagnosis on labeled curves against a naive rule, Keras EarlyStopping, PyTorch
        ReduceLROnPlateau, Prechelt's stopping criteria and trainspotter."""
        import os

        from losslens.cli import fail

        root = find_checkout()
        if root is None:
            fail("bench needs the benchmarks/ folder of a losslens checkout: run it from the repository")
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        os.environ.setdefault("KERAS_BACKEND", "torch")
        try:
            # Every part reads its labeled curves with pandas: said before any case is scored, not as an
            # internal error from benchmarks/labels (a core install has no pandas).
            import pandas  # noqa: F401
        except ModuleNotFoundError as exc:
            _needs(exc)
        try:
            from benchmarks.score import main
        except ModuleNotFoundError as exc:
            _needs(exc)
        except ImportError as exc:
            fail(f"cannot import the benchmarks from {root}: {exc}")
        argv = ["--parts", parts]
        if methods:
            argv += ["--methods", methods]
        # (score.main's own default is the committed file under the current folder: printed only unless asked)
        argv += ["--out", out or "-"]
        if errors:
            argv.append("--errors")
        if x_errors:
            argv.append("--x-errors")
        if limit:
            argv += ["--limit", str(limit)]
        try:
            code = main(argv)
            if not out and code == 0:
                typer.echo("losslens: printed only, no file written; --out FILE saves the tables", err=True)
        except ModuleNotFoundError as exc:  # a baseline's framework (keras, torch, trainspotter), met as it is scored
            _needs(exc)
        except (OSError, ValueError) as exc:
            fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise typer.Exit(code)


def _needs(exc: ModuleNotFoundError):
    """The one line naming the extra where ``exc`` is a package an extra installs; raised on otherwise: a module no
    extra installs (a losslens submodule, a typo'd import in benchmarks/) is a bug, the internal-error line (exit 3),
    which "pip install 'losslens[bench]'" would not mend."""
    from losslens.cli import fail, missing_extra
    from losslens.exceptions import TORCH_PIN

    package = missing_extra(exc)
    if package is None:
        raise exc
    fail(NEEDS.format(package=package, pin=TORCH_PIN))
