"""losslens benchmarks: labeled curves and the scoring of losslens against other tools.

``python -m benchmarks`` (or ``losslens bench`` from a checkout) scores the diagnosis on two
parts, reported separately:

- ``real``: curves from ``../shared/curves`` (DeepOBS, Keras book notebooks, Ultralytics
  YOLO) labeled by the documented rules of :mod:`benchmarks.labels.rules`, using the real
  interventions the data hold (DeepOBS's learning-rate grid, its 10-seed groups, the rest of
  a run as the "train longer" counterfactual). Built by ``python -m benchmarks.labels``.
- ``generated``: small models trained on CPU, one or more setups per cause, every label
  confirmed by an intervention run (:mod:`benchmarks.scenarios`).

Each case is one run (one seed) with one labeled cause and, where a multi-seed mean curve
exists, the ground-truth plateau epoch X. The split is fixed by a hash of the case id:
``test`` cases are held out and never used to tune anything.
"""

from __future__ import annotations

import hashlib
import json
import sys
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELD_OUT_PERCENT = 30


def curves_dir() -> Path | None:
    """The real-curves folder: ``LOSSLENS_CURVES``, else ``../shared/curves`` beside the checkout,
    else ``/work/shared/curves``; None when there is none (tests skip, benchmarks say so)."""
    env = os.environ.get("LOSSLENS_CURVES")
    if env:
        return Path(env)
    for cand in (Path(__file__).resolve().parents[2] / "shared" / "curves", Path("/work/shared/curves")):
        if cand.is_dir():
            return cand
    return None


def publish(text: str, path: Path | None) -> None:
    """Print a benchmark's markdown and, unless ``path`` is None (``--no-write``), save it there, saying where on
    stderr (the full path: a relative one read as the checkout's, wherever the command ran)."""
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.resolve()}", file=sys.stderr)


def split_of(case_id: str) -> str:
    """``"test"`` for the held-out ~30% of case ids (SHA-1 of the id, fixed), else ``"train"``."""
    h = int(hashlib.sha1(case_id.encode("utf-8")).hexdigest()[:8], 16)
    return "test" if h % 100 < HELD_OUT_PERCENT else "train"


@dataclass
class Case:
    """One labeled run.

    ``cause``: the labeled cause (losslens vocabulary); ``also``: other causes the rules also
    support (reported as lenient accuracy, never in macro-F1); ``x_true``: ground-truth X in
    the run's axis units or None (no plateau, or no multi-seed mean to measure it on);
    ``length``: run length in axis units (X errors are a % of it); ``numbers``: the rule's
    evidence.
    """

    case_id: str
    part: str
    run: Any
    metric: str
    cause: str
    x_true: float | None
    length: float
    rule: str = ""
    numbers: dict = field(default_factory=dict)
    also: tuple = ()
    classes: int | None = None
    source: str = ""

    @property
    def split(self) -> str:
        return split_of(self.case_id)


def _json(text):
    return json.loads(text) if isinstance(text, str) and text else {}


def load_cases(parts=("real", "generated")) -> list[Case]:
    """All benchmark cases of ``parts`` with their Runs built."""
    out: list[Case] = []
    if "real" in parts:
        from .labels.real import load_real_cases
        out += load_real_cases()
    if "generated" in parts:
        from .scenarios.generate import load_generated_cases
        out += load_generated_cases()
    return out
