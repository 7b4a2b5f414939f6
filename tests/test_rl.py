"""A reinforcement-learning agent's log is read on its episode reward, not on the algorithm's losses.

The fixtures are Stable-Baselines3 progress.csv files written by SB3's own CSV logger (PPO on CartPole-v1,
tests/fixtures/ecosystem/sb3_ppo/make.py), with the interventions that say what the right reading is.
"""

from pathlib import Path

import numpy as np
import pytest

from losslens import diagnose, forecast, read
from losslens.report.text import render_text

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "sb3_ppo"
REWARD = "rollout_ep_rew_mean"


def _run(name):
    return read(HERE / name / "progress.csv")[0]


def _reward_at(name, step):
    run = _run(name)
    i = int(np.searchsorted(run.axis, step))
    return float(run.series[REWARD][min(i, len(run.axis) - 1)])


def test_the_interventions_behind_the_reading():
    """Twice the steps raised the reward 58%, lr / 10 lowered it 61%, lr x 10 raised it 20% (seed 0)."""
    base = _reward_at("base", 30_000)
    assert _reward_at("base_60k", 30_000) == pytest.approx(base)        # the same run, trained on
    assert _reward_at("base_60k", 60_000) > 1.4 * base
    assert _reward_at("lr3e-5", 30_000) < 0.5 * base
    assert base < _reward_at("lr3e-3", 30_000) < 1.3 * base


def test_ppo_is_read_on_its_reward_and_still_improving():
    """Old: "learning rate too high: train_loss jumps above its trend" off PPO's loss, X at epoch 49 (a row
    number), while the episode reward climbed 25 -> 247 and went on to 389 when trained on."""
    d = diagnose(HERE / "base" / "progress.csv")
    assert d.metric == REWARD and d.run.axis_name == "step"
    assert d.verdict == "still_improving" and d.plateau is None
    assert "lr_too_high" not in d.cause_ids()
    # raising the lr helped less than training on: a possibility, not the verdict
    assert all(c.status == "possible" for c in d.causes if c.id == "lr_too_low")
    text = render_text(d)
    assert "an RL agent's log" in text and "train/value_loss" in text  # (spelt as SB3's progress.csv does)
    assert "no loss logged" not in text  # the reward is read as an agent's, not as a table's only score
    # the forecast to twice the steps holds what training on gave
    fc = forecast(HERE / "base" / "progress.csv", horizon=60_000)
    later = _reward_at("base_60k", 60_000)
    assert fc.interval[0] <= later <= fc.interval[1]
    assert abs(fc.value - later) / later < 0.15


def test_a_reward_below_100_is_not_a_percentage():
    """lr / 10 ends at 96: the forecast was clipped at 100 as if the reward were a percentage; trained on to 60k
    steps the same run reached 230."""
    fc = forecast(HERE / "lr3e-5" / "progress.csv", horizon=60_000)
    assert _reward_at("lr3e-5_60k", 30_000) == pytest.approx(_reward_at("lr3e-5", 30_000))
    later = _reward_at("lr3e-5_60k", 60_000)
    assert later > 200 and fc.interval[0] <= later <= fc.interval[1]


def test_the_losses_stay_readable_by_name():
    run = _run("base")
    assert "train_loss" not in run.series and "val_loss" not in run.series
    d = diagnose(HERE / "base" / "progress.csv", metric="train/loss")
    assert d.metric == "rl_train_loss"


@pytest.mark.framework
def test_sb3_tensorboard_keeps_the_losses_apart():
    """SB3's TensorBoard writer: train/value_loss, train/entropy_loss, train/policy_gradient_loss and train/loss all
    read as one "loss" (a namespace stripped word by word), the last one written winning."""
    pytest.importorskip("tensorboard")
    run = read(HERE / "tensorboard")[0]
    assert {"train_value_loss", "train_entropy_loss", "train_policy_gradient_loss", "rl_train_loss"} <= set(run.series)
    assert "loss" not in run.series and run.axis_name == "step" and run.axis[-1] >= 12_000
    d = diagnose(HERE / "tensorboard")
    assert d.metric == REWARD and d.verdict == "still_improving"


@pytest.mark.parametrize("names, reward", [
    (["rollout/ep_rew_mean", "eval/mean_reward", "train/loss"], "eval/mean_reward"),     # SB3 with an EvalCallback
    (["charts/episodic_return", "losses/value_loss"], "charts/episodic_return"),          # CleanRL
    (["episode_reward_mean", "info/learner/default_policy/vf_loss"], "episode_reward_mean"),  # RLlib
    (["epoch", "loss", "val_loss"], None),
    (["epoch", "return_on_assets", "loss"], None),
])
def test_reward_columns(names, reward):
    from losslens.columns import map_columns, rl_reward

    assert rl_reward(names) == reward
    canon = set(map_columns(names).values())
    assert ("train_loss" in canon or "val_loss" in canon) == (reward is None)


def test_a_reward_column_with_no_value_is_named(tmp_path):
    """The reward blank throughout (a copy of the real log, damaged): read on PPO's loss, and the report says so."""
    import csv

    rows = list(csv.reader(open(HERE / "base" / "progress.csv")))
    i = rows[0].index("rollout/ep_rew_mean")
    for row in rows[1:]:
        row[i] = ""
    path = tmp_path / "progress.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    d = diagnose(path)
    assert d.metric == "rl_train_loss"
    assert any(e.startswith("rollout_ep_rew_mean, the episode reward an RL agent is judged on, has no finite value")
               for e in d.cause.evidence)


def test_a_log_of_rewards_only_is_read(tmp_path):
    """The reward and its step alone (a CleanRL-style log; here the real SB3 log's two columns): was refused as
    'no loss or accuracy column'."""
    import csv

    rows = list(csv.reader(open(HERE / "base" / "progress.csv")))
    keep = [rows[0].index("time/total_timesteps"), rows[0].index("rollout/ep_rew_mean")]
    path = tmp_path / "rewards.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([[r[i] for i in keep] for r in rows])
    d = diagnose(path)
    assert d.metric == REWARD and d.verdict == "still_improving" and d.run.axis_name == "step"


def test_a_word_in_the_reward_column_is_an_error_naming_the_cell(tmp_path):
    import csv

    from losslens.exceptions import ReadError

    rows = list(csv.reader(open(HERE / "base" / "progress.csv")))
    i = rows[0].index("rollout/ep_rew_mean")
    rows[5][i] = "abc"
    path = tmp_path / "progress.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(ReadError, match=r"column 'rollout/ep_rew_mean' holds 'abc' in data row 5"):
        read(path)
