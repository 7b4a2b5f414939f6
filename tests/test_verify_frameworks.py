"""losslens verify on Lightning and Hugging Face training functions written as a new user writes them, returning
what such a user has at hand after fit / train (the Trainer, its state, the callback, ``trainer.callback_metrics``,
``TrainOutput``). Real tiny CPU runs: a Lightning MLP on generated regression data, a tiny BERT built from a
config (tests/hf_models.py), a few seconds each."""

import functools
import json
import textwrap

import pytest
from typer.testing import CliRunner

import losslens
from losslens.api import to_runs
from losslens.cli import app
from losslens.exceptions import LosslensError, UsageTypeError

pytest.importorskip("lightning")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

LIGHTNING_TRAIN = textwrap.dedent('''
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from losslens.integrations.lightning import LosslensCallback

    ROOT = {root!r}


    class Regressor(L.LightningModule):
        def __init__(self, lr):
            super().__init__()
            self.lr = lr
            self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))

        def _loss(self, batch):
            return torch.nn.functional.mse_loss(self.net(batch[0]).squeeze(-1), batch[1])

        def training_step(self, batch, i):
            loss = self._loss(batch)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch, i):
            self.log("val_loss", self._loss(batch))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr)


    def train(lr_factor=1.0, epochs_factor=1.0, seed=0, give="callback", watch=True):
        L.seed_everything(seed)
        x = torch.randn(192, 4)
        y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(192)
        cb = LosslensCallback(save_path=None)
        trainer = L.Trainer(max_epochs=round(6 * epochs_factor), callbacks=[cb] if watch else [], logger=L.pytorch.loggers.CSVLogger(ROOT),
                            default_root_dir=ROOT, accelerator="cpu", enable_progress_bar=False,
                            enable_model_summary=False)
        model = Regressor(0.01 * lr_factor)
        trainer.fit(model, DataLoader(TensorDataset(x[:128], y[:128]), batch_size=32),
                    DataLoader(TensorDataset(x[128:], y[128:]), batch_size=64))
        made = {{"callback": cb, "trainer": trainer, "module": model, "callback_metrics": trainer.callback_metrics}}
        return made if give == "all" else made[give]
''')


def _lightning(tmp_path):
    script = tmp_path / "train_lightning.py"
    script.write_text(LIGHTNING_TRAIN.format(root=str(tmp_path / "logs")))
    return script


def test_lightning_objects_are_read_or_refused_with_what_to_return(tmp_path):
    """A Trainer, a LightningModule and ``trainer.callback_metrics`` hold no curve: each was refused as "no kind of
    run" with the list of what losslens reads (none of it a Lightning word), or, callback_metrics, read as a one-epoch
    run, "too short to diagnose". Now each says what to return; the losslens callback itself is read, and so is a
    Trainer holding one."""
    namespace = {}
    exec(compile(_lightning(tmp_path).read_text(), "train_lightning.py", "exec"), namespace)
    made = namespace["train"](give="all", watch=False)
    for what, said in [("trainer", "a Lightning Trainer holds no curve"),
                       ("module", "a LightningModule holds no curve"),
                       ("callback_metrics", "trainer.callback_metrics holds the last epoch's")]:
        with pytest.raises(UsageTypeError, match="trainer.logger.log_dir") as e:
            to_runs(made[what])
        assert said in str(e.value)
    # With the callback attached: the callback, and the Trainer holding it, are read as the run it recorded
    made = namespace["train"](give="all")
    for given in (made["callback"], made["trainer"]):
        run, = to_runs(given)
        assert len(run.series["val_loss"]) == 6 and len(run.series["train_loss"]) == 6


def test_verify_cli_on_a_lightning_train_returning_its_callback(tmp_path):
    """``losslens verify train.py:train`` on a seeded Lightning train (``seed_everything``) that returns the losslens
    callback: the baseline and lr x 10 train once each (the seed keyword is trusted: no second, seedless baseline),
    the lr reaches configure_optimizers (lr x 10 ends elsewhere), --json's stdout is the one object, and the
    callback's own end-of-training report of each run is not printed (verify reports them)."""
    script = _lightning(tmp_path)
    res = CliRunner().invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low", "--json"])
    assert res.exit_code in (0, 1), res.output
    # The callback's own report of each run came between verify's lines (--json: on stderr); verify reports the runs
    assert "at the end of training" not in res.output
    out = json.loads(res.stdout)
    assert out["deterministic"] is None
    lr, = [r for r in out["checks"] if r["cause"] == "lr_too_low"]
    assert lr.get("skipped") is None and lr["value"] != lr["baseline"]
    assert sorted(p.name for p in (tmp_path / "logs" / "lightning_logs").iterdir()) == ["version_0", "version_1"]


@pytest.mark.slow  # (two tiny BERTs trained, and a third started: about 5 s, 25 s with the import)
def test_verify_hf_seed_in_training_arguments_and_the_trainer_returned(tmp_path):
    """The Hugging Face way: the model built from its config, then ``TrainingArguments(seed=seed)``. That seed reaches
    the Trainer's shuffling, not the weights made before it, so two calls of one setting differed (eval_loss 0.6925 vs
    0.6932) and an lr_factor dropped on its way to learning_rate read as a change, lr x 10 "does NOT hold". verify
    now starts each call from the same global generators: the dropped keyword is found. The Trainer and its state
    are read as trainer_state.json is; a TrainOutput is refused, naming trainer.state; an output_dir with no
    checkpoint in it says to return the Trainer."""
    transformers = pytest.importorskip("transformers")
    from hf_models import keyword_task

    made = {}

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0, give="log"):
        config = transformers.BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                         intermediate_size=32, max_position_embeddings=16, num_labels=2)
        model = transformers.BertForSequenceClassification(config)
        args = transformers.TrainingArguments(
            output_dir=str(tmp_path / "out"), num_train_epochs=round(3 * epochs_factor), learning_rate=5e-4,
            per_device_train_batch_size=32, eval_strategy="epoch", logging_strategy="epoch", save_strategy="no",
            report_to=[], use_cpu=True, disable_tqdm=True, seed=seed)  # lr_factor dropped: the user's bug
        trainer = transformers.Trainer(model=model, args=args, train_dataset=keyword_task(64, 0),
                                       eval_dataset=keyword_task(32, 1))
        made["output"] = trainer.train()
        made["trainer"] = trainer
        return args.output_dir if give == "output_dir" else trainer.state.log_history

    v = losslens.verify(train, causes=["lr_too_low"], progress=False)
    lr, = [r for r in v.results if r.check.cause == "lr_too_low"]
    assert lr.holds is None and "returned the very run the baseline did" in lr.skipped
    history, = to_runs(made["trainer"].state.log_history)
    for given in (made["trainer"], made["trainer"].state):
        run, = to_runs(given)
        assert list(run.series["val_loss"]) == list(history.series["val_loss"]) and len(history.series["val_loss"]) == 3
    with pytest.raises(UsageTypeError, match="trainer.state"):
        to_runs(made["output"])
    # output_dir, with no checkpoint saved: empty (was "no training runs found in this directory" alone)
    with pytest.raises(LosslensError, match="holds trainer_state.json only once a checkpoint is saved: return the "
                                            "Trainer or trainer.state"):
        losslens.verify(functools.partial(train, give="output_dir"), causes=["lr_too_low"], progress=False)
