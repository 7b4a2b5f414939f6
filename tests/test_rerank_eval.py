"""Issue 5's re-ranking experiment (benchmarks/rerank_eval.py) reads the train split only, and the X it scores a
re-ranked verdict by is the X a diagnosis reports for that verdict (diagnosis.plateau_of, which the diagnosis
itself calls)."""

import dataclasses

from benchmarks import load_cases
from benchmarks.rerank_eval import fit, predict, records, rules, score


def test_records_read_the_train_split_and_the_x_each_verdict_would_give():
    cases = load_cases(("generated",))[:40]  # small models trained with PyTorch (benchmarks/scenarios)
    assert {c.split for c in cases} == {"train", "test"}
    recs = records(cases)
    train = [c for c in cases if c.split == "train"]
    assert [r["case_id"] for r in recs] == [c.case_id for c in train]
    # Held-out labels, changed, change nothing: they are never diagnosed.
    flipped = [c if c.split == "train" else dataclasses.replace(c, cause="no_signal") for c in cases]
    assert records(flipped) == recs
    # The X recomputed for the rules' own verdict is the one the diagnosis reported, in every case.
    assert all(r["x_ok"] for r in recs) and any(r["x"] is not None for r in recs)
    assert all([c["rank"] for c in r["causes"]] == list(range(len(r["causes"]))) for r in recs)
    # The rules' order scored as the benchmark scores losslens: accuracy is the share whose first cause is the label.
    s = score(recs, rules(recs))["generated"]
    assert s["n"] == len(recs) and s["changed"] == 0
    assert abs(s["acc"] - sum(r["causes"][0]["id"] == r["label"] for r in recs) / len(recs)) < 1e-12
    # The map is fitted on every listed cause and rises with the strength within a cause.
    rows = [dict(c, y=c["id"] == r["label"], ya=c["id"] == r["label"]) for r in recs for c in r["causes"]]
    model = fit(rows, 1.0)
    c = dict(rows[0])
    assert predict(model, dict(c, s=0.3)) < predict(model, dict(c, s=0.8))
