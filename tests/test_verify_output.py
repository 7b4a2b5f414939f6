"""What ``train()`` prints while verify retrains it, under verify's status line: real Keras fits at their default
verbose (the progress bar redrawn every step), a few seconds each.

Written through, each redraw of Keras' bar ran into the status line as a line of its own (a fit of 8 epochs printed
33 kB between verify's lines at a terminal); verify now holds it while the status line is drawn and shows its last
lines only when ``train()`` raises."""

import logging

import pytest

import losslens

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _fit(lr_factor=1.0, epochs_factor=1.0, seed=0):
    from keras_models import article_data

    keras.utils.set_random_seed(seed)
    x, y = article_data(0)
    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3 * lr_factor), loss="mse")
    return model.fit(x, y, validation_split=0.2, epochs=round(8 * epochs_factor), batch_size=32)  # verbose: Keras'


def test_a_retrainings_progress_bars_are_held_under_the_status_line(capsys):
    result = losslens.verify(_fit, causes=["still_improving"], progress=True)
    said = capsys.readouterr()
    assert result.diagnosis.verdict == "still_improving" and result.holds("still_improving") is not None
    assert "loss:" not in said.out and "loss:" not in said.err, (said.out[-300:], said.err[-300:])
    # Without the status line (progress=False: piped, --json, a notebook) what train() prints passes through.
    losslens.verify(_fit, causes=["still_improving"], progress=False)
    assert "val_loss:" in capsys.readouterr().out


def test_what_a_failing_retraining_printed_is_shown_and_the_streams_come_back(capsys):
    """A retraining that raises after it printed: its last lines are shown (the bar of its last epoch, then
    verify's line saying the check was not run); a logging handler made inside train() (Lightning's, at its
    import) writes to the real stderr once verify is done, not into what was held."""
    made = []

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        handler = logging.StreamHandler()  # binds the sys.stderr of the moment, as an import inside train() does
        made.append(handler)
        history = _fit(lr_factor, epochs_factor, seed)
        if epochs_factor != 1:
            print("about to save the checkpoint")
            raise RuntimeError("disk full")
        return history

    result = losslens.verify(train, causes=["still_improving"], progress=True)
    said = capsys.readouterr()
    [check] = [r for r in result.results if r.check.cause == "still_improving"]
    assert check.skipped and "RuntimeError: disk full" in check.skipped
    assert "train(epochs_factor=2.0) printed, before it stopped (its last 20 lines):" in said.err, said.err[-500:]
    tail = said.err[said.err.index("printed, before it stopped"):].splitlines()
    assert tail[-1] == "  about to save the checkpoint" and "val_loss:" in tail[-2], tail
    assert "Epoch 16/16" in said.err and "Epoch 8/8" not in said.err  # (the baseline's bars: held, and it did not fail)
    made[0].stream.write("after verify\n")
    assert "after verify" in capsys.readouterr().err


def test_a_line_redrawn_with_carriage_returns_is_shown_as_the_terminal_left_it(capsys):
    """A loop that redraws one line per epoch (``print(..., end="\\r")``) and raises: the tail shows that line's
    last drawing. Taken as the text after its last "\\r" (nothing), the line was dropped from the tail."""
    import torch
    from keras_models import article_data

    x, y = (torch.tensor(a, dtype=torch.float32) for a in article_data(0))

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        torch.manual_seed(seed)
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2 * lr_factor)
        history = {"loss": [], "val_loss": []}
        epochs = round(8 * epochs_factor)
        for epoch in range(1, epochs + 1):
            for i in range(0, 800, 32):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x[i:i + 32]).squeeze(1), y[i:i + 32])
                loss.backward()
                opt.step()
            with torch.no_grad():
                history["loss"].append(torch.nn.functional.mse_loss(model(x[:800]).squeeze(1), y[:800]).item())
                history["val_loss"].append(torch.nn.functional.mse_loss(model(x[800:]).squeeze(1), y[800:]).item())
            print(f"epoch {epoch}/{epochs} loss {history['loss'][-1]:.4f}", end="\r")
        if epochs_factor != 1:
            raise RuntimeError("disk full")
        return history

    losslens.verify(train, causes=["still_improving"], progress=True)
    said = capsys.readouterr().err
    assert "train(epochs_factor=2.0) printed, before it stopped (its last 1 lines):" in said, said[-500:]
    tail = said[said.index("printed, before it stopped"):].splitlines()
    assert tail[1].startswith("  epoch 16/16 loss "), tail
