"""What training printed: a captured console log (``python train.py > out.txt``, a notebook's
output, ``nohup.out``) read as a training log — Keras' ``fit``, a Hugging Face ``Trainer``, Lightning's
``trainer.fit`` with its TQDM bar (:func:`lightning_console_columns`: an epoch is its bar's last drawing), or a
loop's own ``print`` lines (see :func:`printed_log_columns`).

Each epoch starts with ``Epoch 3/20``; the progress line that follows ends with the epoch's
metrics, ``... - loss: 0.4556 - mae: 0.5441 - val_loss: 0.1685 - val_mae: 0.3362`` (Keras 2's
``[=====]`` bar and Keras 3's, ``verbose=1`` or ``2``). With ``verbose=1`` the bar is redrawn with
carriage returns, backspaces and colour codes; the last drawing of each epoch holds its end-of-epoch
values, validation included. ``Epoch k/N`` is epoch ``k - 1``: Keras prints its 0-based epoch plus one,
and the run is numbered as its History, CSVLogger and the losslens callback number it (DESIGN: X in the
log's own axis, 0-based for Keras), so every view of one fit quotes the same epochs. Lines the losslens
callback printed among them (``losslens: stopped at epoch 8: ...``) are not metrics.
Messages of callbacks (``Epoch 5: val_loss improved ...``, ``early stopping``, ``Restoring model
weights from the end of the best epoch: 7.``) are skipped: Keras writes a metric as `` - name: value``,
and only those pairs are read. A second ``Epoch 1/N`` starts a new ``fit`` (the table reader tells
continued training from a new model). Once an epoch's bar has counted all its steps, a later line is read only as
that drawing with its validation added: ``evaluate()`` after ``fit`` over as many batches is another loop's.

What a script prints after training is no epoch: a summary naming its kind before the epoch it quotes or its first
value (``Best val_loss 0.4936 at epoch 16``, ``final: loss 0.3973``, ``Restoring ... best epoch: 17.``), and, after
a loop's last numbered line, a value of a name no unnumbered line printed under an earlier epoch (``Test loss:
0.4552``) are left out, said in one warning; a file of nothing but such lines is no training log.

A value that is not a number where a number is printed (``loss: abc``, ``{'loss': 'abc'}``,
``loss=abc`` in a tqdm postfix) in a line that is read is a damaged log: a ReadError names the line, the
name and the value (read as a gap, the point vanished in silence). ``nan`` and ``inf`` are numbers.
A loop's own prints are the exception: there a line shaped like the loop's (``Epoch [3/10], Step
[100/600], Loss: abc``) is left out with one warning naming the line, the name and the value, and the
other lines are read (a loop's prints are the user's own text; a word beside ``loss:`` need not mean
the rest of the log is wrong). A log with no readable line left is the usual one-line error.
"""

from __future__ import annotations

import re

import numpy as np

from ..columns import TEST_SPLITS, TRAIN_SPLITS, VAL_SPLITS, canonical, is_validation
from ..exceptions import ReadError
from .delimited import ANSI as _ANSI
from ._source import progress, warn_written_again, written_again
from .delimited import MISSING, is_curve_name, stated_nonfinite

_EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
# Keras joins its metrics with " - " ("10/10 - 0s - 3ms/step - loss: 0.4556 - val_loss: 0.1685"):
# a callback's message ("... the end of the best epoch: 7.") has a "name: value" too, but no " - ".
_METRIC = re.compile(r"(?:^|(?<=\s))-\s+([A-Za-z_][\w./]*): (\S+)")
_KERAS_VALUE = re.compile(r"(?:" + _NUMBER + r")", re.I)
# The step counter a Keras progress line opens with ("10/10", Keras 3's "     12/Unknown").
_KERAS_STEPS = re.compile(r"^\s*\d+/(?:\d+|Unknown)\b")


def _lines(text: str) -> list[str]:
    """Every drawing of every line: colour codes and backspaces gone, carriage returns split."""
    return [seg for _, seg in _numbered_lines(text)]


#: How much text :func:`_numbered_lines` draws at a time: a megabyte's lines, not the file's (a million printed
#: lines held as one list of strings beside the text: 160 MB).
_CHUNK = 1 << 20


def _numbered_lines(text: str, report: bool = False):
    """``(line number, drawing)`` of every drawing of every line, numbered from 1 as an editor
    numbers the file's lines (a line redrawn with carriage returns is one line), a megabyte of text at a time.
    With ``report``, how much of the text is drawn is said to the reading hook (:func:`._source.progress`)
    as each megabyte is done."""
    n, start, size = 0, 0, len(text)
    while start < size or n == 0:
        end = text.find("\n", start + _CHUNK) if start + _CHUNK < size else -1
        end = size if end < 0 else end
        # (Colour codes and backspaces hold no newline: cleaned a chunk of whole lines at a time as in one go.)
        chunk = _ANSI.sub("", text[start:end]).replace("\b", "")
        for line in chunk.split("\n"):
            n += 1
            for seg in line.split("\r"):
                yield n, seg
        start = end + 1
        if report:
            progress(min(start, size), size)
    if start == size and size:  # the text ends with a newline: the empty line after it, as split() gives
        n += 1
        yield n, ""


def _damaged(source, where: str, name: str, value: str):
    """The error for a word printed where a curve's number is (``loss: abc``)."""
    return ReadError(f"{where}: {name!r} holds {value.strip()[:40]!r} among numbers (a damaged or "
                     "mistyped value)", source)


def _stray(name: str, value: str) -> bool:
    """A printed value of a curve (loss, accuracy, epoch ...) that is neither a number nor a missing-value
    spelling."""
    v = value.strip().lower()
    return is_curve_name(name) and v not in MISSING and not _KERAS_VALUE.fullmatch(v)


def _done(steps) -> bool:
    """A Keras bar's step counter at its total (``9/9``)."""
    if steps is None:
        return False
    k, total = steps.group(0).split("/")
    return total.isdigit() and int(k) == int(total)


def is_keras_console(text: str) -> bool:
    """At least two ``Epoch k/N`` headers and a ``loss: <number>`` after them."""
    head = text[:2_000_000]
    if head.count("Epoch ") < 2 or "loss: " not in head:
        return False
    return sum(1 for ln in _lines(head) if _EPOCH.match(ln)) >= 2


def keras_console_columns(text: str, source=None, where: str = "line", report: bool = False
                          ) -> tuple[dict[str, np.ndarray], set[str]]:
    """``{"epoch": ..., metric: ...}`` from the last metrics line of each printed epoch, and the metrics that
    printed a nan/inf there.

    With ``source``, a value of that line that is not a number raises, naming the line (``where`` and
    its number: a notebook's cell says which output). ``report``: as :func:`printed_columns`."""
    rows: list[tuple[int, dict, int]] = []
    epoch, last, bad, header = None, None, None, None
    drawn = None  # (file line, step total, all steps counted) of the epoch's drawing read last

    def close():
        if epoch is None:
            return
        if bad and source is not None:
            raise _damaged(source, *bad)
        if last:
            rows.append((epoch, last, header))

    for n, ln in _numbered_lines(text, report):
        m = _EPOCH.match(ln)
        if m:
            close()
            epoch, last, bad, header, drawn = int(m.group(1)) - 1, None, None, n, None
            continue
        if epoch is None or ln.lstrip().startswith("losslens"):
            continue
        found = _METRIC.findall(ln)
        pairs = {k: float(v) for k, v in found if _KERAS_VALUE.fullmatch(v)}
        if pairs or (found and _KERAS_STEPS.match(ln)):
            steps = _KERAS_STEPS.match(ln)
            total = steps.group(0).split("/")[1] if steps else None
            if drawn is not None and n > drawn[0] and f"{total}{drawn[1]}".isdigit() and total != drawn[1]:
                # An epoch's bar is one line (redrawn with carriage returns): a later line counting other steps is
                # another loop's, model.evaluate after fit ("10/10 ... loss: 0.7975" under "19/19 ..."), whose
                # test loss was read as the last epoch's training loss.
                continue
            if drawn is not None and n > drawn[0] and drawn[2] and not (
                    _done(steps) and all(pairs.get(k) == v for k, v in (last or {}).items())):
                # After the epoch's bar counted all its steps, a later line only adds the validation to the same
                # drawing (Keras 3 written to a file: "9/9 ... loss: 0.4746" then "9/9 ... loss: 0.4746 - val_loss:
                # 0.5377"). One counting again or with other values is another loop over as many steps: evaluate()
                # on a test set of the same number of batches, whose loss replaced the last epoch's and dropped
                # its val_loss (console_summaries/keras_v1.out, keras_v2.out).
                continue
            drawn = (n, total, _done(steps))
            # The epoch's last drawing holds its values: a damaged value in an earlier one is not read.
            last = pairs
            # (Keras 2's "- ETA: 0s" is no metric.)
            bad = next(((f"{where} {n}", k, v) for k, v in found if k not in pairs and _stray(k, v)), None)
    close()
    # The same epoch printed again right after itself: alike, a line pasted twice (read once); over other values,
    # fit(initial_epoch=k) resumed at the epoch it had just printed (a checkpoint of the one before): the later is
    # read, as a table's rows are (table's _Plan.restarts, where the count goes back, too).
    names = list(dict.fromkeys(k for _, r, _ in rows for k in r))
    keep, redone = written_again([e for e, _, _ in rows], [[r.get(k, np.nan) for k in names] for _, r, _ in rows])
    if source is not None:
        warn_written_again(source, [(f"Epoch {rows[i][0] + 1}", rows[i][0], rows[i][2], rows[j][2]) for i, j in redone],
                           verb="printed", where=where)
    rows = [row for row, kept in zip(rows, keep) if kept]
    cols = {"epoch": np.array([e for e, _, _ in rows], dtype=float)}
    for name in names:
        cols[name] = np.array([r.get(name, np.nan) for _, r, _ in rows], dtype=float)
    return cols, stated_nonfinite({name: [r[name] for _, r, _ in rows if name in r] for name in names})


def is_notebook(obj) -> bool:
    """A Jupyter notebook (nbformat 4): a dict with ``cells`` and ``nbformat``."""
    return isinstance(obj, dict) and isinstance(obj.get("cells"), list) and "nbformat" in obj


def notebook_logs(nb: dict, source=None) -> list[tuple[int, dict[str, np.ndarray], str, set[str], str]]:
    """``(cell number, columns, format, the columns that printed a nan/inf, the cell's output text)`` of every code cell whose saved output is a training log,
    Keras' or a loop's own prints (cells numbered from 1 in the notebook's order, as Jupyter shows
    them)."""
    found = []
    for i, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        parts = []
        for out in cell.get("outputs") or []:
            if not isinstance(out, dict):
                continue
            text = out.get("text")
            if text is None and isinstance(out.get("data"), dict):
                text = out["data"].get("text/plain")
            parts.append("".join(text) if isinstance(text, list) else str(text or ""))
        text = "".join(parts)
        parsed = printed_columns(text, source, where=f"cell {i}, output line")
        if parsed is not None:
            found.append((i, *parsed, text))
    return found


def printed_columns(text: str, source=None, where: str = "line", report: bool = False
                    ) -> tuple[dict[str, np.ndarray], str, set[str]] | None:
    """A printed log's columns, its format name (Keras' ``fit``, else a loop's own prints) and the columns
    that printed a nan/inf (:func:`.delimited.stated_nonfinite`: a value not printed is not logged), or None
    when the text is neither. With ``source``, a word printed for a value that is read raises (``where`` and
    a number say where). With ``report``, Keras' and a loop's lines say how much of the text is read to the
    reading hook (:func:`._source.progress`) as they are read."""
    if is_keras_console(text):
        parsed, fmt = keras_console_columns(text, source, where, report), "keras_console"
    elif is_lightning_console(text):
        parsed, fmt = lightning_console_columns(text, source, where, report), "lightning_console"
    elif (parsed := printed_table_columns(text, source, where)) is not None:
        fmt = "printed_table"
    elif is_printed_log(text):
        parsed, fmt = printed_log_columns(text, source, where, report), "printed_log"
    elif (parsed := tqdm_postfix_columns(text, source, where)) is not None:
        fmt = "tqdm_postfix"
    else:
        return None
    cols, stated = parsed
    return cols, fmt, stated


_HF_DICT = re.compile(r"^\s*\{'[A-Za-z_]\w*': ")


def is_hf_console(text: str) -> bool:
    """What a Hugging Face ``Trainer`` printed: dict lines (``{'loss': '2.748', ..., 'epoch': '2'}``),
    at least two of them with an epoch and a loss."""
    head = text[:2_000_000]
    if "'epoch'" not in head:  # every CSV passes here: no line-splitting without the one key
        return False
    hits = 0
    for ln in _lines(head):
        if _HF_DICT.match(ln) and "'epoch'" in ln and ("'loss'" in ln or "'eval_loss'" in ln):
            hits += 1
            if hits >= 2:
                return True
    return False


def hf_console_rows(text: str, source=None) -> list[dict]:
    """One row per printed log dict, values as numbers (recent versions print them as strings).

    With ``source``, a curve's value that is neither a number nor a missing-value spelling
    (``'loss': 'abc'``) raises, naming the line.

    The end-of-training summary (``train_runtime``, a mean ``train_loss``) is kept, for
    :func:`~losslens.readers.huggingface.split_after_training`; it is not a point of the curve
    (``records.to_columns(rows, skip=huggingface.is_summary)``)."""
    import ast

    rows = []
    for n, ln in _numbered_lines(text):
        s = ln.strip()
        if not (_HF_DICT.match(s) and s.endswith("}")):
            continue
        try:
            obj = ast.literal_eval(s)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if not isinstance(obj, dict):
            continue
        row = {}
        for k, v in obj.items():
            try:
                row[str(k)] = float(v)
            except (TypeError, ValueError):
                if source is not None and isinstance(v, str) and _stray(str(k), v):
                    raise _damaged(source, f"line {n}", str(k), v) from None
        if "epoch" in row or "train_runtime" in row:
            rows.append(row)
    return rows


# ---- a loop's own prints ------------------------------------------------------------------------
# nanoGPT ("step 250: train loss 2.10, val loss 2.21" / "iter 10: loss 9.12, time 34.95ms"),
# modded-nanogpt ("step:125/1750 val_loss:4.2345 train_time:7500ms"), llm.c ("val loss 3.28" /
# "step 1/74 | loss 7.577 (+0.00z)| norm 1.2 ..."), and the usual hand-written forms
# ("Epoch [1/10], Step [100/600], Loss: 0.2345", "Epoch: 1 Train Loss: 0.69 Val Loss: 0.68 Val Acc: 53.4%").
_AXIS = re.compile(r"(?<![A-Za-z_])(epoch|step|iter|iteration)s?(?![A-Za-z_])\s*[:=#]?\s*\[?\s*(\d+)"
                   r"(?:\s*(?:/|of)\s*(\d+))?\s*\]?", re.I)
# A total after an axis number ("Epoch 3/20", "step 1 of 74"): a text with none states no plan (planned_end).
_TOTAL = re.compile(r"\d\s*(?:/|of)\s*\d", re.I)
# A note in brackets may stand between a name and its value: "train_loss(last step) 2.1998",
# "train_loss (avg) = 0.2", "acc (%): 93.1", "Loss (train): 0.52". The note is no part of the column's
# name (a loop's "(avg)" beside one value and "(mean)" beside the next are one kind of name), except a
# split word, which names the split as a word before the name would ("Loss (val)" is "val loss").
_NOTE = r"\s?[(\[][A-Za-z%][\w %./-]{0,29}[)\]]"
_NAMED = re.compile(r"(?<![\w.@])(?P<name>[A-Za-z][\w./-]*(?: [A-Za-z][\w./-]*){0,2})(?P<note>" + _NOTE
                    + r")?(?:\s*[:=]\s*|\s+)(?P<value>" + _NUMBER + r")(?:\s?(?:ms|s|%))?(?![\w.@]|,\d)", re.I)


# A summary printed after training ("Best val_loss 0.4936 at epoch 16", "final: loss 0.3973", "Restoring model
# weights from the end of the best epoch: 17.", a make.py's "noise30: 60 epochs, best val_loss 0.7669 at epoch 24,
# ...") names its kind before the epoch it quotes or, on a line with no epoch, before its first value; a loop's
# per-epoch line opens with its epoch ("epoch 3 loss 0.41 best 0.40" is epoch 3's). Read as epochs, such lines
# averaged "final: loss" into the quoted epoch's training loss, or made four runs' best epochs one run.
_SUMMARY = re.compile(r"(?<![A-Za-z])(?:best|final(?:ly)?|restor(?:e|ed|ing)|lowest|highest|early[ _-]?stop\w*)"
                      r"(?![A-Za-z])", re.I)


def _summary(line: str) -> bool:
    """A line that quotes a result after training (:data:`_SUMMARY`), not one of its epochs or steps."""
    if not _SUMMARY.search(line):
        return False
    m = _AXIS.search(line)
    if m is None:
        v = _NAMED.search(line)
        head = line[:v.start("value")] if v else line
    else:
        head = line[:m.start()]
    return _SUMMARY.search(head) is not None


_NUMBER_IN = re.compile(r"\d")


def printed_results(text: str) -> tuple[int, str] | None:
    """``(how many, the first)`` of the summary lines (:func:`_summary`) of a text in which every line that
    prints a number is one (a make.py's results, one line per run: "noise30: 60 epochs, best val_loss 0.7669 at
    epoch 24, ..."), else None. Only a text that holds no printed log (:func:`printed_columns`) is asked: read
    on as a table, such lines were refused as one ("no loss or accuracy column (found: 0.0565, 95)", "no data rows
    (header only: noise30: 60 epochs, ...)"), which says nothing of what the file is."""
    if _SUMMARY.search(text[:1_000_000]) is None:
        return None
    found = []
    for ln in _lines(text[:1_000_000])[:10_000]:
        if not _NUMBER_IN.search(ln):
            continue  # a heading or a blank line, no result and no epoch
        if not _summary(ln):
            return None
        found.append(ln.strip())
    return (len(found), found[0]) if found else None


def _printed_pairs(line: str) -> tuple[dict[str, int], dict[str, float]]:
    """``({"epoch": 3, "step": 100}, {"train loss": 0.53, ...})`` of one printed line."""
    axes = {}
    for m in _AXIS.finditer(line):
        kind = "epoch" if m.group(1).lower() == "epoch" else "step"
        axes.setdefault(kind, int(m.group(2)))
    rest = _AXIS.sub(" , ", line)
    # A split named once covers the names after it: fairseq's "| valid | epoch 001 | valid on
    # 'valid' subset | loss 8.95", or "Train Loss: 0.52 Acc: 0.81 | Val Loss: 0.61 Acc: 0.78",
    # where "acc" is the training accuracy first and the validation accuracy second.
    pairs, split, end = {}, None, 0
    for m in _NAMED.finditer(rest):
        split = _last_split(rest[end:m.start()]) or split
        # An abbreviation's period is no part of the name: the PyTorch tutorials' "Val. Loss: 0.674 | Val. Acc: 59.47%".
        name = m.group("name").lower()
        if "." in name:
            name = _ABBREVIATION_DOT.sub("", name)
        own = _SPLIT_WORDS.get(name.split()[0])
        noted = _last_split(m.group("note"))
        if noted and not own:
            name, own = f"{noted} {name}", noted
        if own:
            split = own
        elif split:
            name = f"{split} {name}"
        pairs.setdefault(name, float(m.group("value")))
        end = m.end()
    return axes, pairs


# The split words of columns.py (a test set is read as the validation curve there too).
_SPLIT_WORDS = {w: "train" for w in TRAIN_SPLITS} | {w: "val" for w in VAL_SPLITS + TEST_SPLITS}


_ABBREVIATION_DOT = re.compile(r"\.(?=\s|$)")
_WORD = re.compile(r"[a-z]+")


def _last_split(words: str | None) -> str | None:
    """The split (``"train"`` / ``"val"``) the last split word in ``words`` names, if any."""
    # (Called twice for every value of every line: a million-line log spent a fifth of its read here.)
    found = None
    for w in _WORD.findall(words.lower()) if words else ():
        found = _SPLIT_WORDS.get(w, found)
    return found


def _series_name(name: str) -> str:
    """The longest ending of a printed name that is a known series ("average train loss" ->
    "train loss"), else the whole name."""
    words = name.split()
    if len(words) > 2 and words[0] in _SPLIT_WORDS:
        # Keep the split a line named once: Ignite's "Validation Results - ... Avg loss: 1.83"
        # is "val avg loss", whose ending "loss" alone would read as the training loss.
        for k in range(1, len(words)):
            tail = f"{words[0]} {' '.join(words[k:])}"
            if canonical(tail):
                return tail
    for k in range(len(words)):
        tail = " ".join(words[k:])
        if canonical(tail):
            return tail
    return name


# "name: value" / "name=value" with any token for the value: a curve's name so printed, with a token
# _NAMED did not read as a number, is a damaged value. A bare "loss improved" has no ':' or '=': a message.
# A number with a decimal comma ("Avg loss: 1,68") is one token: read up to its comma it was 1, with no word.
_SAID = re.compile(r"(?<![\w.@])([A-Za-z][\w./-]*(?: [A-Za-z][\w./-]*){0,2})(?:" + _NOTE
                   + r")?\s*[:=]\s*((?:[^\s,;|]|,(?=\d))+)")
# A name, then ':' or '=' and no number after it (or one with a decimal comma): the few lines worth the full
# look (logs run to 10^6 lines).
_MAYBE_UNREAD = re.compile(r"[A-Za-z_)\]]\s*[:=]\s*(?:(?![-+]?[\d.]|[\[(]|$)|[-+]?\d+,\d)")


def _unread_value(line: str) -> tuple[str, str] | None:
    """``(name, value)`` of the first curve value of a loop's printed line (one with an epoch/step/iter
    number) that is neither a number nor a missing-value spelling (``Loss: abc``), else None."""
    # losslens's own lines ("losslens: stopped at epoch 7 ...") are its messages, not the loop's values.
    if not _MAYBE_UNREAD.search(line) or not _AXIS.search(line) or line.lstrip().startswith("losslens"):
        return None
    rest = _AXIS.sub(" , ", line)
    read = {m.start("value") for m in _NAMED.finditer(rest)}
    for m in _SAID.finditer(rest):
        name, value = m.group(1), m.group(2)
        # scheduler.get_last_lr() prints "[0.001]": a number in brackets is no damage, only not read.
        if m.start(2) in read or not _stray(name.split()[-1], value.strip("[]()%")):
            continue
        return name, value
    return None


def planned_end(text: str, fmt: str, axis: str, numbers=()) -> tuple[float, str] | None:
    """``(planned end, how the log states it)`` of a printed log of format ``fmt`` read on ``axis`` (``"epoch"``
    or ``"step"``), in the axis units and numbering its reader gives the run; else None.

    Keras' ``Epoch 3/20`` plans epochs 0-19 (``Epoch k/N`` is epoch ``k - 1``): 19, as the last fit printed it
    (a continued fit, ``initial_epoch=10, epochs=20``, prints ``Epoch 11/20``). A loop's ``Epoch [1/10], Step
    [100/600]`` read on its printed epochs plans 10; modded-nanogpt's ``step:125/1750`` and llm.c's ``step 1/74``,
    read on their steps, 1750 and 74, where every line that states a total states the same. A step total on a
    line that also numbers an epoch counts the epoch's own steps, no end of the run: not read. ``numbers``, the
    run's axis values, tell a loop's numbering: epochs printed from 0 (``Epoch 0/10``) end at ``N - 1``; steps
    printed from 0 end at ``N`` (modded-nanogpt validates at ``step:0/N`` and ``step:N/N``) or at ``N - 1`` (a
    ``range(N)``), so a run whose last step is ``N - 1`` could have finished or not: no plan read."""
    if fmt == "keras_console":
        totals = [int(m.group(2)) for _, ln in _numbered_lines(text) if (m := _EPOCH.match(ln))]
        if axis != "epoch" or not totals or totals[-1] < 1:
            return None
        return float(totals[-1] - 1), f"Epoch k/{totals[-1]}: epochs 0-{totals[-1] - 1}"
    if fmt != "printed_log" or not _TOTAL.search(text):
        return None  # (no "k/N" anywhere: a million-line log's every line was matched for one before)
    totals = set()
    for _, ln in _numbered_lines(text):
        found: dict[str, str | None] = {}
        for m in _AXIS.finditer(ln):  # (the first number of a kind on a line is the one read, as _printed_pairs)
            found.setdefault("epoch" if m.group(1).lower() == "epoch" else "step", m.group(3))
        if axis == "step" and "epoch" in found:
            continue
        if found.get(axis) is not None:
            totals.add(int(found[axis]))
    if len(totals) != 1 or min(totals) < 1:
        return None  # (totals that disagree: a printed "k/N" that is no plan of the run)
    total = totals.pop()
    seen = {float(v) for v in numbers}
    if axis == "epoch" and 0.0 in seen:
        return float(total - 1), f"Epoch k/{total}: epochs 0-{total - 1}"
    if axis == "step" and 0.0 in seen and max(seen) == total - 1:
        return None
    return float(total), f"{'Epoch' if axis == 'epoch' else 'step'} k/{total}"


def is_printed_log(text: str) -> bool:
    """At least three printed lines with an epoch/step/iter number and a loss value on the line (or
    a file of nothing but such lines)."""
    if _table_header(first_line(text)):
        return False  # a CSV's header says "epoch" and "loss" too
    # modded-nanogpt's log files open with the training script's source (120 KB and more).
    head = text[:2_000_000]
    low = head[:1_000_000].lower()
    if "loss" not in low or not any(k in low for k in ("epoch", "step", "iter")):
        return False
    hits = damaged = 0
    # (A summary is no epoch: a file of summaries alone, a script's printed results, is no log.)
    lines = [ln for ln in _lines(head)[:50_000] if ln.strip() and not _summary(ln)]
    block = 0  # lines since an epoch/step line whose losses were not on it
    for ln in lines:
        if not _AXIS.search(ln):
            # A block per epoch, the numbered line first and the losses on the lines below it (the PyTorch
            # tutorials' "Epoch: 01 | Epoch Time: 0m 7s" / "\tTrain Loss: 0.686 | Train Acc: 55.34%" /
            # "\t Val. Loss: 0.674 |  Val. Acc: 59.47%"): printed_log_columns gives such lines to the last number.
            if 0 < block <= 3 and "loss" in ln.lower() and any("loss" in k for k in _printed_pairs(ln)[1]):
                hits, block = hits + 1, 0
                if hits >= 3:
                    return True
            elif block:
                block += 1
            continue
        axes, pairs = _printed_pairs(ln)
        block = 0
        if axes and any("loss" in k for k in pairs):
            hits += 1
            if hits >= 3:
                return True
        elif axes:
            block = 1
            if _unread_value(ln):
                damaged += 1
        elif _unread_value(ln):
            damaged += 1
    # A log of one or two epochs is still a log (too short to diagnose, and said so), when that is all it
    # holds (a damaged line of it included: said by printed_log_columns, or refused with no number left).
    return 0 < hits + damaged == len(lines)


def first_line(text: str) -> str:
    """The first non-blank line (of the first 4 KB)."""
    return next((ln for ln in text[:4096].splitlines() if ln.strip()), "")


def _table_header(line: str) -> bool:
    """``epoch,loss,val_loss`` (comma or tab separated single words): a table, not printed text."""
    for sep in (",", "\t"):
        fields = [f.strip() for f in line.split(sep)]
        if len(fields) >= 2 and all(f and " " not in f for f in fields):
            return True
    return False


def printed_log_columns(text: str, source=None, where: str = "line", report: bool = False
                        ) -> tuple[dict[str, np.ndarray], set[str]]:
    """``{"epoch" or "step": ..., name: ...}`` from a loop's printed lines, and the columns that printed a
    nan/inf.

    The axis is the epoch when lines carry epoch numbers (values printed several times within an
    epoch, e.g. a batch loss every 100 steps, are averaged, as Keras averages an epoch's batch
    losses; a validation value takes the epoch's last, as a progress bar shows the previous
    epoch's until validation ends), else the step or iteration. A line without a number of its
    own (llm.c's ``val loss 3.28``) belongs to the last one printed. Names keep the printed words
    ("train loss", ``val_loss``) and map like any column; units (``ms``, ``%``) are dropped, and so is a note
    in brackets between a name and its value (``train_loss(last step) 2.1998``), unless it names the split
    (``Loss (val): 0.3`` is ``val loss``).

    A loop's line whose curve value is not a number (``Loss: abc``: a damaged write) is left out of
    that point, said in one warning about ``source`` naming the first such line (``where`` and its
    number) and how many there were. With ``report``, how much of the text is read is said to the reading
    hook (:func:`._source.progress`), a megabyte at a time.
    """
    from array import array

    # Held as arrays, not a dict per line and a dict of lists per point: a million printed lines took 1 GiB so.
    ids: dict[str, int] = {}  # each printed name's number, in the order first printed
    epochs, steps = array("q"), array("q")  # each line's epoch / step number (-1: none printed), for the lines
    counts = array("q")  # that print a number: how many values each printed,
    names_at, values = array("q"), array("d")  # and those values, line after line, with their names' numbers
    lossy, has_values, damaged, n_damaged = False, False, None, 0
    summaries = []  # (line number, text) of the summaries left out
    lines_at = array("q")  # each stored line's number in the file
    maybe_summary = _SUMMARY.search(text) is not None  # (a million-line log is searched once, not line by line)
    for n, ln in _numbered_lines(text, report):
        if maybe_summary and _summary(ln):
            summaries.append((n, ln.strip()))
            continue
        axes, pairs = _printed_pairs(ln)
        if pairs or axes:
            e, st = axes.get("epoch", -1), axes.get("step", -1)
            try:
                epochs.append(e)
                steps.append(st)
            except OverflowError:  # a number past 2**63 - 1: kept as Python's ints from here on
                epochs, steps = list(epochs[:len(counts)]) + [e], list(steps[:len(counts)]) + [st]
            counts.append(len(pairs))
            lines_at.append(n)
            for k, v in pairs.items():
                i = ids.get(k)
                if i is None:
                    i = ids[k] = len(ids)
                names_at.append(i)
                values.append(v)
            if pairs:
                has_values = True
                if axes and not lossy:
                    lossy = any("loss" in k for k in pairs)
        bad = _unread_value(ln) if axes else None
        if bad:
            damaged = damaged or (n, *bad)
            n_damaged, last_damaged = n_damaged + 1, n
    # (Where no numbered line prints a loss: a block per epoch, its number alone on a line, the losses on the
    # lines below -- the PyTorch tutorials' "Epoch: 01 | Epoch Time: 0m 7s" / " Val. Loss: 0.674 | ...":
    # a number alone opens the point the next lines fill. Where numbered lines print losses, a number alone
    # is another line's, left out: a script's source echoed above its log.)
    if damaged and not has_values:
        n, name, value = damaged
        raise ReadError(f"{where} {n}: {name.strip()!r} holds {value[:40]!r} where a number is printed, and no "
                        "line of this log holds a number (a damaged or mistyped value)", source)
    if damaged:
        _say_damaged(source, where, damaged, n_damaged, last_damaged)
    counts = np.asarray(counts, dtype=np.int64)
    after = _after_training(np.asarray(epochs), np.asarray(steps), counts, np.asarray(names_at, dtype=np.int64))
    if after.any():
        at = np.repeat(np.asarray(lines_at, dtype=np.int64), counts)[after]
        wanted = set(np.unique(at).tolist())
        text_of = {n: ln for n, ln in _numbered_lines(text) if n in wanted and ln.strip()}
        summaries += [(n, text_of.get(n, "").strip()) for n in sorted(wanted)]
        keep = ~after
        counts = np.bincount(np.repeat(np.arange(len(counts)), counts)[keep], minlength=len(counts))
        names_at, values = np.asarray(names_at, dtype=np.int64)[keep], np.asarray(values, dtype=float)[keep]
    if summaries:
        _say_summaries(source, where, sorted(summaries))
    kept = counts > 0 if lossy else np.ones(len(counts), dtype=bool)
    epochs, steps = np.asarray(epochs), np.asarray(steps)
    kind = "epoch" if len(np.unique(epochs[kept & (epochs >= 0)])) >= 2 else "step"
    names = list(ids)
    known = np.array([bool(canonical(_series_name(k))) for k in names], dtype=bool)
    cols, collected = _points(kind, (epochs if kind == "epoch" else steps)[kept], np.cumsum(kept) - 1, counts,
                              np.asarray(names_at, dtype=np.int64), np.asarray(values, dtype=float), known)
    # nanoGPT prints a bare "loss" (one batch, every few iterations) beside "train loss" (an estimate
    # over many batches at the evaluation steps): the estimate is the training curve, the other the
    # batch loss.
    explicit_train = any(names[i] != "loss" and canonical(_series_name(names[i])) == "train_loss" for i in collected)

    def name_of(name):
        return "batch loss" if name == "loss" and explicit_train else _series_name(name)

    return _fold_points(cols, kind, collected, names, name_of)


def _points(kind: str, axis: np.ndarray, kept_at: np.ndarray, counts: np.ndarray, names_at: np.ndarray,
            values: np.ndarray, known: np.ndarray) -> tuple[dict, dict]:
    """The points of a loop's printed lines, as :func:`collect` and :func:`fold` make them, from arrays.

    ``axis``: each line read's number on ``kind``'s axis (-1 where it prints none), shape ``(lines,)``;
    ``kept_at``: for every line stored, its index among those read (``counts`` the values each printed, shape
    ``(stored,)``; a line left out printed none); ``names_at`` / ``values``: those values and their names' numbers,
    shape ``(values,)``; ``known``: per name number, a known series. A line without a number of its
    own belongs to the last one printed; values before the first count only for known series, at its number.
    Returns ``({kind: the sorted axis values}, {name number: (each value's point, the values)})``, a name's
    values in the order printed, the names in the order :func:`fold` meets them."""
    has = np.flatnonzero(axis >= 0)
    if not len(has):  # no numbered line: nothing to place the values at
        return {kind: np.array([], dtype=float)}, {}
    first = has[0]
    del has
    # Each line's latest number (the first's for the lines before it). The temporaries go as soon as they are
    # used: at a million lines each is 8 MB, and they were the read's peak.
    latest = np.where(axis >= 0, np.arange(len(axis)), first)
    np.maximum.accumulate(latest, out=latest)
    x_line = axis[latest]
    del latest
    xs = np.unique(x_line[first:])
    line_of = np.repeat(kept_at, counts)
    # Before the first numbered line only known series count (llm.c's first "val loss"), not a banner's
    # "num_parameters: 124475904".
    use = (line_of >= first) | known[names_at]
    at = np.searchsorted(xs, x_line[line_of[use]])
    del line_of, x_line
    names, vals = names_at[use], values[use]
    del use
    # By name, then point, then as printed; the names in the order of their first point, and there as printed
    order = np.lexsort((np.arange(len(at)), at, names))
    names, at, vals = names[order], at[order], vals[order]
    bounds = np.flatnonzero(np.diff(names)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(names)]))
    collected = {}
    for a, b in sorted(zip(starts, ends), key=lambda ab: (at[ab[0]], order[ab[0]])):
        collected[int(names[a])] = (at[a:b], vals[a:b])
    return {kind: xs.astype(float)}, collected


def _fold_points(cols: dict, axis: str, collected: dict, names: list[str], name_of) -> tuple[dict, set[str]]:
    """One value per point for each name, by :func:`fold`'s rule (``cols`` gains a column per name; ``collected``:
    ``{name number: (each value's point, the values)}`` as :func:`_points` returns it), and the columns that
    printed a nan/inf (as ``stated_nonfinite``)."""
    n = len(cols[axis])
    stated = set()
    for i, (at, vals) in collected.items():
        col = name_of(names[i])
        if not np.isfinite(vals).all():
            stated.add(col)
        if col in cols:
            continue
        bounds = np.flatnonzero(np.diff(at)) + 1
        starts, ends = np.concatenate(([0], bounds)), np.concatenate((bounds, [len(vals)]))
        out = np.full(n, np.nan)
        if is_validation(col):
            out[at[starts]] = vals[ends - 1]
        else:
            out[at[starts]] = vals[starts]
            # One value's mean is that value, exactly: numpy is called only for the points with several.
            for a, b in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist()):
                out[at[a]] = np.mean(vals[a:b])
        cols[col] = out
    return cols, stated


def _after_training(epochs: np.ndarray, steps: np.ndarray, counts: np.ndarray, names_at: np.ndarray) -> np.ndarray:
    """Per value of a loop's printed lines, whether it is a result printed after training: a value on a line
    without an epoch/step number after the last numbered line (which it would join), of a name no such line
    printed before that line. A block per epoch ("Epoch: 01" / "Train Loss: 0.686" / "Val. Loss: 0.674")
    prints the same names under every point, the last included; a test set evaluated once after the loop
    ("Test loss: 0.4552") prints them under the last only, and was read as its validation (a test set reads as
    the validation curve) or averaged into its training loss. A log of one point has no earlier block to tell by:
    all kept."""
    after = np.zeros(len(names_at), dtype=bool)
    numbered = np.flatnonzero((epochs >= 0) | (steps >= 0))
    if len(numbered) < 2 or numbered[-1] == len(counts) - 1:
        return after
    last = numbered[-1]
    line_of = np.repeat(np.arange(len(counts)), counts)
    unnumbered = ~((epochs >= 0) | (steps >= 0))[line_of]
    # (Before the first numbered line too: llm.c prints its "val loss 3.28" at step 0, above "step 1/74 | ...",
    # and next after its last step.)
    under_earlier = set(names_at[unnumbered & (line_of < last)].tolist())
    trailing = unnumbered & (line_of > last)
    return trailing & ~np.isin(names_at, list(under_earlier))


def _say_summaries(source, where: str, found: list[tuple[int, str]]) -> None:
    """One warning for the summary lines a loop's log printed (``found``: their line numbers and text), left out."""
    from ._source import warn

    n, line = found[0]
    more = "" if len(found) == 1 else f" ({len(found)} such lines, the last {where} {found[-1][0]})"
    warn(source or "printed log", "%s %d: %r is a result printed after training, not one of its epochs: left "
         "out%s", where, n, line[:80], more)


def _say_damaged(source, where: str, damaged: tuple[int, str, str], count: int, last: int) -> None:
    """One warning for a loop's printed values that are not numbers: the first named (``damaged``: its line, the
    name, the value), the rest counted (``count`` lines, the ``last``)."""
    from ._source import warn

    n, name, value = damaged
    more = "" if count == 1 else f" ({count} such lines, the last {where} {last})"
    warn(source or "printed log", "%s %d: %r holds %r where a number is printed (a damaged or mistyped value): "
         "left out, the other lines read%s", where, n, name.strip(), value[:40], more)


def fold(sums: dict[float, dict[str, list[float]]], axis: str, name_of=lambda name: name) -> dict[str, np.ndarray]:
    """``{axis: the sorted axis values, name_of(name): one value per axis value}`` from the values
    logged at each axis value (:func:`collect`).

    Several values at one point (a batch loss printed every 100 steps of an epoch) are averaged,
    as Keras averages an epoch's batch losses. A validation series takes the last instead: a
    progress bar redraws the previous epoch's val_loss until this epoch's validation ends, and a
    resumed run logs an epoch's validation again. The first name that maps to a column keeps it.
    """
    xs = sorted(sums)
    at, vals = {}, {}  # per name, in the order first logged: each value's point and the values
    for j, x in enumerate(xs):
        for name, logged in sums[x].items():
            at.setdefault(name, []).extend([j] * len(logged))
            vals.setdefault(name, []).extend(logged)
    names = list(at)
    collected = {i: (np.array(at[name], dtype=np.int64), np.array(vals[name], dtype=float))
                 for i, name in enumerate(names)}
    return _fold_points({axis: np.array(xs, dtype=float)}, axis, collected, names, name_of)[0]


def collect(sums: dict, x: float, pairs: dict[str, float]) -> None:
    """Add the values ``pairs`` logged at axis value ``x`` to ``sums`` (read by :func:`fold`)."""
    row = sums.setdefault(x, {})
    for k, v in pairs.items():
        row.setdefault(k, []).append(v)


# ---- a table printed row by row under progress bars (fastai) ----------------------------------------
_BAR_ONLY = re.compile(r"^[\s\u2580-\u259f|#=>.\-]*$")


def final_drawings(text: str, limit: int | None = None) -> list[tuple[int, str]]:
    """``(line number, line)`` of each line as the terminal left it: the last drawing of a line redrawn
    with carriage returns, colour codes gone; lines of nothing but bar glyphs (fastai's ``\u2588``) left out.
    With ``limit``, the first ``limit`` of them only."""
    text = _ANSI.sub("", text).replace("\b", "")
    out = []
    for n, line in enumerate(text.split("\n") if limit is None else _lazy_lines(text), 1):
        segs = [seg for seg in line.split("\r") if seg.strip()]
        if segs and not _BAR_ONLY.match(segs[-1]):
            out.append((n, segs[-1].rstrip()))
            if limit is not None and len(out) >= limit:
                break
    return out


def _lazy_lines(text: str):
    """``text.split("\n")``, one line at a time."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def printed_table_columns(text: str, source=None, where: str = "line"
                          ) -> tuple[dict[str, np.ndarray], set[str]] | None:
    """fastai's printed table (``fit``'s ``epoch  train_loss  valid_loss  accuracy  time``, a row per epoch,
    each drawn after the epoch's progress bars on the same line), or None when the text has no such table.

    The header is a line of single words holding ``epoch`` and a loss; rows are the lines with as many
    fields whose first is the epoch number. ``#na#`` (fastai's missing value) is NaN; a column without any
    number (``time``, ``00:01``) is left out. With ``source``, other text in a curve's column raises."""
    if "\r" not in text[:2_000_000] or "epoch" not in text[:2_000_000]:
        return None
    # The header is among the first 50 lines drawn: every line is drawn only once it is found (a CSV written
    # with \r\n line ends, as Python's csv module writes, passes the check above; its million rows took 6 s here).
    text = text[:50_000_000]
    for i, (_, line) in enumerate(final_drawings(text, limit=50)):
        names = line.split()
        if len(names) < 2 or names[0].lower() != "epoch" or not any("loss" in n.lower() for n in names) \
                or not all(re.fullmatch(r"[A-Za-z_][\w./-]*", n) for n in names):
            continue
        lines = final_drawings(text)
        numbered = [(n, f) for n, f in ((n, ln.split()) for n, ln in lines[i + 1:])
                    if len(f) == len(names) and f[0].isdigit()]
        rows = [f for _, f in numbered]
        if len(rows) < 2:
            return None
        for n, f in numbered if source is not None else ():
            bad = next((j for j, name in enumerate(names) if f[j] != "#na#" and _stray(name, f[j])), None)
            if bad is not None:
                raise _damaged(source, f"{where} {n}", names[bad], f[bad])
        stated = stated_nonfinite({name: [r[j] for r in rows] for j, name in enumerate(names)})
        cols = {}
        for j, name in enumerate(names):
            values = np.array([_cell(r[j]) for r in rows], dtype=float)
            if np.isfinite(values).any() or name in stated:
                cols[name] = values
        return cols, stated & set(cols)
    return None


def _cell(field: str) -> float:
    try:
        return float(field)
    except ValueError:
        return float("nan")  # fastai's "#na#", a time "00:01"


# ---- tqdm's postfix: trange(epochs) with set_postfix(train_loss=..., val_loss=...) ------------------
# "training:  7%|▋         | 4/60 [00:00<00:01, 39.17it/s, train_loss=0.515, val_acc=0.878, val_loss=0.504]"
_TQDM = re.compile(r"^(?P<desc>.*?)\s*\d{1,3}%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+)\s*\[(?P<inside>[^\]]*)\]\s*$")
# A value may carry a percent sign (set_postfix(acc=f"{acc:.1f}%")), read as the number printed.
_POSTFIX = re.compile(r"^\s*([A-Za-z_][\w./-]*)=(" + _NUMBER + r")%?\s*$", re.I)
_POSTFIX_ANY = re.compile(r"^\s*([A-Za-z_][\w./-]*)=(.*)$")


def _postfix(inside: str) -> tuple[dict[str, float], tuple[str, str] | None]:
    """``(values, (name, text) of a curve's value that is not a number, or None)`` of a bar's postfix, ``inside``
    its brackets (``00:01<00:00, 8.58it/s, v_num=0, train_loss_step=1.730``)."""
    pairs, bad = {}, None
    for part in inside.split(", ")[2:]:  # elapsed<remaining, rate, then the postfix
        p = _POSTFIX.match(part)
        if p:
            pairs[p.group(1)] = float(p.group(2))
            continue
        p = _POSTFIX_ANY.match(part)
        if p and bad is None and _stray(p.group(1), p.group(2)):
            bad = (p.group(1), p.group(2))
    return pairs, bad


def _tqdm_drawing(line: str) -> tuple[tuple[str, int], dict[str, float], tuple[str, str] | None] | None:
    """``((desc, total), postfix values, (name, text) of a curve's value that is not a number, or None)``
    of one drawing of a tqdm bar with a postfix, else None."""
    m = _TQDM.match(line)
    if m is None:
        return None
    pairs, bad = _postfix(m.group("inside"))
    return ((m.group("desc").strip(), int(m.group("total"))), pairs, bad) if pairs or bad else None


def tqdm_postfix_columns(text: str, source=None, where: str = "line"
                         ) -> tuple[dict[str, np.ndarray], set[str]] | None:
    """The values a tqdm bar shows in its postfix, a point per change, or None when the text holds no bar
    whose postfix names a loss.

    A bar without an epoch in its description (``trange(epochs)``, ``set_postfix(train_loss=..,
    val_loss=..)`` at the end of each epoch) is redrawn each time its postfix is set, and again when its
    counter moves (with the postfix it had): each new postfix is the next iteration of the bar, counted
    from 0 as ``range`` does. (tqdm's counter is no guide: it is drawn only every ``mininterval``.) A bar
    whose postfix holds a validation value iterates over epochs; other bars over steps. Of several bars,
    the one with a validation value (else the first with a loss) is read. A postfix set twice to the same
    printed values reads as one iteration. With ``source``, a word in the read bar's postfix where a curve's
    number is (``loss=abc``) raises, naming the line."""
    head = text[:2_000_000]
    if "%|" not in head or "=" not in head:
        return None
    bars: dict[tuple[str, int], list[dict[str, float]]] = {}
    damaged: dict[tuple[str, int], tuple] = {}
    for n, line in _numbered_lines(text[:50_000_000]):
        found = _tqdm_drawing(line)
        if found is None:
            continue
        key, pairs, bad = found
        if bad is not None:
            damaged.setdefault(key, (f"{where} {n}", *bad))
        if not pairs:
            continue
        points = bars.setdefault(key, [])
        if not points or points[-1] != pairs:
            points.append(pairs)
    lossy = [k for k, pts in bars.items() if len(pts) >= 2 and any("loss" in n.lower() for p in pts for n in p)]
    if not lossy:
        return None
    key = next((k for k in lossy if any(is_validation(n) for p in bars[k] for n in p)), lossy[0])
    if key in damaged and source is not None:
        raise _damaged(source, *damaged[key])
    points = bars[key]
    axis = "epoch" if any(is_validation(n) for p in points for n in p) else "step"
    cols = {axis: np.arange(len(points), dtype=float)}
    names = list(dict.fromkeys(n for p in points for n in p))
    for name in names:
        cols[name] = np.array([p.get(name, np.nan) for p in points], dtype=float)
    return cols, stated_nonfinite({name: [p[name] for p in points if name in p] for name in names})


# ---- Lightning's TQDMProgressBar: what trainer.fit printed --------------------------------------------
# "Epoch 3: 100%|██████████| 10/10 [00:01<00:00, 8.58it/s, v_num=0, train_loss_step=1.730, val_loss=2.010]": the
# main bar, redrawn with carriage returns at every batch (its counter, then its postfix), once more when validation
# ends (the val_* values) and once when the epoch ends (the *_epoch values), then reset to 0/10 with the same
# postfix before "Epoch 4" is set. The total is "?" where the loader has no length.
_LIGHTNING_BAR = re.compile(r"^Epoch (?P<epoch>\d+):\s*(?:\d{1,3}%)?\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+|\?)"
                            r"\s*\[(?P<inside>[^\]]*)\]\s*$")
# The validation loop's bar ("Validation DataLoader 0:  50%|..."; "Validation: |  | 0/? ..." as it starts).
_LIGHTNING_VAL = re.compile(r"^Validation(?: DataLoader \d+)?:\s")
# What only Lightning prints beside an "Epoch N" bar: a hand-written loop's tqdm(desc=f"Epoch {e}") stays a loop's
# prints (printed_log_columns), as it was read before.
_LIGHTNING_MARKS = ("v_num=", "Validation DataLoader", "Sanity Checking DataLoader", "`Trainer.fit` stopped")
# A row of the table trainer.test / trainer.validate print ("│ test_loss │ 0.40579700469970703 │", rich's box or
# the plain one without it): a result after training.
_RESULT_ROW = re.compile(r"^\s*[│┃|]?\s*[A-Za-z_][\w./-]*\s*[│┃|]?\s+(?:" + _NUMBER + r")\s*[│┃|]?\s*$", re.I)
# RichProgressBar's main bar, "Epoch 7/7  ━━━━ 10/10 0:00:00 • 0:00:00 580.79it/s v_num: 0.000".
_RICH_BAR = re.compile(r"^Epoch (\d+)/(\d+)\s+[━╸╺ ]*\s\d+/\d+\s")


def is_lightning_console(text: str) -> bool:
    """What Lightning's ``trainer.fit`` printed with its TQDM bar: an ``Epoch N`` bar with a postfix, beside a mark of
    Lightning's own (its ``v_num``, its validation or sanity-check bar, its closing message)."""
    head = text[:2_000_000]
    if "Epoch " not in head or "|" not in head or not any(m in head for m in _LIGHTNING_MARKS):
        return False
    return any((m := _LIGHTNING_BAR.match(ln)) and "=" in m.group("inside") for ln in _lines(head))


def lightning_rich_epochs(text: str) -> list[int]:
    """The epochs RichProgressBar's drawings of ``trainer.fit``'s bar show (``Epoch 7/7 ━━━ ...``), in order."""
    if "Epoch " not in text[:2_000_000]:
        return []
    return [int(m.group(1)) for ln in _lines(text[:2_000_000]) if (m := _RICH_BAR.match(ln))]


class _LightningEpoch:
    """The drawings of one epoch's bar: the last one's values, each batch's values while it trained, whether the
    validation loop ran inside it and whether it counted all its batches."""

    def __init__(self, epoch: int, line: int):
        self.epoch, self.line = epoch, line
        self.last: dict[str, float] = {}
        self.batches: dict[int, dict[str, float]] = {}  # counter -> values, before the epoch's end
        self.validating = self.validated = self.ended = False
        self.counted = True  # the bar knows its total (a loader without a length draws "5/?")
        self.bad = None

    def drawn(self, n: int, total: str, pairs: dict, bad, where: str) -> None:
        if self.validating:
            # The bar redrawn after the validation bar: on_validation_end set its val_* values (during fit only:
            # trainer.validate after fit draws no main bar, and its values are no epoch's).
            self.validating, self.validated = False, True
        self.counted = total != "?"
        if self.counted and n == int(total):
            self.ended = True
        elif n and not self.ended:  # (0/10: the bar reset, the epoch before's values)
            self.batches[n] = pairs
        self.last = pairs
        self.bad = (where, *bad) if bad else None

    @property
    def cut(self) -> bool:
        """Cut off before its bar counted all its batches (a bar without a total cannot say)."""
        return self.counted and not self.ended

    def row(self) -> dict[str, float]:
        """The epoch's values as of its end: its last drawing's, val_* only where validation ran in it (else the
        bar still shows an earlier epoch's), a ``_step`` copy left out beside its ``_epoch`` one (the last batch's
        value beside the epoch's), and a value that changed from batch to batch while the epoch trained (logged
        per step only: the last drawing holds its last batch's) the mean of its batches' values, as Keras and the
        ``_epoch`` copy average an epoch's batch losses."""
        batches, ended = self.batches, self.ended
        if not self.counted and batches:  # its last count drew the epoch's end, as "5/5" does
            batches, ended = {k: v for k, v in batches.items() if k < max(batches)}, True
        row = {}
        for name, value in self.last.items():
            if name == "v_num" or (name.endswith("_step") and f"{name[:-5]}_epoch" in self.last):
                continue
            if is_validation(name):
                if self.validated:
                    row[name] = value
                continue
            per_batch = [p[name] for p in batches.values() if name in p]
            if len(set(per_batch)) > 1:
                row[name] = float(np.mean(per_batch + ([value] if ended else [])))
            else:
                row[name] = value
        return row


def lightning_console_columns(text: str, source=None, where: str = "line", report: bool = False
                              ) -> tuple[dict[str, np.ndarray], set[str]]:
    """``{"epoch": ..., metric: ...}`` from what Lightning's ``trainer.fit`` printed with its TQDM progress bar (a
    captured console, ``python train.py > out.txt 2>&1``), one row per epoch (:meth:`_LightningEpoch.row`), and the
    metrics that printed a nan/inf there. An epoch cut off before its bar counted all its batches (a run killed
    mid-epoch: its values are a batch's, its ``_epoch`` ones the epoch before's) is left out, said in a warning; the
    tables ``trainer.test`` / ``trainer.validate`` print after fit (``│ test_loss │ 0.41 │``) are results after
    training, left out with one warning. With ``source``, a value of a read bar that is not a number raises."""
    from ._source import warn

    epochs: list[_LightningEpoch] = []
    results: list[tuple[int, str]] = []
    for n, ln in _numbered_lines(text, report):
        m = _LIGHTNING_BAR.match(ln)
        if m:
            e = int(m.group("epoch"))
            if not epochs or epochs[-1].epoch != e:
                epochs.append(_LightningEpoch(e, n))
            pairs, bad = _postfix(m.group("inside"))
            epochs[-1].drawn(int(m.group("n")), m.group("total"), pairs, bad, f"{where} {n}")
        elif epochs and _LIGHTNING_VAL.match(ln):
            epochs[-1].validating = True
        elif epochs and _RESULT_ROW.match(ln) and n > epochs[-1].line:
            results.append((n, ln.strip()))
    if epochs and epochs[-1].cut:
        cut = epochs.pop()
        counted = max(cut.batches, default=0)
        warn(source or "printed log", "epoch %d was cut off after %d of its batches (%s %d on): left out, its values "
             "are a batch's, not the epoch's", cut.epoch, counted, where, cut.line)
    for ep in epochs:
        if ep.bad and source is not None:
            raise _damaged(source, *ep.bad)
    if results:
        _say_summaries(source, where, results)
    rows = [(ep.epoch, ep.row()) for ep in epochs]
    names = list(dict.fromkeys(k for _, r in rows for k in r))
    cols = {"epoch": np.array([e for e, _ in rows], dtype=float)}
    for name in names:
        cols[name] = np.array([r.get(name, np.nan) for _, r in rows], dtype=float)
    return cols, stated_nonfinite({name: [r[name] for _, r in rows if name in r] for name in names})
