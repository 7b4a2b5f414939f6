"""``python -m benchmarks.labels``: rebuild real_labels.csv from ../shared/curves."""

from collections import Counter

from .real import LABELS, build

if __name__ == "__main__":
    rows = build()
    counts = Counter((r["source"], r["cause"]) for r in rows)
    for (src, cause), n in sorted(counts.items()):
        print(f"{src:8s} {cause:18s} {n}")
    print(f"{len(rows)} labels -> {LABELS}")
