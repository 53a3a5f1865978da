"""Sutton & Barto's maximization-bias MDP (Example 6.7, Figure 6.5) as a Gymnasium env with an
exact transition model ``P[s][a] -> [(p, s', r, terminated), ...]`` like the toy-text envs.

Every episode starts in A. From A, ``Right`` ends the episode with reward 0 and ``Left`` moves
to B with reward 0. From B, each of ``b_actions`` actions (10, as the book's code has them)
ends the episode with a reward drawn from a normal distribution of mean -0.1 and variance 1:
on average going left is worse, yet a learner that maximizes over estimates of B's values
(Q-learning) overrates B at first and goes left far more often than the best policy (left
only when exploring: epsilon / 2 of the time); Double Q-learning does not.

The normal reward is written into the model as the eight-point Gauss-Hermite quadrature of
N(-0.1, 1): eight outcomes whose probabilities and rewards match the normal's moments up to
the fifteenth, so the exact optimum and every expectation are the normal's. A has two actions
and B has ``b_actions``: the model's ``legal_actions`` says how many each state has (a state's
legal actions are 0 .. n-1; the others are never chosen, learnt or scored). State 2 is the
terminal state (never a current state).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import Env, spaces
from gymnasium.envs.toy_text.utils import categorical_sample

A, B, END = 0, 1, 2
RIGHT, LEFT = 0, 1
MEAN, QUADRATURE_POINTS = -0.1, 8

Outcome = tuple[float, int, float, bool]


def normal_outcomes(
    mean: float = MEAN, points: int = QUADRATURE_POINTS
) -> list[tuple[float, float]]:
    """(probability, reward) pairs: Gauss-Hermite quadrature of N(mean, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    weights = weights / weights.sum()
    return [(float(w), float(mean + x)) for x, w in zip(nodes, weights, strict=True)]


class MaximizationBiasEnv(Env):
    """Example 6.7's MDP: A (start), B, and the end; ``b_actions`` actions in B."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, render_mode: str | None = None, b_actions: int = 10) -> None:
        if (
            isinstance(b_actions, bool)
            or not isinstance(b_actions, int)
            or not 2 <= b_actions <= 100
        ):
            raise ValueError(f"MaximizationBias b_actions must be 2 to 100, got {b_actions!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"MaximizationBias render_mode must be 'ansi' or None, got {render_mode!r}"
            )
        self.b_actions = b_actions
        self.nS, self.nA = 3, b_actions
        in_b = [(p, END, r, True) for p, r in normal_outcomes()]
        a_moves = {RIGHT: [(1.0, END, 0.0, True)], LEFT: [(1.0, B, 0.0, False)]}
        self.P = {
            # A's actions past its two are not legal: they repeat Right, never chosen
            A: {a: a_moves.get(a, a_moves[RIGHT]) for a in range(self.nA)},
            B: {a: list(in_b) for a in range(self.nA)},
            END: {a: [(1.0, END, 0.0, True)] for a in range(self.nA)},
        }
        self.legal_actions = (2, b_actions, b_actions)  # A: Right, Left; B: all of its own
        self.action_names = ("Right", "Left", *(f"b{i + 1}" for i in range(2, b_actions)))
        self.state_action_names = (
            ("Right", "Left"),
            tuple(f"b{i + 1}" for i in range(b_actions)),
            (),
        )
        self.success_reward = -np.inf  # every end is an end: no goal to reach
        self.penalty_reward = -np.inf  # nor penalties (B's rewards are noise, not penalties)
        self.initial_state_distrib = np.array([1.0, 0.0, 0.0])
        self.observation_space = spaces.Discrete(self.nS)
        self.action_space = spaces.Discrete(self.nA)
        self.render_mode = render_mode
        self.s, self.lastaction = A, None

    def step(self, a: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        transitions = self.P[self.s][int(a)]
        i = categorical_sample([t[0] for t in transitions], self.np_random)
        p, s, r, terminated = transitions[i]
        self.s, self.lastaction = s, int(a)
        return int(s), float(r), bool(terminated), False, {"prob": p}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.s, self.lastaction = A, None
        return A, {"prob": 1.0}

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        marks = ["[ ]" for _ in range(3)]
        marks[self.s] = "[x]"
        return f"end {marks[END]} <- B {marks[B]} <- A {marks[A]} -> end\n"
