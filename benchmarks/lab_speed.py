"""Wall time of the seed lab: the article's 3 experiments x 5 seeds x 50 epochs (target: <= 60 s on 2 cores).

    python benchmarks/lab_speed.py [--seeds 5] [--threads 1]

Prints the time per experiment arm and in total, the torch thread count, and the machine's
load average (the figure is only meaningful on an otherwise idle machine).
"""

import argparse
import os
import sys
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=50)
    args = p.parse_args(argv)
    from losslens.lab import runner

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = runner.run_seed_lab(range(args.seeds), epochs=args.epochs, threads=args.threads)
    total = time.perf_counter() - t0
    for a in res.arms():
        print(f"{a.arm.key:22s} {a.seconds:6.1f} s  ({len(a.seeds)} seeds, verdicts {dict(a.verdicts())})")
    print(f"seed lab: 3 experiments x {args.seeds} seeds x {args.epochs} epochs in {total:.1f} s "
          f"(training {res.seconds:.1f} s) on {res.threads} torch thread(s), {os.cpu_count()} cores; "
          f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}; target <= 60 s: "
          f"{'met' if total <= 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
