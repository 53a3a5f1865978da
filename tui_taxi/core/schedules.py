"""Constant, linear and exponential decay schedules for epsilon and alpha, indexed by episode.

A schedule travels into the numba kernel as four floats ``(kind, start, end, param)`` and is
evaluated there by :func:`schedule_value` (also callable from Python, so both agree exactly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

KINDS = ("constant", "linear", "exp")
_KIND_CODE = {name: i for i, name in enumerate(KINDS)}


class ScheduleError(ValueError):
    """A schedule that cannot be parsed or is out of range; the message is one line for people."""


@dataclass(frozen=True)
class Schedule:
    """``constant``: always ``start``. ``linear``: ``start`` to ``end`` over ``param`` episodes.
    ``exp``: ``start * param**episode``, never below ``end`` (``param`` is the decay per episode)."""

    kind: str = "constant"
    start: float = 0.1
    end: float = 0.1
    param: float = 0.0

    @classmethod
    def constant(cls, value: float) -> Schedule:
        return cls("constant", float(value), float(value), 0.0)

    def as_array(self) -> np.ndarray:
        return np.array([_KIND_CODE[self.kind], self.start, self.end, self.param], dtype=np.float64)

    @classmethod
    def from_array(cls, arr: np.ndarray) -> Schedule:
        """The inverse of :meth:`as_array`; the kind code must be exactly 0, 1 or 2 (ranges are
        left to :meth:`check`)."""
        code = float(arr[0])
        if code not in _KIND_CODE.values():
            raise ScheduleError(
                f"unknown schedule kind code {code:g}; expected 0 (constant), 1 (linear) or 2 (exp)"
            )
        return cls(KINDS[int(code)], float(arr[1]), float(arr[2]), float(arr[3]))

    def value(self, episode: int) -> float:
        return float(schedule_value(self.as_array(), episode))

    def describe(self) -> str:
        if self.kind == "constant":
            return f"{self.start:g}"
        return f"{self.kind}:{self.start:g}:{self.end:g}:{self.param:g}"

    def check(self, name: str, low: float, high: float, low_open: bool = False) -> None:
        """Raise a one-line ScheduleError unless every value the schedule takes is in range."""
        if self.kind not in KINDS:
            raise ScheduleError(f"{name} schedule kind must be one of {', '.join(KINDS)}")
        for value in (self.start, self.end, self.param):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ScheduleError(f"{name} schedule values must be numbers, got {value!r}")
        for value in (self.start, self.end):
            below = value <= low if low_open else value < low
            if not np.isfinite(value) or below or value > high:
                interval = f"({low:g}, {high:g}]" if low_open else f"[{low:g}, {high:g}]"
                raise ScheduleError(f"{name} must be in {interval}, got {value:g}")
        if self.kind == "linear" and not (self.param >= 1 and float(self.param).is_integer()):
            raise ScheduleError(
                f"{name} linear decay needs a whole number of episodes >= 1, got {self.param:g}"
            )
        if self.kind == "exp" and not 0 < self.param <= 1:
            raise ScheduleError(f"{name} exp decay rate must be in (0, 1], got {self.param:g}")
        if self.kind == "exp" and self.start < self.end:
            raise ScheduleError(
                f"{name} {self.describe()}: exp decays from START down to END, so START must be "
                f">= END (got {self.start:g} < {self.end:g}); use linear:START:END:EPISODES to rise"
            )


def parse_schedule(text: str, name: str = "value") -> Schedule:
    """Parse ``0.1`` | ``constant:0.1`` | ``linear:START:END:EPISODES`` | ``exp:START:END:DECAY``."""
    parts = [p.strip() for p in str(text).split(":")]
    try:
        numbers = [float(p) for p in parts[1:]] if not _is_number(parts[0]) else [float(parts[0])]
    except ValueError:
        raise ScheduleError(f"{name} {text!r}: {_SYNTAX}") from None
    if _is_number(parts[0]) and len(parts) == 1:
        return Schedule.constant(numbers[0])
    kind = parts[0].lower()
    if kind == "constant" and len(numbers) == 1:
        return Schedule.constant(numbers[0])
    if kind in ("linear", "exp") and len(numbers) == 3:
        return Schedule(kind, *numbers)
    raise ScheduleError(f"{name} {text!r}: {_SYNTAX}")


_SYNTAX = "expected a number, constant:V, linear:START:END:EPISODES or exp:START:END:DECAY"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@njit(nogil=True, cache=True)
def schedule_value(sched, episode):
    kind = sched[0]
    start = sched[1]
    end = sched[2]
    if kind == 1.0:
        frac = episode / sched[3]
        if frac >= 1.0:
            return end
        return start + (end - start) * frac
    if kind == 2.0:
        value = start * math.exp(episode * math.log(sched[3]))
        return value if value > end else end
    return start
