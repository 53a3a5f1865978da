"""What the grid worlds of ours share with Gymnasium's toy-text envs: an exact transition model
``P[s][a] -> [(p, s', r, terminated), ...]`` that ``step`` samples, a start drawn from
``initial_state_distrib``, and an ``ansi`` rendering. A world subclasses :class:`ModelEnv`,
gives its model to :meth:`_set_model` in its constructor (after :meth:`_set_render_mode`) and
writes its picture in :meth:`_render_text`."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import Env, logger, spaces
from gymnasium.envs.toy_text.utils import categorical_sample


class ModelEnv(Env):
    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def _set_render_mode(self, render_mode: str | None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"{type(self).__name__} render_mode must be 'ansi' or None, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.lastaction: int | None = None

    def _set_model(self, P: dict, starts: np.ndarray | int) -> None:
        """The model ``P`` over ``len(P)`` states, the spaces it makes, and where episodes
        start: a distribution over the states, or one state."""
        self.P = P
        self.nS, self.nA = len(P), len(P[0])
        if np.ndim(starts) == 0:
            self.start_state_index = int(starts)
            starts = np.eye(self.nS)[self.start_state_index]
        self.initial_state_distrib = np.asarray(starts, dtype=np.float64)
        self.observation_space = spaces.Discrete(self.nS)
        self.action_space = spaces.Discrete(self.nA)
        self.s = int(np.flatnonzero(self.initial_state_distrib)[0])

    def step(self, a: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        transitions = self.P[self.s][int(a)]
        i = categorical_sample([t[0] for t in transitions], self.np_random)
        p, s, r, terminated = transitions[i]
        self.s = s
        self.lastaction = int(a)
        # truncated is False: a time limit is the TimeLimit wrapper's business
        return int(s), float(r), bool(terminated), False, {"prob": p}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.s = int(categorical_sample(self.initial_state_distrib, self.np_random))
        self.lastaction = None
        return int(self.s), {"prob": 1.0}

    def render(self) -> str | None:
        if self.render_mode is None:
            name = self.spec.id if self.spec is not None else type(self).__name__
            logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                f'gymnasium.make("{name}", render_mode="ansi")'
            )
            return None
        return self._render_text()

    def _render_text(self) -> str:
        raise NotImplementedError

    def _last_action_line(self) -> list[str]:
        """The last action, in brackets, as a last line (none before the first step)."""
        if self.lastaction is None:
            return []
        return [f"  ({self.action_names[self.lastaction]})"]
