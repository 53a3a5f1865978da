"""The line under a world: the last action, who chose it, its reward and how the episode ended."""

from __future__ import annotations

import math

from rich.text import Text

from tui_taxi.protocol import Snapshot

GOOD, BAD, WARN, DIM = "#3aa655", "#d64545", "#e3b505", "#8a8a96"


def last_action_text(snap: Snapshot) -> Text:
    last = snap.last_step
    text = Text()
    if last is None:
        hint = "move with the arrow keys" if snap.manual else "n takes a step"
        return text.append(f"no step yet · {hint}", style=DIM)
    model = snap.model
    if snap.t == 0:  # a fresh start: the last step was the previous episode's (or none)
        text.append("new episode", style="bold")
        end = _end(snap, last)
        if end is not None:
            text.append(" · last: ", style=DIM)
            text.append_text(end)
        return text
    name = snap.action_name(last.state, last.action)
    how = "you" if snap.human_step else "explored" if last.explored else "greedy"
    if last.reward > 0:
        reward_style = f"bold {GOOD}"
    elif model is not None and last.reward <= model.penalty_reward:
        reward_style = f"bold {BAD}"
    else:
        reward_style = "bold"
    text.append(f"{name} ", style="bold")
    text.append(f"({how}) ", style=DIM)
    text.append(f"{last.reward:+g}", style=reward_style)
    end = _end(snap, last)
    if end is not None:
        text.append("  ")
        text.append_text(end)
    return text


def _end(snap: Snapshot, last) -> Text | None:
    """How the episode of ``last`` ended, if that step ended it."""
    model = snap.model
    if last.terminated:
        if model is None:  # CartPole: the pole fell (its ends are falls); others: their goal
            if snap.world.cartpole:
                return Text("down", style=f"bold {BAD}")
            return Text("ended by the env", style="bold")  # Acrobot, ...: most often its goal
        success = last.reward >= model.success_reward > -math.inf  # (-inf: no goal, only ends)
        word = ("delivered!" if model.is_taxi else "goal!") if success else "ended"
        return Text(word, style=f"bold {GOOD if success else BAD}")
    if last.truncated:
        return Text("time limit", style=f"bold {WARN}")
    return None
