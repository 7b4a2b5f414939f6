"""``losslens compare``: check a fix from two logs, the run that plateaued and the run after the change."""

from __future__ import annotations

import logging
from typing import List, Optional

import typer


def register(app):
    from losslens.cli import offset_free_option

    @app.command()
    def compare(
        before: str = typer.Argument(..., metavar="BEFORE",
                                     help="The run that plateaued (a log losslens diagnose reads; PATH#RUN: one run "
                                          "of a file or store of several, a workbook's sheet, as --run names it)."),
        after: List[str] = typer.Argument(
            ..., metavar="AFTER", help="The run trained after the change (several: runs of one setting, seeds; "
                                          "their mean is compared)."),
        more_before: Optional[List[str]] = typer.Option(
            None, "--before", "-b",
            help="Another BEFORE run of the same setting (repeat): means are compared."),
        change: Optional[List[str]] = typer.Option(
            None, "--change",
            help="What changed, as verify's keywords: lr_factor=0.1, epochs_factor=2, size_factor=0.5, data_factor=2, "
                 "decay_factor=0.01, dropout_factor=0.1 (0: removed), shuffle_labels=true (repeat for several). Default: read from "
                 "the saved settings (hparams.yaml, W&B config, MLflow params, a Trainer's state), else an epoch "
                 "budget from the logged lengths."),
        metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Series to diagnose and compare."),
        classes: Optional[int] = typer.Option(None, "--classes", "-k", min=2,
                                              help="Number of classes K (chance level 1/K)."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object (schema losslens.verification/1, "
                                                            "with a compare object)."),
        plot: Optional[str] = typer.Option(None, "--plot",
                                           help="Also draw BEFORE and AFTER on one chart (.png/.svg/.pdf)."),
        same_task: bool = typer.Option(
            False, "--same-task",
            help="The two are runs of one task: compare them where the logs suggest two tasks (an accuracy logged on "
                 "one side only, validation accuracies counted over sets of different sizes, a saved dataset or "
                 "task that differs); said in a note."),
        offset_free: bool = offset_free_option(),
    ):
        """Did the change do what the diagnosis predicted? Diagnose BEFORE, read what changed (the saved settings
        or --change), and check each cause's prediction for that change (verify's: lr/10, lr x10, twice the
        epochs, a smaller or bigger model, more data, less weight decay, shuffled labels) on AFTER. Exit 0: the
        verdict's prediction held, 1: it did not, 2: bad input (one line on stderr), or not checked (the change is
        not named, or the verdict predicts nothing of it) or not decided (the move is within the runs' noise), said
        with its reason on the report's last line (--json: its "summary")."""
        from losslens.cli import check_figure_path, refuse_overwriting_input, require_matplotlib, run_guarded
        from losslens.commands import held_warnings
        from losslens.comparison import compare as _compare, parse_change
        from losslens.readers import path_and_run
        from losslens.result import json_text

        if plot:
            require_matplotlib("--plot")
            check_figure_path(plot)
            refuse_overwriting_input(plot, [path_and_run(p)[0] for p in [before, *after, *(more_before or [])]],
                                     "--plot")
        # (a name not known is said with the near one, as --metric is: parse_change's line, the API's too)
        given = run_guarded(parse_change, change) if change else None
        with held_warnings() as held:
            result = run_guarded(_compare, [before, *(more_before or [])], list(after), change=given, metric=metric,
                                 classes=classes, same_task=same_task, offset_free=offset_free)
        # (said only once the two compare: a refusal is its one line; and where AFTER resumes BEFORE, its missing
        # first epochs are BEFORE's, which the output says: that warning, of those AFTER logs only, is left unsaid)
        unsaid = set(result.resumed.unsaid) if result.resumed else set()
        for record in held:
            if getattr(record, "losslens_said", None) not in unsaid:
                logging.getLogger("losslens").handle(record)
        typer.echo(json_text(result.to_dict()) if json_out else str(result))
        if plot:
            run_guarded(result.save_plot, plot)
            typer.echo(f"wrote {plot}", err=json_out)
        asked = result.asked_causes
        failed = [c for c in asked if result.holds(c) is False]
        if failed:
            raise typer.Exit(1)
        if any(result.holds(c) for c in asked):
            raise typer.Exit(0)
        # 2: not checked (the change unnamed, or the verdict predicts nothing of it) or not decided (within the
        # runs' noise). A result, not a bad input: its reason is the report's verdict line on stdout (--json: its
        # "summary", and "unknown" where the change is not named), not a "losslens: PATH: ..." line on stderr, the
        # form of a file that cannot be read (the walk of session 49 read it as one).
        raise typer.Exit(2)
