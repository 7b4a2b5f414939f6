"""``python -m benchmarks.scenarios``: regenerate the generated-scenario part (curves.csv.gz, labels.csv)."""

import sys

from .generate import CONFIGS, generate

if __name__ == "__main__":
    only = set(sys.argv[1:])
    configs = [c for c in CONFIGS if not only or c.name in only or c.cause in only]
    out = None
    if only:  # a partial run never overwrites the committed files
        from pathlib import Path
        import tempfile
        out = Path(tempfile.mkdtemp(prefix="losslens_scenarios_"))
    generate(configs, **({"out_dir": out} if out else {}))
