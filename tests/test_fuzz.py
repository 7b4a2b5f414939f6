"""The bad-input contract, fuzzed through the command line: a seeded sample of ~200 corrupted copies of the
committed fixtures (benchmarks/fuzz.py: cut, flipped, re-encoded, re-delimited, NaN-filled, gzipped, huge-lined,
folders of garbage, symlink loops), each run by ``diagnose --json``, ``forecast``, ``report`` or ``plot``. Each
ends in exit 0, 1 or 2; on 2 in one line on stderr naming the file; never a traceback; the input unchanged; a
diagnosis's numbers finite. ``python -m benchmarks.fuzz`` runs the full sweep (every fixture x mutation);
``LOSSLENS_FUZZ_CASES=2000`` samples more here, ``LOSSLENS_FUZZ_SEED`` another sample."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks import fuzz

CASES = fuzz.plan(int(os.environ.get("LOSSLENS_FUZZ_CASES", "200")), int(os.environ.get("LOSSLENS_FUZZ_SEED", "0")),
                  tuple(fuzz.COMMANDS))


@pytest.mark.parametrize("case, command", CASES, ids=[f"{i}-{c.mutation}-{cmd}" for i, (c, cmd) in enumerate(CASES)])
def test_corrupted_fixture_keeps_the_bad_input_contract(tmp_path, case, command):
    case = fuzz.build(fuzz.Case(case.fixture, case.mutation, case.seed), tmp_path / "in")
    failure = fuzz.check(case, command, tmp_path / "out")
    assert failure is None, f"{command} {case.label}: {failure[0]}: {failure[1]}"


# Re-encodings that leave every number as it was: one per reader family (a Keras CSVLogger file and its TSV, Keras's
# printed fit, Lightning's metrics.csv, a trainer_state.json, a torch loop's JSON Lines, printed loops).
SAME_READING = ["logs/keras_csvlogger.csv", "logs/keras_csvlogger.tsv", "ecosystem/keras_console/training.log",
                "ecosystem/lightning_ddpm/epochs80/metrics.csv", "ecosystem/hf_lm_finetune/ft_e6/trainer_state.json",
                "logs/torch_loop.jsonl", "logs/printed_nanogpt.txt", "logs/printed_epochs.txt", "logs/hf_console.txt"]


@pytest.mark.parametrize("mutation", ["crlf", "utf8_bom"])
@pytest.mark.parametrize("name", SAME_READING)
def test_windows_line_ends_and_a_bom_give_the_same_diagnosis(tmp_path, name, mutation):
    # The silent-answer half of the sweep: a copy saved by a Windows editor (CRLF, a UTF-8 BOM) must read as the
    # original, number for number (all 643 fixtures did so on 2026-12-05: benchmarks/fuzz.py, docs/benchmarks.md).
    import random

    import losslens

    original = fuzz.REPO / "tests" / "fixtures" / name
    copy = tmp_path / mutation / original.name
    copy.parent.mkdir()
    data = original.read_bytes()
    damaged = fuzz.BYTES[mutation](data, random.Random(0))
    copy.write_bytes(damaged if damaged != data else data.replace(b"\r\n", b"\n"))  # (csv writes \r\n: then \n)
    assert copy.read_bytes() != data
    want, got = losslens.diagnose(original).to_dict(), losslens.diagnose(copy).to_dict()
    for d in (want, got):
        del d["source"], d["run"]  # (the run is named after the folder: trainer_state.json's)
    assert json.loads(json.dumps(got).replace(str(copy.parent), "DIR")) == \
        json.loads(json.dumps(want).replace(str(original.parent), "DIR"))
