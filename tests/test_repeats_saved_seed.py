"""Repeats told apart by a saved seed, not by their names (tests/fixtures/ecosystem/lightning_seed_hparams: Lightning
save_hyperparameters() with a ``seed`` argument, lightning_logs/version_N/; hf_seed_args: a Trainer's arguments in a
W&B config, ``seed`` and ``output_dir`` differing; tb_seed_hparams: torch's add_hparams). Each was read as a sweep over
"seed" with a best named; the figures are in each fixture's make.out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.repeats import find_repeats

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
LT = ECO / "lightning_seed_hparams"


def _run(*args, code=0):
    result = CliRunner().invoke(app, [*map(str, args)])
    assert result.exit_code == code, result.output
    return result.output


def test_lightning_seeds_in_hparams_are_repeats_not_a_sweep():
    """3 seeds of lr 0.05 read "best val_loss: version_0, 0.144" (seed 0's luck: 0.1456 and 0.149 beside it). They are
    read on their mean, converged, which training on to 60 epochs bore out (0.1497 -> 0.1566 mean last val_loss)."""
    out = _run("diagnose", LT / "seeds")
    assert "best val_loss:" not in out
    assert "3 seeds of one setting (only the saved seed differs: 0, 1, 2)" in out and "no best seed named" in out
    assert "mean of 3 seeds: converged" in out
    assert "spread across seeds: smoothed best val_loss 0.1462 ± 0.0026 sd (0.144–0.149)" in out
    [rep] = find_repeats(losslens.diagnose_all(LT / "seeds"))
    assert rep.kind == "seed" and rep.by[0] == "seed" and rep.setting == [] and not rep.left_out


def test_a_sweep_of_lr_at_three_seeds_each_ranks_the_lrs_by_their_seeds_mean():
    """lr 0.05 and 0.005 at seeds 0-2 each: the sweep is of lr, the seeds repeats within it. Before, version_0 (one
    seed of lr 0.05) was named best; now each lr is read on its seeds' mean and the lr whose seeds' smoothed bests are
    lowest is named, with both spreads (0.005's seeds all sit above 0.05's: a setting apart, not luck)."""
    out = _run("diagnose", LT / "sweep")
    assert "best val_loss: version_0" not in out
    assert ("best val_loss: lr=0.05 (3 seeds: version_0, version_1, version_2), smoothed best 0.1462 ± 0.0026 sd "
            "across its seeds, against lr=0.005's 0.3559 ± 0.017") in out
    assert "lr=0.005's seeds all sit beyond its seeds' range" in out
    assert "3 seeds of lr=0.05 (a sweep's setting; within it only the saved seed differs: 0, 1, 2)" in out
    assert "mean of 3 seeds: still improving" in out  # (lr 0.005's)
    groups = find_repeats(losslens.diagnose_all(LT / "sweep"))
    assert [(g.members, g.setting) for g in groups] == [([0, 1, 2], [("lr", 0.05)]), ([3, 4, 5], [("lr", 0.005)])]


def test_a_setting_run_once_beside_repeated_ones_keeps_the_sweeps_best_line(tmp_path):
    """lr 0.005 at one seed beside lr 0.05 at three: no group per setting (one setting is a single run), a sweep as
    before, its best line by run."""
    for v in (0, 1, 2, 3):
        shutil.copytree(LT / "sweep" / "lightning_logs" / f"version_{v}", tmp_path / f"version_{v}")
    out = _run("diagnose", tmp_path)
    assert "best val_loss: version_0" in out and "of one setting" not in out and "of lr=" not in out


def test_one_seed_saved_by_every_run_is_no_repeat(tmp_path):
    """Runs saving the same seed (42, a Trainer's default) are not told apart by it: no repeats, the best named."""
    for v in (0, 1, 2):
        shutil.copytree(LT / "seeds" / "lightning_logs" / f"version_{v}", tmp_path / f"version_{v}")
        hp = tmp_path / f"version_{v}" / "hparams.yaml"
        hp.write_text(hp.read_text().replace(f"seed: {v}", "seed: 42"))
    out = _run("diagnose", tmp_path)
    assert "best val_loss: version_0" in out and "of one setting" not in out


def test_json_carries_the_repeats_on_each_seed():
    lines = [json.loads(x) for x in _run("diagnose", "--json", LT / "seeds").splitlines() if x.startswith("{")]
    assert len(lines) == 3
    assert all(o["repeats"]["kind"] == "seed" and o["repeats"]["members"] == ["version_0", "version_1", "version_2"]
               and o["repeats"]["mean"]["verdict"] == "converged" for o in lines)


def test_trainer_arguments_in_a_wandb_config_seed_and_output_dir_differ():
    """A Trainer's arguments in W&B: seed 0, 1, 2 and their output_dir (where each was written) differ, nothing else.
    Before: a sweep over output_dir and seed, "best val_loss: tz47044k". Now 3 seeds of one setting on their mean."""
    out = _run("diagnose", f"wandb:{ECO / 'hf_seed_args' / 'wandb'}")
    assert "best val_loss:" not in out
    assert "3 seeds of one setting (only the saved seed differs: 0, 1, 2)" in out
    assert "mean of 3 seeds: still improving" in out


def test_tensorboard_add_hparams_seed_and_a_close_seed_is_kept():
    """add_hparams({"lr": 0.03, "momentum": 0.9, "seed": s}) in writers named by date: before, "best val_loss:
    Dec07_13-40-10_vm". Seed 1 ends at 0.2141 beside 0.2034 and 0.2056 (4.9% above their median, 4x their range):
    one setting's spread, kept in the mean, not "diverged, or another setting"."""
    out = _run("diagnose", ECO / "tb_seed_hparams" / "runs")
    assert "best val_loss:" not in out
    assert "3 seeds of one setting (only the saved seed differs: 0, 1, 2)" in out
    assert "left out of the mean" not in out and "mean of 3 seeds: converged" in out


def test_compare_two_seeds_says_only_the_seed_differs():
    """version_0 -> version_1 of one setting: "the logs save no setting that differs" said nothing of the seed that
    does; the change line says the logs are repeats, the move the seeds' luck."""
    s = LT / "seeds" / "lightning_logs"
    out = _run("compare", s / "version_0", s / "version_1", code=2)
    assert "the logs differ only in their seed 0 → 1 (hparams.yaml): repeats of one setting" in out


def test_repeat_setting_names():
    from losslens.repeats import repeat_setting

    for name in ("seed", "trial_params.seed", "random_state", "rng_seed", "data_seed", "fold", "cv_fold", "replicate"):
        assert repeat_setting(name), name
    for name in ("lr", "seeds_per_batch", "accelerator_config.use_seedable_sampler", "max_epochs", "hidden"):
        assert not repeat_setting(name), name


def test_html_report_ranks_the_settings_not_a_seed(tmp_path):
    out = tmp_path / "r.html"
    _run("report", "-o", out, LT / "sweep")
    html = out.read_text()
    assert "best val_loss: lr=0.05 (3 seeds: version_0, version_1, version_2)" in html
    assert 'class="ll-best" title' not in html
