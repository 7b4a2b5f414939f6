"""The bad-input contract, fuzzed through the command line: a seeded sample of ~200 corrupted copies of the
committed fixtures (benchmarks/fuzz.py: cut, flipped, re-encoded, re-delimited, NaN-filled, gzipped, huge-lined,
folders of garbage, symlink loops), each run by ``diagnose --json``, ``forecast``, ``report`` or ``plot``. Each
ends in exit 0, 1 or 2; on 2 in one line on stderr naming the file; never a traceback; the input unchanged; a
diagnosis's numbers finite. ``python -m benchmarks.fuzz`` runs the full sweep (every fixture x mutation);
``LOSSLENS_FUZZ_CASES=2000`` samples more here, ``LOSSLENS_FUZZ_SEED`` another sample."""

from __future__ import annotations

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
