"""What the headless commands print about an agent: its greedy policy against the exact optimum
(a discrete world), its greedy evaluation, and why its settings cannot reach the goal."""

from __future__ import annotations

import math

from tui_taxi.core.episodes import EvalResult
from tui_taxi.core.optimal import PolicyReport, policy_report, scorable, too_large


def print_optimality(agent) -> None:
    """The optimality report of an agent on a discrete world (nothing on a continuous one)."""
    if agent.model is not None and not scorable(agent.model):
        print(f"policy optimality: not scored: {too_large(agent.model)}")
    elif agent.model is not None:
        print_report(policy_report(agent.model, agent.q_table(), agent.config.gamma))


def print_diagnosis(agent) -> None:
    diagnosis = agent.diagnosis()
    if diagnosis:
        print(f"note: {diagnosis}")


def limit_text(limit: int) -> str:
    return f"time limit {limit} steps" if limit else "no time limit"


def print_evaluation(agent, result: EvalResult) -> None:
    """The greedy evaluation: the tutorial's figures on a discrete world; on a continuous one,
    the return, the steps and how many episodes ended well (the pole balanced to the limit,
    or the env's own end before it)."""
    print(f"greedy evaluation over {result.episodes} episodes ({limit_text(result.time_limit)}):")
    if agent.model is not None:
        print(f"  average timesteps per episode  {result.mean_steps:.2f}")
        if agent.counts_penalties:  # (a network's kernel does not count them)
            print(f"  average penalties per episode  {result.mean_penalties:.2f}")
        print(f"  average reward per move        {result.reward_per_move:.3f}")
        print(f"  success rate                   {result.success_rate:.1%}")
        return
    print(f"  mean return per episode        {result.mean_return:.2f}")
    print(f"  mean steps per episode         {result.mean_steps:.2f}")
    word = episode_ends(agent)
    print(f"  {word:<30} {result.success_rate:.1%}")


def episode_ends(agent) -> str:
    """How the world's episodes count as done well (see :func:`~tui_taxi.core.worlds.success_words`)."""
    from tui_taxi.core.worlds import success_words

    return success_words(agent.config.env_id, agent.model)


def print_report(report: PolicyReport) -> None:
    """Two lines: the optimality for the run's gamma, then the undiscounted figures of the
    greedy policy beside those of the optimal policy for that gamma. A policy that loops from
    some starts is said so, with its means over the starts it finishes from (never an
    infinity)."""
    gamma = f"{report.gamma:g}"
    head = (
        f"policy optimality: greedy policy optimal for gamma {gamma} from "
        f"{report.n_optimal}/{report.n_start} start states ({report.optimality:.1%})"
    )
    if report.n_optimal < report.n_start and math.isfinite(report.mean_value):
        value, best = apart(report.mean_value, report.optimal_mean_value)
        head += f"; its value for gamma {gamma}: {value} against {best} at best"
    optimum = f"the optimal policy for gamma {gamma}"
    if report.n_loop == report.n_start:
        print(f"{head}; it loops from all {report.n_start} starts, so it never finishes")
        print(
            f"  undiscounted: success {report.success_rate:.1%} "
            f"({optimum}: {report.optimal_success_rate:.1%})"
        )
        return
    if report.n_loop:
        loops = (
            "start, so it never finishes from it"
            if report.n_loop == 1
            else ("starts, so it never finishes from them")
        )
        head += f"; it loops from {report.n_loop} {loops}"
        where = f"undiscounted, over the {report.n_finish} starts it finishes from"
        optimum += " there"
    else:
        where = "undiscounted"
    print(head)
    print(
        f"  {where}: mean steps {amount(report.finish_mean_steps)}, success "
        f"{report.finish_success_rate:.1%}, return {amount(report.finish_mean_return)} "
        f"({optimum}: {amount(report.finish_optimal_mean_steps)}, "
        f"{report.finish_optimal_success_rate:.1%}, {amount(report.finish_optimal_mean_return)})"
    )


def apart(a: float, b: float) -> tuple[str, str]:
    """Two numbers with the significant digits (4 to 12) that tell them apart, if any do."""
    for digits in range(4, 13):
        shown = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if shown[0] != shown[1]:
            break
    return shown


def amount(value: float) -> str:
    """A mean for the report: two decimals, and words for an infinity."""
    if math.isinf(value):
        return "never finishes" if value > 0 else "-inf (loops)"
    return f"{value:.2f}"
