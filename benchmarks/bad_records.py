"""Damaged records in the text formats, against each undamaged fixture's own diagnosis.

    python -m benchmarks.bad_records --out /tmp/bad_records.jsonl          # build the cases, diagnose them
    python -m benchmarks.bad_records --compare old.jsonl new.jsonl          # class by class, two source trees
    python -m benchmarks.bad_records --tables --out /tmp/twins.jsonl        # a header name doubled, every table

Damaged copies of committed fixtures written by the libraries (a Keras History JSON, two Hugging Face
``trainer_state.json``, a loop's JSON Lines, MMEngine's ``scalars.json``, seven printed logs): a list cut
at either end or in the middle, a key written twice (over other values or alike), a record repeated, repeated
over other values, moved to an earlier step, cut short, a value of the wrong type (true, a list, an object, a
word, a number as a string), a printed line repeated or cut mid-number. Each is diagnosed (``diagnose --json``)
and classed against the undamaged file: ``same`` (the verdict, X, causes and best point alike), ``refused``
(exit 2), ``different`` (silent, or with a warning). A silent ``different`` is a wrong answer given without a
word. (docs/benchmarks.md, "Bad input (fuzz)".)
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build(out: Path) -> dict[str, str]:
    """Write the damaged copies into ``out``; ``{case file name: its undamaged fixture}``."""
    fixtures = REPO / "tests" / "fixtures"
    cases: dict[str, str] = {}

    def put(name: str, text: str, orig: Path) -> None:
        (out / name).write_text(text)
        cases[name] = str(orig)

    # Keras History JSON: a list cut at either end or in its middle; a key renamed to its neighbour's (the
    # object then holds it twice); a key written twice alike.
    f = fixtures / "logs" / "keras_history.json"
    text = f.read_text()
    hist = json.loads(text)
    for key, v in hist.items():
        for how, kept in (("cut_last", v[:-1]), ("cut_first", v[1:]), ("drop_mid", v[:len(v) // 2] + v[len(v) // 2 + 1:])):
            put(f"kh_{how}_{key}.json", json.dumps({**hist, key: kept}), f)
    keys = list(hist)
    for a, b in zip(keys, keys[1:]):
        put(f"kh_dupkey_{b}_as_{a}.json", text.replace(f'"{b}":', f'"{a}":', 1), f)
        put(f"kh_dupkey_{a}_as_{b}.json", text.replace(f'"{a}":', f'"{b}":', 1), f)
    put("kh_dupkey_same_loss.json", text.rstrip()[:-1] + ', "loss": ' + json.dumps(hist["loss"]) + "}", f)

    # trainer_state.json: a record repeated, repeated over another eval_loss, moved to an earlier step, two
    # swapped, the first third written again at the end; a key twice in a record; a loss of the wrong type.
    for f, tag in ((fixtures / "logs" / "hf_output" / "trainer_state.json", "hf_output"),
                   (fixtures / "ecosystem" / "hf_evaluate" / "trainer_state.json", "eval")):
        state = json.loads(f.read_text())
        log = state["log_history"]
        evals = [i for i, r in enumerate(log) if "eval_loss" in r]
        trains = [i for i, r in enumerate(log) if "loss" in r]
        e, t = evals[len(evals) // 2], trains[len(trains) // 2]

        def w(how, rows, f=f, tag=tag, state=state):
            put(f"hf_{tag}_{how}.json", json.dumps({**state, "log_history": rows}, indent=2), f)

        copy = lambda: [dict(r) for r in log]  # noqa: E731
        w("eval_repeated", log[:e + 1] + [log[e]] + log[e + 1:])
        w("train_repeated", log[:t + 1] + [log[t]] + log[t + 1:])
        w("eval_contradict", log[:e + 1] + [dict(log[e], eval_loss=log[e]["eval_loss"] * 1.5)] + log[e + 1:])
        rows = copy()
        rows[t]["step"] = log[trains[1]]["step"]
        w("train_step_back", rows)
        rows = copy()
        rows[e]["step"] = log[evals[0]]["step"]
        w("eval_step_back", rows)
        rows = copy()
        rows[t], rows[t + 1] = rows[t + 1], rows[t]
        w("swapped", rows)
        w("tail_rewritten", log + copy()[:len(log) // 3])
        dumped = json.dumps(state, indent=2)
        at = dumped.find(f'"eval_loss": {json.dumps(log[e]["eval_loss"])}')
        put(f"hf_{tag}_dupkey_eval_loss.json",
            dumped[:at] + f'"eval_loss": {log[e]["eval_loss"] * 3},\n      ' + dumped[at:], f)
        loss = f'"loss": {json.dumps(log[t]["loss"])}'
        at = dumped.find(loss)
        head, tail = dumped[:at], dumped[at + len(loss):]
        put(f"hf_{tag}_dupkey_loss_after.json", head + loss + f',\n      "loss": {log[t]["loss"] * 3}' + tail, f)
        for how, value in (("wrongtype", f'"{log[t]["loss"]}x"'), ("bool", "true"), ("list", f"[{json.dumps(log[t]['loss'])}]")):
            put(f"hf_{tag}_{how}_loss.json", head + f'"loss": {value}' + tail, f)

    # JSON Lines: a record repeated, cut in the middle or at the end, missing a key, a key of the wrong type
    # or written twice, repeated over a loss x1.5, moved back to the first record's step.
    for f in (fixtures / "logs" / "torch_loop.jsonl", fixtures / "ecosystem" / "mmengine" / "scalars.json"):
        lines = f.read_text().splitlines()
        tag, m = f.name.split(".")[0], len(lines) // 2
        record = json.loads(lines[m])

        def w(how, rows, f=f, tag=tag):
            put(f"jl_{tag}_{how}.jsonl", "\n".join(rows) + "\n", f)

        def instead(line, lines=lines, m=m):
            return lines[:m] + [line] + lines[m + 1:]

        w("repeated", lines[:m + 1] + [lines[m]] + lines[m + 1:])
        w("cut_mid", instead(lines[m][:len(lines[m]) // 2]))
        w("cut_last", lines[:-1] + [lines[-1][:len(lines[-1]) // 2]])
        for key, value in record.items():
            name = key.replace("/", "_")
            w(f"missing_{name}", instead(json.dumps({k: v for k, v in record.items() if k != key})))
            for bad, label in ((True, "bool"), ("abc", "str"), ([value], "list"), ({"v": value}, "dict"),
                               (str(value), "numstr")):
                w(f"type_{label}_{name}", instead(json.dumps({**record, key: bad})))
            twice = value * 2 if isinstance(value, (int, float)) else value
            w(f"dupkey_{name}", instead(json.dumps(record)[:-1] + f', "{key}": {json.dumps(twice)}}}'))
        more = {k: v * 1.5 if "loss" in k else v for k, v in record.items()}
        w("contradict", lines[:m + 1] + [json.dumps(more)] + lines[m + 1:])
        first = json.loads(lines[1])
        w("step_back", instead(json.dumps({k: first.get(k, v) if k in ("step", "iter") else v
                                           for k, v in record.items()})))

    # Printed logs: a line (Keras: an epoch's two lines) repeated; a line cut mid-number in the middle (at its
    # last or first number) or as the last line (followed by a newline: read as a shorter print).
    number = re.compile(r"\d+\.\d{2,}")
    for name in ("printed_keras_val_improvement.txt", "printed_epochs.txt", "hf_console.txt", "printed_nanogpt.txt",
                 "printed_fairseq.txt", "printed_llmc.txt", "printed_oneline.txt"):
        f = fixtures / "logs" / name
        lines = f.read_text().splitlines()
        tag = name.split(".")[0]

        def w(how, rows, f=f, tag=tag):
            put(f"con_{tag}_{how}.txt", "\n".join(rows) + "\n", f)

        valued = [i for i, line in enumerate(lines) if number.search(line) and "loss" in line.lower()]
        m, last = valued[len(valued) // 2], valued[-1]
        if "keras" in tag:
            w("epoch_repeated", lines[:m + 1] + lines[m - 1:m + 1] + lines[m + 1:])
        else:
            w("line_repeated", lines[:m + 1] + [lines[m]] + lines[m + 1:])
        found = list(number.finditer(lines[m]))
        w("cut_mid_number", lines[:m] + [lines[m][:found[-1].start() + 3]] + lines[m + 1:])
        w("cut_first_number", lines[:m] + [lines[m][:found[0].start() + 3]] + lines[m + 1:])
        end = list(number.finditer(lines[last]))[-1]
        w("cut_last_number", lines[:last] + [lines[last][:end.start() + 3]])
    return cases


def diagnose(paths) -> dict[str, dict]:
    from typer.testing import CliRunner

    from losslens.cli import app

    lines: list[str] = []

    class _Log(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    logger = logging.getLogger("losslens")
    logger.addHandler(_Log())
    logger.propagate = False
    out = {}
    for p in paths:
        lines.clear()
        res = CliRunner().invoke(app, ["diagnose", "--json", p], catch_exceptions=True)
        summary = []
        if res.exit_code in (0, 1):
            for line in res.stdout.splitlines():
                d = json.loads(line)
                summary.append([d.get("metric"), d.get("axis"), d.get("length"), d.get("verdict"), d.get("plateau_epoch"),
                                [[c.get("id"), c.get("confidence")] for c in d.get("causes", [])][:4], d.get("best")])
        out[p] = {"rc": res.exit_code, "summary": summary, "stderr": res.stderr.strip()[-400:], "log": list(lines)}
    return out


def classes(cases: dict[str, str], read: dict[str, dict], out: Path) -> dict[str, str]:
    got = {}
    for name, orig in sorted(cases.items()):
        r, o = read[str(out / name)], read[orig]
        if r["rc"] == 2:
            got[name] = "refused"
        elif r["rc"] == o["rc"] and r["summary"] == o["summary"]:
            got[name] = "same" + (", with a warning" if r["log"] else "")
        else:
            got[name] = "different" + (", with a warning" if r["log"] else ", silent")
    return got


def table_twins(tmp: Path) -> dict[str, str]:
    """Every CSV/TSV fixture of 2-40 columns, each header name written over its right neighbour's (``over``: a
    name doubled over other values) and each column written twice (``alike``), classed as :func:`classes` does
    against the undamaged file. (A copy is read outside its folder: files whose reading takes its folder's
    name or files, DVCLive's ``val/loss.tsv``, CatBoost's ``test_error.tsv``, Lightning's ``hparams.yaml``, can
    read differently for that alone.)"""
    from benchmarks.fuzz import fixtures

    cases: dict[str, str] = {}
    for f in fixtures():
        if f.suffix not in (".csv", ".tsv"):
            continue
        lines = f.read_text(errors="replace").splitlines()
        if not lines:
            continue
        d = "," if lines[0].count(",") >= lines[0].count("\t") else "\t"
        head = lines[0].split(d)
        rows = [line.split(d) for line in lines if line]
        if not 2 <= len(head) <= 40:
            continue
        for i in range(len(head) - 1):
            name = f"{len(cases)}_over{f.suffix}"
            (tmp / name).write_text(d.join(head[:i + 1] + [head[i]] + head[i + 2:]) + "\n" + "\n".join(lines[1:]) + "\n")
            cases[name] = str(f)
            if all(len(r) == len(head) for r in rows):
                name = f"{len(cases)}_alike{f.suffix}"
                (tmp / name).write_text("".join(d.join(r[:i + 1] + [r[i]] + r[i + 1:]) + "\n" for r in rows))
                cases[name] = str(f)
    return cases


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write {case: class} here (JSON Lines)")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    ap.add_argument("--tables", action="store_true", help="header names doubled in every table fixture instead")
    args = ap.parse_args(argv)
    if args.compare:
        old, new = ({r["case"]: r["class"] for r in map(json.loads, p.open())} for p in args.compare)
        for (a, b), n in sorted(collections.Counter((old[c], new[c]) for c in old).items()):
            print(f"{n:4d}  {a} -> {b}")
        return 0
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cases = table_twins(Path(tmp)) if args.tables else build(Path(tmp))
        paths = sorted(set(cases.values())) + [str(Path(tmp) / c) for c in sorted(cases)]
        got = classes(cases, diagnose(paths), Path(tmp))
    for kind, n in collections.Counter(got.values()).most_common():
        print(f"{n:4d}  {kind}")
    if args.out:
        with args.out.open("w") as f:
            for case, kind in got.items():
                f.write(json.dumps({"case": case, "class": kind}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
