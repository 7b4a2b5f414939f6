"""What every callback shares: no framework import, parameter checks, the saved file."""

import json
import subprocess
import sys

import pytest

FRAMEWORKS = ("torch", "keras", "lightning", "pytorch_lightning", "transformers", "tensorflow", "jax",
              "tensorboard", "mlflow", "wandb", "tbparse")


def test_import_losslens_imports_no_framework(tmp_path):
    log = tmp_path / "history.csv"
    log.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},{1.1 / (e + 1)}\n" for e in range(20)))
    code = (
        "import sys, losslens, losslens.integrations, losslens.integrations._core\n"
        f"losslens.diagnose({str(log)!r})\n"
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_unknown_causes_and_modes_are_refused():
    from losslens.integrations._core import Watcher

    with pytest.raises(ValueError, match="unknown cause"):
        Watcher(stop_on=("convergd",))
    with pytest.raises(ValueError, match="mode"):
        Watcher(mode="lowest")
    assert Watcher(monitor="val_accuracy").mode == "max"
    # mode="auto" reads the direction as the diagnosis does: a Dice score or a reward rises
    assert Watcher(monitor="val_dice_coef").mode == "max" and Watcher(monitor="ep_rew_mean").mode == "max"
    assert Watcher(monitor="val_mean_absolute_error").mode == "min"
    assert Watcher(monitor="loss").monitor_key == "train_loss"


def test_watcher_saves_keras_history_json_that_losslens_reads(tmp_path):
    import losslens
    from losslens.integrations._core import Watcher

    path = tmp_path / "sub" / "run.json"
    w = Watcher(save_path=path, verbose=0, framework="test")
    for e in range(6):
        w.end_epoch(e, {"loss": 1 / (e + 1), "val_loss": None if e == 2 else 1.2 / (e + 1),
                        "accuracy": 0.5 + e / 20, "custom_metric": e})
    saved = json.loads(path.read_text())
    assert saved["epoch"] == [0, 1, 2, 3, 4, 5]
    assert saved["val_loss"][2] is None and saved["loss"][0] == 1.0
    assert set(saved) == {"epoch", "loss", "val_loss", "accuracy", "custom_metric", "meta"}
    assert saved["meta"]["framework"] == "test" and saved["meta"]["format"] == "losslens.run/1"
    [run] = losslens.read(path)
    assert run.train_acc[-1] == pytest.approx(0.75)
    assert run.get("custom_metric") is not None
