"""``losslens forecast``: where is the curve heading, and will more epochs help?"""

from __future__ import annotations

import sys
from typing import List, Optional

import typer


def register(app):
    from losslens.cli import baseline_loss_option, higher_option, noise_floor_option, offset_free_option

    @app.command()
    def forecast(
        paths: List[str] = typer.Argument(..., metavar="PATH", help="Log files, directories or store URIs."),
        horizon: Optional[float] = typer.Option(
            None, "--horizon", help="Epoch (or step) to forecast to; default the planned end the log states "
            "(a Trainer's max_steps, Keras' 'Epoch 3/20') where the run has not reached it, else twice the logged "
            "length."),
        metric: Optional[str] = typer.Option(
            None, "--metric", "-m", help="Series to forecast (default: val_loss, else val_acc, else train_loss)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object per run (JSON Lines, schema losslens.forecast/1)."),
        run_id: Optional[str] = typer.Option(None, "--run", help="Only the run with this id/name (long-format files, folders, stores); a path without it is skipped with a line on stderr, and none with it is an error."),
        stop_gain: Optional[float] = typer.Option(
            None, "--stop-gain", min=0.0,
            help="Also replay the forecast stopping rule over the log: where would it have stopped "
                 "with this minimum gain (0.01 = 1%)? Horizon: --horizon, else the planned end the log states "
                 "where the run has not reached it, else the last logged point. A --horizon at the last logged point (the run's "
                 "planned end, reached) is taken for the replay; the forecast shown then goes to the default horizon."),
        plot: Optional[str] = typer.Option(
            None, "--plot", help="Also save the curve and its forecast to the horizon with the 90% band "
            "(.png/.svg/.pdf; with several runs, one per run: name-1.png ...)."),
        higher: Optional[bool] = higher_option(),
        noise_floor: Optional[float] = noise_floor_option(),
        baseline_loss: Optional[float] = baseline_loss_option(),
        offset_free: bool = offset_free_option(),
    ):
        """Forecast the value at the horizon with a 90% interval, the plateau epoch X and
        the probability that training on lowers the metric by more than 1%."""
        from losslens.cli import (bad_value, check_baseline_loss_option, check_figure_path, check_noise_floor_option,
                                  end_bad_inputs, fail,
                                  plot_target, refuse_overwriting_input, refuse_overwriting_inputs_by_plots,
                                  require_matplotlib, run_guarded, wrote_line)
        from losslens.api import with_stated
        from losslens.commands.report import map_runs, read_paths
        from losslens.forecasting import forecast_run
        from losslens.result import json_text

        if stop_gain is not None and not stop_gain < 1:
            # As the callbacks' stop_gain: 1 would ask the loss to fall by all of itself, and --stop-gain 1.5 (150%)
            # "stopped" every run at its first decision.
            bad_value("--stop-gain", f"must be a fraction below 1, e.g. 0.01 for 1%, got {stop_gain:g}")
        check_noise_floor_option(noise_floor)
        check_baseline_loss_option(baseline_loss)
        if plot is not None:
            require_matplotlib("--plot")
            check_figure_path(plot)
            refuse_overwriting_input(plot, paths, "--plot")
        runs = with_stated(run_guarded(read_paths, paths, run_id=run_id, metric=metric),
                           {"noise_floor": noise_floor, "baseline_loss": baseline_loss, "offset_free": offset_free})
        from losslens.exceptions import EmptyRunError, NoLossError
        from losslens.facts import require_length

        def one(run):
            try:
                require_length(run, metric)  # as diagnose: a run of 2 points is too short, said in one line
            except EmptyRunError:
                # Among several runs, or diverged (NaN from epoch 1: diagnose's "diverged", no bad input), the run
                # gets its forecast withheld, with its reason and code, as every other run gets an object: a
                # script reading --json saw 3 objects for a folder of 4 runs, the one diverged at once said only
                # on stderr ("skipped ... too short to forecast"), and none with exit 2 where all were.
                fc = forecast_run(run, horizon=horizon, metric=metric, higher_is_better=higher)
                if len(runs) == 1 and fc.withheld != "diverged":
                    raise
                return run, fc
            return run, forecast_run(run, horizon=forecast_to(run), metric=metric, higher_is_better=higher)

        def forecast_to(run):
            # --horizon at the last logged point with --stop-gain: the run's planned end, which it reached, is the
            # natural horizon to replay the rule to (a 150-epoch run read back with --horizon 149); a forecast
            # there looks nowhere ahead, so the one shown goes to the default horizon instead of exiting 2.
            if stop_gain is None or horizon is None:
                return horizon
            from losslens.facts import choose_metric

            try:
                x, _ = run.finite(choose_metric(run, metric))
            except NoLossError:  # (a run never finite: forecast_run withholds it)
                return horizon
            return None if x.size and float(horizon) == float(x[-1]) else horizon

        forecasts = run_guarded(map_runs, one, runs, what="forecasting")
        from losslens.report.text import distinct_names

        # Two runs of one name (two keras_csvlogger files, MLflow's "baseline" in two experiments): told apart as
        # diagnose's table tells them, not two lines starting "baseline:".
        names = distinct_names([run for run, _ in forecasts])
        if plot is not None:  # (with several runs, name-1.png ...: known only now, before any chart is written)
            refuse_overwriting_inputs_by_plots(plot, len(forecasts), {*paths, *(run.source for run, _ in forecasts
                                                                                 if run.source)})
        for i, ((run, fc), name) in enumerate(zip(forecasts, names)):
            # The planned end the log states (a Trainer checkpoint's max_steps), as the callback live would have
            # forecast to, not the checkpoint's last point: 10% of the way there comes later.
            end = horizon if horizon is not None or not fc.horizon_from else fc.horizon
            stop = None if stop_gain is None else replay_stop(run, fc.metric, stop_gain, end, higher_is_better=higher)
            wrote = None
            if plot is not None:
                from losslens.report.plot import save_forecast_plot

                target = plot_target(plot, i, len(forecasts))
                run_guarded(save_forecast_plot, run, fc, target)
                wrote = wrote_line(target, len(forecasts), name)
            if json_out:
                out = fc.to_dict()  # (schema, source, run and axis included: the API's Forecast.to_dict())
                if stop is not None:
                    out["stopping"] = stop
                sys.stdout.write(json_text(out) + "\n")
            else:
                typer.echo(describe(as_asked(fc, run, metric), name, run.axis_name, run))
                if stop is not None:
                    typer.echo(describe_stop(stop, run.axis_name))
            if wrote is not None:  # (after the run's text, as diagnose --plot says it)
                typer.echo(wrote, err=json_out)
        end_bad_inputs(runs)


def as_asked(fc, run, asked: str | None):
    """``fc`` whose text writes its metric as the log spells it, or as the user named it with ``--metric``
    (``eval_accuracy``, read as ``val_acc``), as ``diagnose``'s text does; the JSON keeps the key."""
    import copy

    label = run.named_as(fc.metric, asked).label(fc.metric)
    if label == fc.metric:
        return fc
    shown = copy.copy(fc)  # (a copy, not dataclasses.replace: a score's forecast keeps its ceiling, set on it)
    shown.metric = label
    return shown


def _last_logged(fc, run) -> str:
    """`` (last logged 0.3766)``: the raw last finite value beside the smoothed level, where they differ in the 4
    digits printed. "now 0.3797 at epoch 79" of a log ending 0.3766 (the examples' Keras CSVLogger) read as a
    misread of the log; diagnose says "its fitted level now", and the value logged is what a reader checks."""
    import numpy as np

    y = None if run is None else run.series.get(fc.metric)
    if y is None:
        return ""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    if not y.shape[0] or f"{float(y[-1]):.4g}" == f"{fc.level:.4g}":
        return ""
    return f" (last logged {float(y[-1]):.4g})"


def describe(fc, name: str, axis: str, run=None) -> str:
    """A few lines for people: value at the horizon, interval, gain, p(improve), X (and, for a
    Trainer's step axis, the epoch at X)."""
    import numpy as np

    from losslens.result import at_text, axis_text

    def g(v):
        return "n/a" if v is None else f"{v:.4g}"

    if fc.reason and not fc.n_points:  # (never finite: no value to say "now" of)
        return f"{name}: no forecast of {fc.metric}: no finite value logged\n  {fc.reason.split('; ')[0]}"
    if fc.reason:  # too few points: its value and interval (in --json) are a wide guess, not a forecast to print
        # After a NaN for good the last finite value is no "now": DeepOBS' 3c3d at lr 63 read "now 3.591 at
        # epoch 0" of a run logged to epoch 100, NaN from epoch 1.
        ended = run is not None and len(run.axis) and float(np.asarray(run.axis, dtype=float)[-1]) > fc.x_last
        to = "" if ended else f" to {axis} {axis_text(fc.horizon)}"  # (twice its finite stretch: inside the run)
        return (f"{name}: no forecast of {fc.metric}{to}; {'its last finite value' if ended else 'now'} "
                f"{g(fc.level)} at {axis} {axis_text(fc.x_last)}\n  {fc.reason.split('; ')[0]}")
    planned = f" (the planned end, {fc.horizon_from})" if getattr(fc, "horizon_from", None) else ""
    lines = [f"{name}: {fc.metric} at {axis} {axis_text(fc.horizon)}{planned}: {g(fc.value)} "
             f"(90% interval {g(fc.interval[0])} to {g(fc.interval[1])}); fitted level now {g(fc.level)} "
             f"at {axis} {axis_text(fc.x_last)}{_last_logged(fc, run)}"]
    lines.append(f"  forecast: {fc.change_text(1)} by {at_text(run, axis, fc.horizon)}; "
                 f"P({fc.improve_label()}) = {fc.p_improve:.0%}")
    from losslens.diagnosis import best_kept, short_of_best
    from losslens.result import finite_or_none

    short = None
    if fc.best is not None and fc.p_improve is not None and fc.p_improve >= 0.5:
        # (the two keys of the JSON's forecast it reads: to_dict builds the whole, its 50-point band with it)
        short = short_of_best({"gain_over_best": finite_or_none(fc.best[1]), "p_over_best": finite_or_none(fc.best[2])})
    if short is not None:
        # "3.7% lower" from where a creeping curve is now can be no gain on the best it reached (diagnose's P line).
        lines.append(f"  best so far {g(fc.best[0])}: the forecast is {short}; {best_kept(fc.metric)}")
    from losslens.forecasting import beyond_calibration

    # An asked horizon as much as a planned one: --horizon 1000 on a 40-epoch log got an interval held at
    # its 10x width, with nothing said.
    far = beyond_calibration(fc.x0, fc.x_last, fc.horizon)
    if far:
        lines.append(f"  horizon: {'the planned end; ' if planned else ''}{far}")
    if fc.uncertain:
        lines.append(f"  uncertain: {fc.uncertain}; the value says little ({fc.track_record})")
    if fc.note:
        lines.append(f"  note: {fc.note}")
    from losslens.forecasting import still_improving_past_x

    if still_improving_past_x(fc):
        # X measures 95% of the whole fall from the first point to the horizon: after a steep start (2.3 -> 0.1
        # in a few epochs) it is reached early while the curve still falls a fifth of its level. "plateau epoch X =
        # 12 (already)" beside "19.4% lower, P = 0.96" (and diagnose's "no plateau") read as two answers: no
        # plateau is claimed while the forecast still expects more than the 1% its P is of.
        # (diagnose's X answers another question -- where the logged curve flattened, "flattened at step 1375" --
        # and a user running both read two answers to one: said which is which.)
        held = " as though the lr held" if fc.schedule_ended else ""
        # (X is measured from the log's first point (forecasting._plateau_epoch), not from the fit's start: fitted from
        # an lr cut at epoch 28, it read "by epoch 14 ... from epoch 28 to 240".)
        lines.append(f"  plateau {axis} X: none yet (by {at_text(run, axis, fc.plateau_epoch)} the fitted curve "
                     f"made 95% of its whole improvement from the log's first {axis} to {axis_text(fc.horizon)}, "
                     f"but it is still forecast to improve by more than 1%{held}, P = {fc.p_improve:.0%}); where the "
                     f"logged curve flattened so far is `losslens diagnose`'s X")
    elif fc.plateau_epoch is not None and fc.schedule_ended:
        # Beside the note that the schedule ran the lr to ~0, "levels off at step 140, already passed" read as a
        # floor the run had reached, and "still ahead" as a level training on would get to: past the schedule's end
        # the run stays where it is, and a longer schedule is another run (a Trainer's linear decay to 0 over 200
        # steps read "levels off at step 140, already passed"; the same decay over 400 steps ended 22% lower).
        at = at_text(run, axis, fc.plateau_epoch)
        if fc.plateau_epoch <= fc.x_last:
            lines.append(f"  the fitted curve levels off at {at}, already passed (95% of its forecast improvement "
                         "made by then, at the rates the schedule gave): the schedule has ended, so training on at its "
                         "end rate gains nothing, and where a longer schedule levels off only retraining measures "
                         "(`losslens diagnose` reads X off the logged curve)")
        else:
            lines.append(f"  the fitted curve, carried on as though the lr held, would level off at {at}; at the "
                         "schedule's end rate the run stays about where it is, and where a longer schedule levels off "
                         "only retraining measures (`losslens diagnose` reads X off the logged curve)")
    elif fc.plateau_epoch is not None:
        where = "already passed" if fc.plateau_epoch <= fc.x_last else "still ahead"
        # Named as the fitted curve's: diagnose reads X off the logged (smoothed) curve, and the two can differ
        # by a point or two on the same run; unnamed, a user running both saw two answers to one question.
        # (Said in words first: "X = 3 on the fitted curve (already)" read as a formula to a newcomer.)
        lines.append(f"  levels off at {at_text(run, axis, fc.plateau_epoch)} on the fitted curve, {where} (its "
                     f"plateau X: 95% of the improvement forecast by {axis} {axis_text(fc.horizon)} made by then; "
                     "`losslens diagnose` reads X off the logged curve)")
    return "\n".join(lines)


def replay_stop(run, metric: str, min_gain: float, horizon=None, higher_is_better=None) -> dict:
    """Where ForecastStopping(min_gain) would have stopped on the logged curve."""
    from losslens.facts import metric_direction, stated_noise_floor
    from losslens.stopping import ForecastStopping

    x, y = run.finite(metric)
    if not x.size:  # (a run never finite: nothing to replay, every key of the object kept)
        return {"min_gain": min_gain, "horizon": None if horizon is None else float(horizon), "stopped_epoch": None,
                "best_epoch": None, "best_value": None, "points_used": 0, "points_logged": 0, "last_epoch": None,
                "final_best": None}
    higher = bool(metric_direction(metric)) if higher_is_better is None else bool(higher_is_better)
    end = float(x[-1]) if horizon is None else float(horizon)
    # (The run's stated noise floor holds the replay's forecasts as it holds the one printed beside it.)
    rule = ForecastStopping(min_gain=min_gain, horizon=end, mode="max" if higher else "min",
                            metric=metric, noise_floor=stated_noise_floor(run, metric, higher))
    i = rule.replay(x, y, lr_at(run, metric))
    used = len(x) if i is None else i + 1
    return {"min_gain": min_gain, "horizon": end, "stopped_epoch": None if i is None else float(x[i]),
            "best_epoch": rule.best_epoch, "best_value": rule.best_value,
            "points_used": used, "points_logged": int(len(x)), "last_epoch": float(x[-1]),
            "final_best": float(y.max() if higher else y.min())}


def lr_at(run, metric: str):
    """The lr logged at each point of ``run.finite(metric)`` (shape (n,); NaN where not logged), or None where the
    run logs none: the stopping rule forecasts from the lr's last cut, as the forecast does. (Those points are the
    rows where ``metric`` is finite, and a Run's axis never repeats: the lr of the same rows.)"""
    import numpy as np

    lr = run.get("lr")
    if lr is None:
        return None
    return np.asarray(lr, dtype=float)[np.isfinite(run.series[metric])]


def describe_stop(stop: dict, axis: str) -> str:
    if not stop["points_logged"]:
        return f"  stopping rule (min gain {stop['min_gain']:g}): no finite point to replay"
    if stop["stopped_epoch"] is None:
        # The replay saw only the logged points: with --horizon past them, "not before the horizon" would
        # claim the epochs the log does not hold.
        last = stop.get("last_epoch", stop["horizon"])
        if last < stop["horizon"]:
            return (f"  stopping rule (min gain {stop['min_gain']:g}, horizon {axis} {stop['horizon']:g}): would not "
                    f"have stopped by {axis} {last:g}, the last of the {stop['points_logged']} logged points")
        return (f"  stopping rule (min gain {stop['min_gain']:g}): would not have stopped before "
                f"{axis} {stop['horizon']:g}")
    saved = 1 - stop["points_used"] / stop["points_logged"]
    return (f"  stopping rule (min gain {stop['min_gain']:g}): would have stopped at {axis} "
            f"{stop['stopped_epoch']:g} ({saved:.0%} of the logged points saved); best so far "
            f"{stop['best_value']:.4g} at {axis} {stop['best_epoch']:g}, best of the whole run "
            f"{stop['final_best']:.4g}")
