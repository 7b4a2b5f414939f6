"""The callbacks under data-parallel training: two processes on CPU (gloo), each run by tests/ddp_train.py.

Each rank runs the callback; rank 0 alone diagnoses, reports and saves, and its stop reaches every rank. Before, each
rank decided for itself: every report was printed once per rank, and where the ranks' values differed (each its own half
of the data, logged without ``sync_dist``) one rank stopped at an epoch the other trained on past, which gloo ends with
"Connection closed by peer" and NCCL with a hang. A hang fails here on its timeout, not by blocking the suite.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
import torch.distributed  # noqa: E402

import losslens  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.slow,
              pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                                 reason="torch without gloo")]

REPO = Path(__file__).resolve().parents[1]
SRC = Path(losslens.__file__).resolve().parents[1]  # the processes run the losslens this test imported
SCRIPT = REPO / "tests" / "ddp_train.py"
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


def train(kind: str, out: Path, options: dict, timeout: float = 240) -> tuple[str, dict, dict]:
    """Run ``tests/ddp_train.py kind`` on two processes; its output and what rank 0 and rank 1 saw. Killed with every
    process it started where it outlives ``timeout`` (a rank left waiting in a collective): a failure."""
    # Lightning's "ddp" starts its second rank itself, running this command again; the others run under torchrun.
    launch = [sys.executable] if kind.startswith("lightning") else TORCHRUN
    output = launched([*launch, str(SCRIPT), kind, str(out), json.dumps(options)], out, kind, timeout)
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    return output, ranks[0], ranks[1]


def launched(command: list[str], out: Path, what: str, timeout: float = 240) -> str:
    """The output of ``command`` run in ``out``, asserted to end well; killed with every process it started where it
    outlives ``timeout``: a failure."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(REPO)]), "KERAS_BACKEND": "torch",
           "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    # Its own process group: Lightning's second rank and torchrun's workers are killed with it.
    proc = subprocess.Popen(command, cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"{what}: still running after {timeout} s (a rank waiting for another):\n{output[-3000:]}")
    assert proc.returncode == 0, output[-3000:]
    return output


def said_once(output: str) -> list[str]:
    """losslens's printed lines, each asserted to be printed once (not once per rank)."""
    lines = [line for line in output.splitlines() if line.startswith("losslens")]
    assert len(lines) == len(set(lines)), "\n".join(lines)
    return lines


def saved_once(out: Path, name: str) -> Path:
    """The one run file under ``out`` (no other losslens file, no temporary file left by a second writer)."""
    files = [p for p in out.rglob("*") if p.is_file() and ("losslens" in p.name or p.name == name)]
    assert len(files) == 1, files
    return files[0]


def test_lightning_ddp_stops_every_rank_at_rank_0s_stop_and_reports_once(tmp_path):
    """Trainer(strategy="ddp", devices=2), stop_on=("converged",) with restore_best_weights; train_loss logged with
    sync_dist=True, val_loss without (each rank its own half of the validation data: Lightning warns, and runs). With
    both synced the ranks saw one curve and stopped together (epoch 39 of 60), each printing every line; here rank 1
    stopped at 32 and rank 0 went on into epoch 33's gradient all-reduce: 'Connection closed by peer', exit 1 (with
    NCCL, a hang). Now rank 0's stop and restore are every rank's."""
    output, zero, one = train("lightning-unsynced", tmp_path, {"stop_on": ["converged"], "restore_best_weights": True})
    lines = said_once(output)
    stop = int(zero["stopped"])
    assert stop < 59
    for rank in (zero, one):  # every rank ends at rank 0's stop (Lightning's current_epoch: the epochs run)
        assert rank["stopped"] == stop and rank["epochs"] == stop + 1
        assert rank["actions"] == [{"action": "stop", "epoch": stop, "cause": "converged"}]
    [said] = [line for line in lines if line.startswith(f"losslens: stopped at epoch {stop} (converged)")]
    assert "restoring the weights of epoch" in said
    assert zero["weights"] == one["weights"]  # restored on every rank: the ranks' models are one model still
    assert sum(line.startswith("losslens (lightning") for line in lines) == zero["reports"] >= 1
    assert one["reports"] == 0
    # What rank 0 recorded is what Lightning logged there: the synced training loss (the same on both ranks) and rank
    # 0's own validation loss.
    assert zero["train_loss"][-1] == pytest.approx(zero["logged"]["train_loss"])
    assert zero["logged"]["train_loss"] == pytest.approx(one["logged"]["train_loss"])
    assert zero["val_loss"][-1] == pytest.approx(zero["logged"]["val_loss"])
    assert zero["logged"]["val_loss"] != pytest.approx(one["logged"]["val_loss"], rel=1e-3)

    saved = saved_once(tmp_path, "losslens.json")
    assert saved == tmp_path / "lightning_logs" / "version_0" / "losslens.json"
    [run] = losslens.read(saved)
    assert len(run) == stop + 1 and run.val_loss == pytest.approx(zero["val_loss"])


def test_torch_loop_under_torchrun_every_rank_breaks_at_the_same_epoch(tmp_path):
    """DistributedDataParallel under torchrun, Monitor(stop_on=("converged",), save_path=...), each rank passing the
    loss of its own half of the validation set to epoch_end. Rank 1 stopped at epoch 29 and rank 0 failed in the next
    all-reduce (exit 1); the Monitor now averages the ranks' values, rank 0 decides and every rank breaks together."""
    output, zero, one = train("torch", tmp_path, {"stop_on": ["converged"], "restore_best_weights": True,
                                                  "save_path": str(tmp_path / "run.json")})
    lines = said_once(output)
    stop = int(zero["stopped"])
    assert stop < 59  # (before the loop's last epoch: 60 since session 41, when a validation loss creeping 15% lower
    # to epoch 37 put the converged stop at 39 of 40, or past it, on some runs: no stop, nothing to break together)
    for rank in (zero, one):
        assert rank["stopped"] == stop and rank["epochs"] == stop  # the loop's epoch at its break
        assert rank["actions"] == [{"action": "stop", "epoch": stop, "cause": "converged"}]
    [said] = [line for line in lines if line.startswith(f"losslens: stopped at epoch {stop} (converged)")]
    assert "restoring the weights of epoch" in said and zero["weights"] == one["weights"]
    assert sum(line.startswith("losslens (torch") for line in lines) == zero["reports"] >= 1 and one["reports"] == 0
    # The whole validation set's loss: the mean of the two halves' (equal halves), recorded alike on both ranks.
    assert zero["val_loss"][-1] == pytest.approx(np.mean([zero["local_val_loss"], one["local_val_loss"]]), rel=1e-6)
    assert one["val_loss"] == pytest.approx(zero["val_loss"])
    assert zero["local_val_loss"] != pytest.approx(one["local_val_loss"], rel=1e-3)

    [run] = losslens.read(saved_once(tmp_path, "run.json"))
    assert len(run) == stop + 1 and run.val_loss == pytest.approx(zero["val_loss"])



def test_the_docs_ddp_loop_runs_as_printed_under_torchrun(tmp_path):
    """docs/integrations.md's data-parallel loop, copied into a file, runs under torchrun on two CPU processes as
    printed: rank 0 reports, stops (converged) and saves once. It used local_rank and device without defining them
    and asked for NCCL with device_ids, which a CPU has neither of."""
    import re

    text = (REPO / "docs" / "integrations.md").read_text()
    section = text[text.index("### Data-parallel training (DDP)"):]
    section = section[:section.index("\n### ", 1)]
    [block] = re.findall(r"```python\n(.*?)```", section, re.S)
    (tmp_path / "ddp_loop.py").write_text(block)
    output = launched([*TORCHRUN, "ddp_loop.py"], tmp_path, "the docs' DDP loop")
    lines = said_once(output)
    [stop] = [int(m.group(1)) for line in lines for m in [re.match(r"losslens: stopped at epoch (\d+) \(converged\)", line)]
              if m]
    assert stop < 199
    [run] = losslens.read(saved_once(tmp_path, "run.json"))
    assert len(run) == stop + 1

def test_hf_trainer_under_torchrun_reports_once_and_stops_together(tmp_path):
    """A tiny BERT under torchrun (2 CPU processes), stop_on=("converged", "overfitting"). The Trainer gathers the
    losses it logs, so both ranks stopped at step 112 before too, each printing every report (its own run name, one
    "losslens", the other "transformers"); rank 0 alone prints them now and its stop is every rank's."""
    output, zero, one = train("hf-per-device", tmp_path, {"stop_on": ["converged", "overfitting"]}, timeout=300)
    lines = said_once(output)
    stop = int(zero["stopped"])
    assert stop < 160
    for rank in (zero, one):
        assert rank["stopped"] == stop and rank["steps"] == stop
        assert [a["step"] for a in rank["actions"] if a["action"] == "stop"] == [stop]
    assert sum(line.startswith("losslens (transformers") for line in lines) == zero["reports"] >= 1
    assert one["reports"] == 0
    [run] = losslens.read(saved_once(tmp_path, "losslens.json"))
    assert run.axis[-1] == stop and np.allclose(run.val_loss, zero["val_loss"], equal_nan=True)
