"""Two Lightning runs of different problems in one ``lightning_logs`` folder, both logging ``train_loss`` and
``val_loss`` and no accuracy: a digits classifier (cross-entropy) and a linear regression (MSE). Their losses do not
compare, yet ``losslens diagnose lightning_logs`` ranked them as a sweep and named the regression "best". What each
module saved with ``save_hyperparameters()`` (``hparams.yaml``) tells them apart; a sweep of one module saves the
same names with other values and keeps its ranking."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.result import best_run, experiments, task_of
from tests.lightning_models import linear_loaders


class _Task(L.LightningModule):
    """Logs train_loss (epoch mean) and val_loss; SGD at the saved lr."""

    def training_step(self, batch, i):
        loss = self._loss(batch)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, i):
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


class DigitsClassifier(_Task):
    def __init__(self, hidden: int = 32, lr: float = 0.1):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))

    def _loss(self, batch):
        return torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])


class Regression(_Task):
    def __init__(self, n_features: int = 4, lr: float = 0.01):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(n_features, 1)

    def _loss(self, batch):
        return torch.nn.functional.mse_loss(self.net(batch[0]).squeeze(-1), batch[1])


class RegressionWithDecay(_Task):
    """The regression once a weight decay joined the sweep: one more name saved."""

    def __init__(self, n_features: int = 4, lr: float = 0.01, weight_decay: float = 0.0):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(n_features, 1)

    _loss = Regression._loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)


def _digits_loaders():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(len(y), generator=g)
    tr, va = idx[:1200], idx[1200:]
    return (DataLoader(TensorDataset(x[tr], y[tr]), batch_size=64, shuffle=True, generator=g),
            DataLoader(TensorDataset(x[va], y[va]), batch_size=256))


def _fit(root, module, loaders):
    torch.manual_seed(0)
    t = L.Trainer(max_epochs=12, logger=CSVLogger(root, name="lightning_logs"), enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                  log_every_n_steps=1)
    t.fit(module, *loaders)


@pytest.fixture(scope="module")
def two_problems(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_problems")
    _fit(root, DigitsClassifier(), _digits_loaders())
    _fit(root, Regression(), linear_loaders(600, [(0, 480), (480, 600)]))
    return root / "lightning_logs"


def test_two_modules_in_one_folder_are_not_ranked_as_a_sweep(two_problems):
    ds = losslens.diagnose_all(two_problems)
    assert [d.run_name for d in ds] == ["version_0", "version_1"]
    assert {d.metric for d in ds} == {"val_loss"} and not any(d.run.has("val_acc") for d in ds)
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    res = CliRunner().invoke(app, ["diagnose", str(two_problems)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert not [ln for ln in lines if ln.startswith("best ")]
    [line] = [ln for ln in lines if ln.startswith("no best named")]
    assert line == ("no best named: these runs solve 2 problems (their saved settings (hparams.yaml) differ: "
                    "version_0's hidden, lr; version_1's lr, n_features), whose val_loss values do not compare; rank "
                    "each problem's runs apart")


def test_a_sweep_of_one_module_is_still_ranked(tmp_path):
    """Two learning rates of the regression, then a weight decay added to the sweep: the same names saved with
    other values, or one more; one experiment, a best named."""
    for module in (Regression(lr=0.01), Regression(lr=0.001), RegressionWithDecay(lr=0.01, weight_decay=1e-4)):
        _fit(tmp_path, module, linear_loaders(600, [(0, 480), (480, 600)]))
    ds = losslens.diagnose_all(tmp_path / "lightning_logs")
    assert len(ds) == 3 and len(experiments(ds)) == 1
    best = ds[best_run(ds)]
    assert best.run.meta["hparams"]["lr"] == 0.01 and np.isfinite(best.best[1])


# ---- settings saved elsewhere than hparams.yaml: MLflow params, a W&B run's config --------------------------
def _digits_history(epochs=12, hidden=32, lr=0.1):
    """A digits MLP trained by mini-batch SGD (cross-entropy): {"train_loss", "val_loss"} per epoch."""
    torch.manual_seed(0)
    train, val = _digits_loaders()
    net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    history = {"train_loss": [], "val_loss": []}
    for _ in range(epochs):
        total = 0.0
        for x, y in train:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
        with torch.no_grad():
            history["val_loss"].append(sum(torch.nn.functional.cross_entropy(net(x), y, reduction="sum").item()
                                           for x, y in val) / 597)
        history["train_loss"].append(total / 1200)
    return history


def _mlflow_store(root, monkeypatch, runs):
    """A file store under ``root`` holding ``runs`` (``(name, params, history)``), as a user's loop logs them."""
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = root / "mlruns"
    mlflow.set_tracking_uri(store.as_uri())
    try:  # the tracking URI is process-wide: a later test's "mlflow:" (the default store) must not see this one
        for name, params, history in runs:
            with mlflow.start_run(run_name=name):
                mlflow.log_params(params)
                for epoch, (t, v) in enumerate(zip(history["train_loss"], history["val_loss"])):
                    mlflow.log_metrics({"train_loss": t, "val_loss": v}, step=epoch)
    finally:
        mlflow.set_tracking_uri(None)
    return store


def test_mlflow_runs_of_two_problems_are_not_ranked_as_a_sweep(tmp_path, monkeypatch):
    """A digits classifier and a diabetes regression logged to one MLflow store, their params naming other
    settings; then two regressions saving the same names, one on diabetes and one on synthetic data: two
    problems each time, no best named (the old code ranked both pairs as sweeps)."""
    from torch_loops import diabetes_mlp_run, linear_regression_run

    diabetes = diabetes_mlp_run(0.01, epochs=12)
    linear = linear_regression_run(0.05, 12, weights=(1.0, -2.0, 0.5, 3.0), inputs="randn")
    linear = {"train_loss": linear["loss"], "val_loss": linear["val_loss"]}
    store = _mlflow_store(tmp_path / "keys", monkeypatch, [
        ("digits", {"dataset": "digits", "hidden": 32, "lr": 0.1}, _digits_history()),
        ("diabetes", {"dataset": "diabetes", "lr": 0.01, "batch_size": 16}, diabetes)])
    ds = losslens.diagnose_all(f"mlflow:{store}")
    assert sorted(d.run_name for d in ds) == ["diabetes", "digits"]
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    res = CliRunner().invoke(app, ["diagnose", f"mlflow:{store}"])
    assert res.exit_code == 0, res.output
    [line] = [ln for ln in res.output.splitlines() if ln.startswith("no best named")]
    said = sorted(line.split("differ: ")[1].split("), whose")[0].split("; "))
    assert line.startswith("no best named: these runs solve 2 problems (their saved settings (MLflow params) differ: ")
    assert said == ["diabetes's dataset=diabetes", "digits's dataset=digits"], line

    store = _mlflow_store(tmp_path / "values", monkeypatch, [
        ("diabetes", {"dataset": "diabetes", "lr": 0.01}, diabetes),
        ("linear", {"dataset": "linear4", "lr": 0.05}, linear)])
    ds = losslens.diagnose_all(f"mlflow:{store}")
    assert len(ds) == 2 and len(experiments(ds)) == 2 and best_run(ds) is None


def test_an_mlflow_sweep_is_still_ranked(tmp_path, monkeypatch):
    """Two learning rates of the diabetes regression: the same names saved, other values; one experiment."""
    from torch_loops import diabetes_mlp_run

    store = _mlflow_store(tmp_path, monkeypatch, [
        (f"lr{lr}", {"dataset": "diabetes", "lr": lr, "batch_size": 16}, diabetes_mlp_run(lr, epochs=12))
        for lr in (0.01, 0.001)])
    ds = losslens.diagnose_all(f"mlflow:{store}")
    assert len(ds) == 2 and len(experiments(ds)) == 1 and best_run(ds) is not None
    assert {d.run.meta["params"]["lr"] for d in ds} == {"0.01", "0.001"}


@pytest.mark.slow  # wandb starts its service process: a few seconds
def test_wandb_offline_runs_of_two_problems_are_not_ranked_as_a_sweep(tmp_path):
    """Three offline W&B runs in one wandb/ folder: two of one sweep (same config names, other lr) and one of
    another problem (dataset=digits). The sweep's pair is one experiment, the third another."""
    pytest.importorskip("wandb")
    import json
    import os
    import subprocess
    import sys

    from torch_loops import diabetes_mlp_run

    runs = [("diabetes_a", {"dataset": "diabetes", "lr": 0.01}, diabetes_mlp_run(0.01, epochs=12)),
            ("diabetes_b", {"dataset": "diabetes", "lr": 0.001}, diabetes_mlp_run(0.001, epochs=12)),
            ("digits", {"dataset": "digits", "model": {"hidden": 32}, "lr": 0.1}, _digits_history())]
    script = (
        "import json, sys, wandb\n"
        "for name, config, h in json.loads(sys.stdin.read()):\n"
        "    run = wandb.init(project='losslens', name=name, config=config)\n"
        "    for e, (t, v) in enumerate(zip(h['train_loss'], h['val_loss'])):\n"
        "        run.log({'train_loss': t, 'val_loss': v, 'epoch': e})\n"
        "    run.finish()\n")
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(tmp_path)}
    # A subprocess: wandb patches the interpreter it runs in (print hooks, atexit).
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(runs), cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    ds = losslens.diagnose_all(f"wandb:{tmp_path / 'wandb'}")
    assert sorted(d.run_name for d in ds) == ["diabetes_a", "diabetes_b", "digits"]
    groups = sorted(sorted(ds[i].run_name for i in g) for g in experiments(ds))
    assert groups == [["diabetes_a", "diabetes_b"], ["digits"]]
    assert best_run(ds) is None
    [digits] = [d for d in ds if d.run_name == "digits"]
    assert digits.run.meta["config"]["model"] == {"hidden": 32}


# ---- Hugging Face Trainer runs: the model's config.json names the problem ------------------------------------
ECO = __import__("pathlib").Path(__file__).parent / "fixtures" / "ecosystem"


def test_trainer_runs_of_two_problems_are_not_ranked_as_a_sweep():
    """A tiny BERT trained by the Trainer as a 2-label classifier and as a regression (num_labels=1), both logging
    loss and eval_loss alone (fixture hf_two_problems, Transformers 5.25): the old code named the classifier's
    0.026 "best" against the regression's mean squared error 1.27. Their model configs say single_label_classification
    with 2 labels and regression with 1; the regression saved no model at the end (save_state() alone), so its
    config.json is read from its latest checkpoint, checkpoint-128/."""
    ds = losslens.diagnose_all(ECO / "hf_two_problems")
    assert [d.run_name for d in ds] == ["classifier", "regression"]
    assert {d.metric for d in ds} == {"val_loss"} and not any(d.run.has("val_acc") for d in ds)
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    cls, reg = (d.run.meta["trainer_settings"] for d in ds)
    assert (cls["problem_type"], cls["num_labels"], reg["problem_type"], reg["num_labels"]) == (
        "single_label_classification", 2, "regression", 1)
    assert cls["architectures"] == reg["architectures"] == "BertForSequenceClassification"
    assert cls["train_batch_size"] == 16 and cls["num_train_epochs"] == 4
    res = CliRunner().invoke(app, ["diagnose", str(ECO / "hf_two_problems")])
    assert res.exit_code == 0, res.output
    [line] = [ln for ln in res.output.splitlines() if ln.startswith("no best named")]
    assert line == ("no best named: these runs solve 2 problems (their saved settings (config.json) differ: "
                    "classifier's architectures=*ForSequenceClassification, num_labels=2, "
                    "problem_type=single_label_classification; regression's architectures=*ForSequenceClassification, "
                    "num_labels=1, problem_type=regression), whose val_loss values do not compare; rank each "
                    "problem's runs apart")
    # (the run scripts' all_results.json, one final value each, is no run and passed over in silence)
    assert "all_results.json" not in res.output


def test_a_trainer_sweep_of_lrs_and_models_is_still_ranked():
    """The classifier at lr 1e-3 and 3e-4, and a RoBERTa of the same size with the same head on the same data
    (fixture hf_lr_sweep): the model configs differ in model_type, not in the problem; one experiment, BERT at 1e-3
    ends lowest (0.026, RoBERTa 0.030, BERT at 3e-4 0.54)."""
    ds = losslens.diagnose_all(ECO / "hf_lr_sweep")
    assert sorted(d.run_name for d in ds) == ["lr1e-3", "lr3e-4", "roberta_lr1e-3"]
    assert all(d.run.meta["trainer_settings_from"] == "config.json" for d in ds)
    assert sorted(d.run.meta["trainer_settings"]["model_type"] for d in ds) == ["bert", "bert", "roberta"]
    assert len(experiments(ds)) == 1 and ds[best_run(ds)].run_name == "lr1e-3"


def test_a_trainer_language_model_beside_a_classifier_is_not_ranked_with_it(tmp_path):
    """A one-layer GPT-2 (GPT2LMHeadModel) predicting the next token of the classifier's sequences (fixture
    hf_lm_beside), in one folder with the classifier: its config says no problem_type and no labels, so its head
    alone tells it apart (the old code named the classifier's 0.026 best against the LM's 3.9 nats a token)."""
    import shutil

    shutil.copytree(ECO / "hf_two_problems" / "classifier", tmp_path / "classifier")
    shutil.copytree(ECO / "hf_lm_beside" / "language_model", tmp_path / "language_model")
    ds = losslens.diagnose_all(tmp_path)
    assert sorted(d.run_name for d in ds) == ["classifier", "language_model"]
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    [lm] = [d for d in ds if d.run_name == "language_model"]
    assert lm.run.meta["trainer_settings"]["architectures"] == "GPT2LMHeadModel"
    assert ("architectures", "*ForCausalLM") in task_of(lm)[2][1]


def test_a_model_config_that_is_not_json_is_passed_over(tmp_path):
    """A config.json beside trainer_state.json that is cut off, or another library's (no model_type): the run reads
    as without it, its trainer_state.json's own settings alone; the file is left as it was."""
    import shutil

    for i, text in enumerate(['{"architectures": ["BertForSeq', '{"lr": 0.1}']):
        out = tmp_path / f"run{i}"
        shutil.copytree(ECO / "hf_lr_sweep" / "lr1e-3", out)
        (out / "config.json").write_text(text)
        [d] = losslens.diagnose_all(out / "trainer_state.json")
        assert d.run.meta["trainer_settings"] == {"train_batch_size": 16, "num_train_epochs": 4}
        assert d.run.meta["trainer_settings_from"] == "trainer_state.json"
        assert (out / "config.json").read_text() == text


def test_trainer_runs_reported_to_wandb_of_two_problems_are_not_ranked_as_a_sweep():
    """The classifier and the regression reported to W&B offline (fixture hf_wandb_two_problems): the Trainer puts
    the model's config and its arguments in the run's config with ``run.config.update`` after ``wandb.init``, a
    config record the old reader passed over (it read the run record's config alone, here empty), so the two runs
    saved nothing and were ranked. problem_type is not set yet when the Trainer reports (None); the label maps tell
    the problems apart: id2label holds 2 labels and 1."""
    pytest.importorskip("wandb")
    ds = losslens.diagnose_all(f"wandb:{ECO / 'hf_wandb_two_problems' / 'wandb'}")
    assert sorted(d.run_name for d in ds) == ["classifier", "regression"]
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    for d in ds:
        config = d.run.meta["config"]
        assert config["learning_rate"] == 0.001 and config["per_device_train_batch_size"] == 16
        assert config["model_type"] == "bert" and not any(k.startswith("_") for k in config)
    assert sorted(len(d.run.meta["config"]["id2label"]) for d in ds) == [1, 2]
    res = CliRunner().invoke(app, ["diagnose", f"wandb:{ECO / 'hf_wandb_two_problems' / 'wandb'}"])
    [line] = [ln for ln in res.output.splitlines() if ln.startswith("no best named")]
    assert "(their saved settings (W&B config) differ: classifier's num_labels=2; regression's num_labels=1)" in line


def test_a_wandb_config_kept_as_value_entries_reads_as_its_values():
    """W&B's config.yaml keeps each entry as ``{desc: null, value: x}`` beside its own ``_wandb``: made here by
    wandb's own ``config_util.dict_from_proto_list`` from the run file's config records. Read so, the settings are
    those of the plain config (the old code named them ``learning_rate.value``, ``learning_rate.desc`` and counted
    no labels)."""
    pytest.importorskip("wandb")
    from wandb.proto import wandb_internal_pb2 as pb
    from wandb.sdk.lib import config_util

    from losslens.facts.regularization import learning_rate, weight_decay
    from losslens.readers import wandb as reader
    from losslens.result import saved_settings, setup_of

    for d in losslens.diagnose_all(f"wandb:{ECO / 'hf_wandb_two_problems' / 'wandb'}"):
        [f] = (ECO / "hf_wandb_two_problems" / "wandb").glob(f"*/run-{d.run.meta['run_id']}.wandb")
        items = []
        for _at, payload in reader._records(f.read_bytes()):
            rec = pb.Record()
            rec.ParseFromString(payload)
            kind = rec.WhichOneof("record_type")
            items += rec.run.config.update if kind == "run" else rec.config.update if kind == "config" else []
        wrapped = config_util.dict_from_proto_list(items)
        assert wrapped["learning_rate"] == {"desc": None, "value": 0.001} and "_wandb" in wrapped
        plain, lr = setup_of(d.run), learning_rate(d.run)
        d.run.meta["config"] = wrapped
        assert setup_of(d.run) == plain and saved_settings(d.run)[1]["learning_rate"] == 0.001
        assert learning_rate(d.run) == lr == 0.001 and weight_decay(d.run.meta) is None  # (AdamW's 0.0)


def test_a_nested_wandb_config_is_read_where_each_setting_lies():
    """wandb.init(config={"optimizer": {"name": ..., "lr": ..., "weight_decay": ...}, "model": {...}}) (fixture
    wandb_nested_config: the digits MLP under SGD and AdamW): W&B keeps the tree as given, and the rules read it as
    they read hparams.yaml's dotted names. The old rules took any dict in a config for W&B's ``{"value": x}`` entry:
    the lr and the decay went unread (None) while the run's saved settings listed them."""
    pytest.importorskip("wandb")
    from losslens.facts.regularization import learning_rate, weight_decay
    from losslens.result import saved_settings

    ds = {d.run_name: d for d in losslens.diagnose_all(f"wandb:{ECO / 'wandb_nested_config' / 'wandb'}")}
    assert sorted(ds) == ["adamw", "sgd"]
    sgd, adamw = ds["sgd"].run, ds["adamw"].run
    assert sgd.meta["config"]["optimizer"] == {"name": "SGD", "lr": 0.05, "weight_decay": 0.01}  # the tree, as kept
    assert saved_settings(sgd) == ("W&B config", {"epochs": 10, "model.hidden": 512, "optimizer.name": "SGD",
                                                  "optimizer.lr": 0.05, "optimizer.weight_decay": 0.01})
    assert learning_rate(sgd) == 0.05 and learning_rate(adamw) == 0.001
    wd = weight_decay(sgd.meta)
    assert (wd.name, wd.value, wd.where, wd.decoupled) == ("optimizer.weight_decay", 0.01, "W&B config", False)
    assert any(a.startswith("lower the weight decay (optimizer.weight_decay = 0.01; try 1/100 of it)")
               for c in ds["sgd"].causes for a in c.actions)
    # AdamW's 0.01 decays the weights apart from the loss (optimizer.name names it), under DECOUPLED_BOUND: not quoted.
    assert weight_decay(adamw.meta) is None and ds["adamw"].to_dict()["facts"]["regularization"] is None


def test_a_trainer_hyperparameter_search_s_trials_are_read_at_the_lr_and_decay_each_trial_set():
    """Three trials of a Transformers hyperparameter search (fixture hf_hp_search: the real Trainer, trained with
    trial=dict as hyperparameter_search's W&B backend runs it): trainer_state.json's trial_params is what each
    trial set TrainingArguments to. The sweep's lr column showed the largest lr logged, 0.92 of the trial's under
    the Trainer's linear schedule (0.00092 for 0.001); the decay, read nowhere, was not quoted."""
    from losslens.facts.regularization import learning_rate, weight_decay

    ds = {d.run_name: d for d in losslens.diagnose_all(ECO / "hf_hp_search" / "hp_out")}
    assert sorted(ds) == ["run-0", "run-1", "run-2"]
    trials = {k: d.run.meta["trainer_settings"]["trial_params"] for k, d in ds.items()}
    assert trials["run-1"] == {"learning_rate": 1e-4, "weight_decay": 1.0}
    for name, d in ds.items():
        assert learning_rate(d.run) == trials[name]["learning_rate"]
        assert max(d.run.get("lr")) == pytest.approx(0.92 * trials[name]["learning_rate"])
    # AdamW (the Trainer's default optim) decays apart from the loss: 0.01 holds nothing, 1.0 bounds the weights
    # (read as a losslens callback reads AdamW's); SGD's (the trial's optim) is an L2 penalty at any size.
    assert weight_decay(ds["run-0"].run.meta) is None
    held = weight_decay(ds["run-1"].run.meta)
    assert held.value == 1.0 and held.decoupled and "trial_params" in held.where
    sgd = weight_decay(ds["run-2"].run.meta)
    assert sgd.value == 0.01 and not sgd.decoupled
    res = CliRunner().invoke(app, ["diagnose", str(ECO / "hf_hp_search" / "hp_out")])
    assert res.exit_code == 0, res.output
    rows = {ln.split("│")[1].strip(): ln.split("│")[2].strip() for ln in res.stdout.splitlines()
            if ln.startswith("│ run-")}
    assert rows == {"run-0": "0.001", "run-1": "0.0001", "run-2": "0.01"}, res.stdout
