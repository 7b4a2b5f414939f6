"""The command line and the Python API say the same things the same way: several paths read as a folder's files
are (each bad one a line, the good ones reported, exit 2 at the end), the CLI's own wording for the CLI."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from cli_helpers import md5, run_cli  # tests/cli_helpers.py

FIXTURES = Path(__file__).parent / "fixtures"
KERAS_LOG = FIXTURES / "logs" / "keras_rlrop.csv"  # Keras CSVLogger, 60 epochs


def _no_loss_csv(folder: Path) -> Path:
    path = folder / "badcol.csv"
    path.write_text("epoch,foo\n0,1\n1,2\n")
    return path


def test_several_paths_one_missing_still_reports_the_others_then_exits_2(tmp_path):
    bad = _no_loss_csv(tmp_path)
    before = md5(bad)
    for command in (["diagnose", "--json"], ["diagnose"], ["forecast", "--json"]):
        res = run_cli(*command, KERAS_LOG, tmp_path / "nonexistent.csv", bad)
        assert res.exit_code == 2, (command, res.output)
        if "--json" in command:
            rows = [json.loads(line) for line in res.stdout.splitlines()]
            assert [r["run"] for r in rows] == ["keras_rlrop"], res.stdout
        else:
            assert "keras_rlrop" in res.stdout
        err = res.stderr.strip().splitlines()
        assert f"losslens: {tmp_path / 'nonexistent.csv'}: no such file or directory" in err, err
        # the command line's way to name a column, not Python's columns={...}
        assert any(line.startswith(f"losslens: {bad}: no loss or accuracy column") and "--metric COLUMN" in line
                   and "columns=" not in line for line in err), err
    assert md5(bad) == before


def test_several_paths_all_bad_is_each_line_and_exit_2_with_no_output(tmp_path):
    res = run_cli("diagnose", "--json", tmp_path / "a.csv", _no_loss_csv(tmp_path))
    assert res.exit_code == 2 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 2, res.stderr


def test_one_path_bad_is_still_the_one_line_error(tmp_path):
    res = run_cli("diagnose", tmp_path / "nonexistent.csv")
    assert res.exit_code == 2 and res.stderr.strip() == f"losslens: {tmp_path / 'nonexistent.csv'}: no such file or directory"


def test_a_folder_s_passed_over_file_is_worded_for_the_command_line(tmp_path):
    shutil.copy(KERAS_LOG, tmp_path / "keras_rlrop.csv")
    _no_loss_csv(tmp_path)
    res = subprocess.run([sys.executable, "-m", "losslens", "diagnose", "--json", str(tmp_path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "passed over 1 file(s): badcol.csv: no loss or accuracy column" in res.stderr
    assert "--metric COLUMN" in res.stderr and "columns=" not in res.stderr, res.stderr
