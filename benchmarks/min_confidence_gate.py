"""The callbacks' min_confidence gate before and after it read the confidence printed: stopping-benchmark curves replayed
through Watcher(stop_on=("converged",)) under the rules' strength (before) and the printed confidence (after).

    LOSSLENS_CURVES=/work/shared/curves python benchmarks/min_confidence_gate.py N [MIN_CONFIDENCE]   # N per dataset

Measured (80 curves per dataset, 240, ~20 min on 2 busy cores; min_confidence 0.5): no stop moved (90.2% of the
points used, p90 regret 0.67%, both); 197 -> 185 reports, 12 curves' reports moved, every one an underfitting
report printed at confidence 0.36-0.50 that is no longer made (11 of them printed below 0.5 before)."""
import hashlib, sys, time, warnings
from pathlib import Path
import numpy as np
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]
warnings.simplefilter("ignore")
from forecast_eval import load_curves
from losslens.integrations import _core

STRENGTH = lambda c: c.confidence if c.strength is None else c.strength
SHOWN = lambda c: c.confidence
limit = int(sys.argv[1]); thr = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
curves = sorted(load_curves(), key=lambda c: hashlib.md5(c.run_id.encode()).hexdigest())
seen = {}
curves = [c for c in curves if seen.__setitem__(c.dataset, seen.get(c.dataset, 0) + 1) or seen[c.dataset] <= limit]

def replay(c, gate, mc):
    _core._gate = gate
    w = _core.Watcher(stop_on=("converged",), verbose=0, horizon=float(c.x[-1]), time_budget_ms=None, min_confidence=mc)
    stop = None
    for i in range(len(c.y)):
        logs = {"val_loss": c.y[i]}
        if c.train is not None:
            logs["loss"] = c.train[i]
        if w.end_epoch(float(c.x[i]), logs).stop:
            stop = i; break
    return [(r["epoch"], r["verdict"], r["confidence"]) for r in w.reports], stop

t0 = time.time()
moved_rep = moved_stop = 0; rows = {"before": [], "after": []}; shown_low = 0
for c in curves:
    a = replay(c, STRENGTH, 0.5); b = replay(c, SHOWN, thr)
    shown_low += sum(conf < 0.5 for _, _, conf in a[0])
    for name, (reps, stop) in (("before", a), ("after", b)):
        used = len(c.y) if stop is None else stop + 1
        rows[name].append((c.dataset, used / len(c.y), float(c.y[:used].min() / c.y.min() - 1), len(reps)))
    if [r[:2] for r in a[0]] != [r[:2] for r in b[0]]:
        moved_rep += 1
        if moved_rep <= 12:
            print("reports", c.dataset, c.run_id[:40], [r[:2] + (round(r[2], 2),) for r in a[0]], "->", [r[:2] + (round(r[2], 2),) for r in b[0]])
    if a[1] != b[1]:
        moved_stop += 1
        print("stop", c.dataset, c.run_id[:40], a[1], "->", b[1], "of", len(c.y))
print(f"{len(curves)} curves, {time.time() - t0:.0f} s; reports moved on {moved_rep}, stops on {moved_stop}; "
      f"reports before printed a confidence < 0.5: {shown_low}")
for name, r in rows.items():
    for part in ("all", "deepobs", "keras", "nanogpt"):
        sel = [x for x in r if part == "all" or x[0] == part]
        if sel:
            reg = np.array([x[2] for x in sel])
            print(f"{name} {part} n={len(sel)} used={np.mean([x[1] for x in sel]):.3f} p90={100*np.quantile(reg, .9):.2f}% "
                  f"mean={100*reg.mean():.2f}% reports={sum(x[3] for x in sel)}")
