"""``python -m benchmarks``: score losslens and the baselines; writes benchmarks/results/diagnosis.md."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

from .score import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
