"""The terminal report as a person sees it: `losslens diagnose` run in a real pseudo-terminal of a set width, and
piped. On a terminal each evidence and action line is folded to its width with a hanging indent (a 270-character
line wrapped at column 0 under the bullets read as a new item); piped, each stays one whole line (grep, the docs'
examples). The summary table says X with its unit, the verdict in words and the confidence as a percentage."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import losslens

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    # (The losslens this test imported, by absolute path: the subprocess runs the same code.)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(losslens.__file__).resolve().parents[1]), str(ROOT)])
    env["TERM"] = "xterm-256color"
    return env


def _in_terminal(args: list[str], columns: int) -> str:
    """stdout of ``python -m losslens ARGS`` written to a pseudo-terminal ``columns`` wide, colours stripped."""
    pty, fcntl, termios, struct = (pytest.importorskip(m) for m in ("pty", "fcntl", "termios", "struct"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "losslens", *args], stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE, env=_env(), cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    return ANSI.sub("", b"".join(chunks).decode("utf-8").replace("\r\n", "\n"))


def _piped(args: list[str]) -> str:
    out = subprocess.run([sys.executable, "-m", "losslens", *args], capture_output=True, text=True, env=_env(),
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _items(text: str) -> list[str]:
    """The report's items (headline, each evidence bullet and action), each with its continuation lines joined."""
    items: list[str] = []
    for line in text.splitlines():
        if line.startswith("    ") and items:
            items[-1] += " " + line.strip()
        elif line.strip():
            items.append(line.rstrip())
    return items


def test_a_terminal_folds_each_line_under_its_bullet_and_a_pipe_keeps_it_whole():
    width = 72
    shown = _in_terminal(["diagnose", str(EXAMPLE)], width)
    piped = _piped(["diagnose", str(EXAMPLE)])
    long = [line for line in piped.splitlines() if len(line) > width]
    assert long, piped  # (the example has lines to fold: data_limited's action runs to 230 characters)
    # Piped: one line per item, as long as it is.
    assert any(line.startswith("  → confirm with a learning curve") and len(line) > 200 for line in long)
    # On the terminal: nothing past its width but a word that cannot be split, and every continuation line
    # indented under its bullet's text (4 spaces), never at column 0.
    lines = shown.splitlines()
    assert all(len(line) <= width or " " not in line.strip() for line in lines), [x for x in lines if len(x) > width]
    assert any(line.startswith("    ") for line in lines)
    starts = ("  - ", "  → ", "    ", "what to do:", "also ", "keras_csvlogger: ")
    assert all(line.startswith(starts) for line in lines if line.strip()), lines
    # The same words, item for item: folding adds line breaks and indents, nothing else.
    assert [" ".join(i.split()) for i in _items(shown)] == [" ".join(i.split()) for i in _items(piped)]


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_a_file_or_pipe_keeps_lines_whole_under_force_color(env):
    # FORCE_COLOR and TTY_COMPATIBLE make rich take a pipe for a terminal, for colours: the report was folded at
    # 80 columns (rich's width with no terminal to ask) into a file, where a pipe gets whole lines.
    piped = _piped(["diagnose", str(EXAMPLE)])
    out = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(EXAMPLE)], capture_output=True, text=True,
                         env={**_env(), **env}, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert ANSI.sub("", out.stdout) == piped


def test_summary_table_says_x_with_its_unit_the_verdict_in_words_and_confidence_in_percent():
    """Two runs: the table's X column read "3" beside "1375" (an epoch beside a step), its verdicts
    `still_improving` where the text says "still improving", its confidence "0.75" where the HTML says 75%."""
    logs = ROOT / "tests" / "fixtures" / "logs"
    out = _piped(["diagnose", str(EXAMPLE), str(logs / "keras_rlrop.csv")])
    rows = [line for line in out.splitlines() if line.startswith("│")]
    header = [c.strip() for c in next(x for x in out.splitlines() if x.startswith("┃")).strip("┃").split("┃")]
    assert len(rows) == 2 and "conf." not in header, out
    for row in rows:
        cells = dict(zip(header, (c.strip() for c in row.strip("│").split("│"))))
        verdict, x, conf = cells["verdict"], cells["X"], cells["confidence"]
        assert "_" not in verdict and verdict in ("overfitting", "converged", "still improving"), row
        assert re.fullmatch(r"epoch \d+", x), row
        assert re.fullmatch(r"\d{1,3}%", conf), row
    head = next(line for line in out.splitlines() if line.startswith("keras_csvlogger:"))
    assert re.search(r"\(confidence \d{1,3}%, val_loss\)$", head), head


RUNS = ROOT / "tests" / "fixtures" / "ecosystem" / "fresh_kinds"  # 27 runs: the reading bar and the diagnosing one


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_no_progress_frame_reaches_a_file_or_pipe(tmp_path, env):
    # FORCE_COLOR (set by many CI setups) and TTY_COMPATIBLE make rich take any stream for a terminal: the bars wrote
    # every frame, cursor codes and all, into what stderr was redirected to (4.5 kB for this folder, NO_COLOR or not).
    for args in (["diagnose", str(RUNS)], ["report", str(RUNS), "-o", str(tmp_path / "r.html")]):
        out = subprocess.run([sys.executable, "-m", "losslens", *args], capture_output=True, text=True,
                             env={**_env(), **env}, cwd=ROOT, timeout=300)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stderr and "diagnosing" not in out.stderr and "reading" not in out.stderr, \
            (args, out.stderr[:300])
        if "NO_COLOR" in env:
            assert "\x1b" not in out.stdout


def test_the_bar_is_drawn_on_a_terminal_and_without_colour_under_no_color(tmp_path):
    pty, fcntl, termios, struct = (pytest.importorskip(m) for m in ("pty", "fcntl", "termios", "struct"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "losslens", "diagnose", str(RUNS)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, env={**_env(), "NO_COLOR": "1"}, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=300) == 0
    drawn = b"".join(chunks).decode("utf-8")
    assert "diagnosing" in drawn and "\x1b[2K" in drawn  # the bar, redrawn in place
    assert not re.search(r"\x1b\[[0-9;]*m", drawn)  # and no colour or bold under NO_COLOR


@pytest.mark.parametrize("name", ["keras_lr_blowup/sgd_0.5_s0.csv", "keras_wide_mlp_overfit/seed0.csv"])
def test_the_text_lists_every_action_the_json_and_html_list(name):
    """Each cause's actions, in the text as in the JSON (and the HTML card, built from the same list): the other
    causes' were cut at two, and data_limited's "regularize: weight decay, dropout" was in the JSON alone. Only an
    action printed word for word above is left out."""
    from losslens.report.text import as_logged

    path = ROOT / "tests" / "fixtures" / "ecosystem" / name
    d = losslens.diagnose(str(path))
    text = str(d).splitlines()
    said = {line.split("→ ", 1)[1] for line in text if line.startswith("  → ")}
    wanted = {as_logged(d, a) for c in d.to_dict()["causes"] for a in c["actions"]}
    assert len(d.causes) > 1 and any(len(c.actions) > 2 for c in d.causes[1:])  # the case this guards
    assert said == wanted
    assert len([line for line in text if line.startswith("  → ")]) == len(said)  # and each once
