"""How long a 1,000-run HTML report takes to open in a real browser (target <= 3 s).

    python benchmarks/report_open.py

The first 1,000 DeepOBS runs are diagnosed and written as one report; headless Chromium (Debian's
``chromium``, driven as in tests/test_report_browser.py) opens it until the page says it is ready.
Prints the best and median of 3 opens. The test of the same report checks that it opens and lists
every run; the time is measured here, where a loaded machine's figure is read, not asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO), str(REPO / "tests")]

import losslens  # noqa: E402
from losslens.report.html import write_report  # noqa: E402

from benchmarks import curves_dir  # noqa: E402


def main() -> int:
    from test_report_browser import CHROMIUM, READY, Browser

    cdir = curves_dir()
    if CHROMIUM is None or cdir is None:
        print("report_open: needs chromium (apt-get install -y chromium) and ../shared/curves", file=sys.stderr)
        return 2
    runs = losslens.read(cdir / "deepobs_baselines_curves.csv.gz")[:1000]
    ds = [losslens.diagnose(r) for r in runs]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_report(ds, Path(tmp) / "big.html")
        b = Browser(CHROMIUM)
        try:
            times = []
            for _ in range(3):
                b.open("about:blank", "true")
                times.append(b.open(path.as_uri(), READY, timeout=120))
        finally:
            b.close()
        size = path.stat().st_size / 1e6
    print(f"1,000-run report ({size:.1f} MB) ready in {min(times):.2f} s (median {statistics.median(times):.2f}); "
          f"target <= 3 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
