"""DVCLive's metric files: ``<dvclive dir>/plots/metrics/**/<name>.tsv``, one file per metric.

``live.log_metric("train/loss", v)`` appends a row to ``plots/metrics/train/loss.tsv``::

    step	loss
    0	2.0957

The header names only the last part of the metric; the folders above the file are the rest, and
the split is one of them (``train/``, ``val/``, DVCLive's callbacks' ``eval/``). A directory listing
would read ``val/loss.tsv`` as a training ``loss``, so a file is named by its path below
``plots/metrics`` (``val/loss``, mapped like any column: ``val_loss``), and the tree is read as one
run on one ``step`` axis. ``live.next_step()`` advances the step: once per epoch in a loop and in
DVCLive's Keras callback, once per logging step in its Hugging Face one. A value logged twice at one
step is folded as printed logs are (training values averaged, a validation value the last).

``metrics.json`` (the last values only) and ``params.yaml`` are no curves and are not read.
"""

from __future__ import annotations

from pathlib import Path

from ..columns import TEST_SPLITS, TRAIN_SPLITS, VAL_SPLITS, normalise
from ..exceptions import ReadError
from ..run import Run
from . import _source, table
from .console import collect, first_line, fold
from .delimited import numeric_tsv

_SPLITS = TRAIN_SPLITS + VAL_SPLITS + TEST_SPLITS


def is_metric_file(path: Path, text: str) -> bool:
    """DVCLive's header: ``step<TAB>NAME`` (``timestamp`` first with ``timestamp=True``), NAME being
    the file's own stem."""
    head = [h.strip() for h in first_line(text).split("\t")]
    return path.suffix.lower() == ".tsv" and head[-2:] == ["step", path.stem] and head[:-2] in ([], ["timestamp"])


def metrics_dir(folder: Path) -> Path | None:
    """The ``plots/metrics`` folder when ``folder`` is a DVCLive folder, its ``plots/`` or that
    ``plots/metrics/`` itself, else None."""
    for cand in (folder / "plots" / "metrics", folder / "metrics", folder):
        if cand.name == "metrics" and cand.parent.name == "plots" and cand.is_dir():
            first = next(cand.rglob("*.tsv"), None)
            if first is not None and _has_header(first):
                return cand
    return None


def metric_name(path: Path) -> str:
    """The name the metric was logged under: its path below ``plots/metrics``, without ``.tsv``.

    Away from that tree (a file copied out), the folder it is in still says the split when it is
    named like one (``val/loss.tsv``)."""
    parts = path.absolute().with_suffix("").parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] == "metrics" and parts[i - 1] == "plots":
            return _logged_name(parts[i + 1:])
    if len(parts) > 1 and normalise(parts[-2]) in _SPLITS:
        return f"{parts[-2]}/{parts[-1]}"
    return parts[-1]


def _logged_name(parts: tuple[str, ...]) -> str:
    # DVCLive's Lightning logger writes Lightning's train_loss_epoch as train/epoch/loss
    # (dvclive.utils.standardize_metric_name); the original name is the one the column table knows.
    if len(parts) == 3 and parts[1] in ("epoch", "step") and parts[0].endswith(("train", "val", "test")):
        return f"{parts[0]}_{parts[2]}_{parts[1]}"
    return "/".join(parts)


def read_metric_file(path: Path, text: str, *, name: str, source: str, **options) -> list[Run]:
    """One metric file read alone, named by its path (``val/loss.tsv`` -> ``val_loss``)."""
    sums: dict = {}
    _collect(sums, metric_name(path), text, path.stem, source)
    run_dir = _run_dir(path.parent)
    return table.to_runs(fold(sums, "step"), name=run_dir.name if run_dir else name, source=source,
                         fmt="dvclive", **options)


def read_folder(folder: Path, source: str, **options) -> list[Run]:
    """Every metric file of a DVCLive folder (or of its ``plots/`` or ``plots/metrics/``) as one run."""
    found = metrics_dir(folder)
    if found is None:
        raise ReadError("no DVCLive plots/metrics folder with metric files", source)
    run_dir = found.parent.parent
    sums: dict = {}
    for path in sorted(p for p in found.rglob("*.tsv") if p.is_file()):
        rel = path.relative_to(run_dir).as_posix()
        try:
            text = _source.load(path, rel).text
            if text is None or not is_metric_file(path, text):
                header = ", ".join(first_line(text or "").split("\t"))[:80]
                raise ReadError(f"not DVCLive's header 'step, {path.stem}' (found: {header})", rel)
            _collect(sums, _logged_name(path.relative_to(found).with_suffix("").parts), text, path.stem, rel)
        except ReadError as exc:
            # One line naming the damaged file, below the folder the user named.
            raise ReadError(f"{rel}: {exc.problem}", source) from None
    return table.to_runs(fold(sums, "step"), name=run_dir.name, source=source, fmt="dvclive", **options)


def _collect(sums: dict, name: str, text: str, stem: str, source: str) -> None:
    header, rows = numeric_tsv(text, source)
    if header[-2:] != ["step", stem]:
        raise ReadError(f"no 'step' and {stem!r} columns (found: {', '.join(header)})", source)
    for step, value in rows[:, -2:]:
        collect(sums, float(step), {name: float(value)})


def _has_header(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return is_metric_file(path, fh.readline())
    except OSError:
        return False


def _run_dir(folder: Path) -> Path | None:
    """The DVCLive folder above a metric file's folder (the parent of ``plots/metrics``)."""
    for parent in (folder, *folder.absolute().parents):
        if parent.name == "metrics" and parent.parent.name == "plots":
            return parent.parent.parent
    return None
