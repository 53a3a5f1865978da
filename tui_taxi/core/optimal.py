"""The exact optimum of a compiled env, and how close a greedy policy comes to it.

Returns here are undiscounted episode returns (what the tutorials report), whatever gamma the
learner trains with, and ignore the time limit (Taxi's optimal trips are far shorter than it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from tui_taxi.core.envs import CompiledEnv

TOL = 1e-9
MAX_SWEEPS = 100_000


@njit(nogil=True, cache=True)
def _value_iteration(
    prob, next_state, reward, terminated, n_outcomes, allowed, gamma, tol, max_sweeps
):
    """V(s) = max over allowed actions of E[r + gamma * V(s')] (not after termination)."""
    n_states, n_actions = n_outcomes.shape
    v = np.zeros(n_states)
    for sweep in range(max_sweeps):
        delta = 0.0
        for s in range(n_states):
            best = -np.inf
            for a in range(n_actions):
                if not allowed[s, a]:
                    continue
                total = 0.0
                for k in range(n_outcomes[s, a]):
                    cont = 0.0 if terminated[s, a, k] else gamma * v[next_state[s, a, k]]
                    total += prob[s, a, k] * (reward[s, a, k] + cont)
                if total > best:
                    best = total
            change = abs(best - v[s])
            if change > delta:
                delta = change
            v[s] = best
        if delta <= tol:
            return v, sweep + 1
    return v, max_sweeps


def q_from_v(model: CompiledEnv, v: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    return _q_for(model, model.reward, v, gamma)


def _q_for(model: CompiledEnv, reward: np.ndarray, v: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    cont = np.where(model.terminated, 0.0, gamma * v[model.next_state])
    return np.sum(model.prob * (reward + cont), axis=2)


def _solve(model: CompiledEnv, reward: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, int]:
    return _value_iteration(
        model.prob,
        model.next_state,
        reward,
        model.terminated,
        model.n_outcomes,
        allowed,
        1.0,
        TOL * 1e-3,
        MAX_SWEEPS,
    )


def _argmax_mask(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    return q >= q.max(axis=1, keepdims=True) - TOL * np.maximum(1.0, np.abs(v))[:, None]


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """The greedy policy as probabilities: uniform over the actions that tie for the maximum."""
    best = q == q.max(axis=1, keepdims=True)
    return best / best.sum(axis=1, keepdims=True)


def outcome_rewards(model: CompiledEnv, measure: str) -> np.ndarray:
    """Per-outcome values whose expected sum is the episode's ``measure``."""
    if measure == "return":
        return model.reward
    if measure == "steps":
        return np.ones_like(model.reward)
    if measure == "penalties":
        return (model.reward <= model.penalty_reward).astype(np.float64)
    if measure == "success":
        return (model.terminated & (model.reward >= model.success_reward)).astype(np.float64)
    raise ValueError(f"unknown measure {measure!r}")


def policy_values(model: CompiledEnv, pi: np.ndarray, measure: str = "return") -> np.ndarray:
    """Exact undiscounted expected ``measure`` per state under the stochastic policy ``pi``.

    Graph analysis first: states that can never terminate are sinks. A sink whose outcomes are
    all worth 0 under ``measure`` is harmless (value 0: e.g. FrozenLake bumping into a wall, for
    the return); any state that can reach another sink gets an infinite value (-inf for the
    return, +inf for steps and penalties). The rest leave with probability 1, and a linear
    solve (I - P) V = r gives their values.
    """
    reward = outcome_rewards(model, measure)
    n = model.n_states
    weight = pi[:, :, None] * model.prob  # (S, A, K): probability of each outcome
    r = np.sum(weight * reward, axis=(1, 2))
    cont = np.where(model.terminated, 0.0, weight)
    transition = np.zeros((n, n))
    rows = np.broadcast_to(np.arange(n)[:, None, None], cont.shape)
    np.add.at(transition, (rows.ravel(), model.next_state.ravel()), cont.ravel())
    edges = transition > 0
    exits = np.sum(np.where(model.terminated, weight, 0.0), axis=(1, 2)) > 0
    sinks = ~_can_reach(edges, exits)
    stakes = np.sum(weight * np.abs(reward), axis=(1, 2)) > 0
    doomed = _can_reach(edges, sinks & stakes)  # may wander into a sink that costs forever
    harmless = sinks & ~doomed
    live = ~(doomed | harmless)
    v = np.zeros(n)
    v[doomed] = -np.inf if measure == "return" else np.inf
    if live.any():
        system = np.eye(int(live.sum())) - transition[np.ix_(live, live)]
        v[live] = np.linalg.solve(system, r[live])
    return v


def _can_reach(edges: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """States with a path of positive-probability edges to any ``targets`` state (or in it)."""
    matrix = edges.astype(np.float32)  # float: the product runs in BLAS
    reach = targets.copy()
    while True:
        grown = reach | (matrix @ reach.astype(np.float32) > 0)
        if np.array_equal(grown, reach):
            return reach
        reach = grown


@dataclass(frozen=True, eq=False)
class Optimum:
    v: np.ndarray  # V*(s), undiscounted
    q: np.ndarray  # Q*(s, a)
    optimal_actions: np.ndarray  # (S, A) bool
    mean_return: float  # over the initial distribution
    steps: np.ndarray  # per state: expected steps of the fastest optimal policy
    mean_steps: float  # of the optimal policy that is shortest among the optimal ones
    mean_penalties: float
    success_rate: float
    sweeps: int


@functools.lru_cache(maxsize=16)
def solve(model: CompiledEnv) -> Optimum:
    """Value iteration on the compiled model (cached per model). Among the optimal actions, a
    second value iteration picks the fastest (fewest expected steps) for the steps figure."""
    v, sweeps = _solve(model, model.reward, np.ones(model.n_outcomes.shape, dtype=np.bool_))
    q = q_from_v(model, v)
    optimal = _argmax_mask(q, v)
    minus_steps, _ = _solve(model, -np.ones_like(model.reward), optimal)
    fastest = _argmax_mask(
        np.where(optimal, _q_for(model, -np.ones_like(model.reward), minus_steps), -np.inf),
        minus_steps,
    )
    pi = fastest / fastest.sum(axis=1, keepdims=True)
    isd = model.initial_distribution
    values = {m: policy_values(model, pi, m) for m in ("steps", "penalties", "success")}
    for arr in (v, q, optimal, values["steps"]):
        arr.setflags(write=False)
    return Optimum(
        v=v,
        q=q,
        optimal_actions=optimal,
        mean_return=_weighted(isd, v),
        steps=values["steps"],
        mean_steps=_weighted(isd, values["steps"]),
        mean_penalties=_weighted(isd, values["penalties"]),
        success_rate=_weighted(isd, values["success"]),
        sweeps=sweeps,
    )


def _weighted(isd: np.ndarray, values: np.ndarray) -> float:
    support = isd > 0
    return float(isd[support] @ values[support])


@dataclass(frozen=True)
class PolicyReport:
    """How the greedy policy of a Q-table compares with the optimum over the start states.

    A greedy policy may loop forever from some starts (its exact expected steps are infinite, and
    its return -inf, or 0 when the loop costs nothing). The overall means then are infinite, so the ``finished_*``
    figures average over the starts it does finish from, next to the optimum over the same starts:
    show those, with ``n_loop``, rather than an infinity.
    """

    optimality: float  # fraction of start states where the greedy policy attains V*
    n_optimal: int
    n_start: int
    mean_return: float  # greedy policy, exact, over the initial distribution (-inf: it can loop)
    mean_steps: float  # (inf: it can loop)
    optimal_mean_return: float
    optimal_mean_steps: float
    mean_gap: float  # expected return lost against the optimum
    #: start states from which the greedy policy can loop forever (its expected steps are infinite)
    n_loop: int = 0
    #: the greedy policy's mean return over the starts it finishes from (NaN if none)
    finish_mean_return: float = math.nan
    #: the greedy policy's mean steps over the starts it finishes from (NaN if none)
    finish_mean_steps: float = math.nan
    #: the optimum's mean return over the same starts (the whole optimum when none loop)
    finish_optimal_mean_return: float = math.nan
    #: the optimum's mean steps over the same starts
    finish_optimal_mean_steps: float = math.nan

    @property
    def n_finish(self) -> int:
        """Start states from which the greedy policy finishes."""
        return self.n_start - self.n_loop


def policy_report(model: CompiledEnv, q: np.ndarray) -> PolicyReport:
    opt = solve(model)
    pi = greedy_policy(q)
    v = policy_values(model, pi)
    steps = policy_values(model, pi, "steps")
    start = model.start_states
    gap = opt.v[start] - v[start]
    attained = gap <= TOL * np.maximum(1.0, np.abs(opt.v[start]))
    isd = model.initial_distribution
    finishes = start[np.isfinite(steps[start])]
    return PolicyReport(
        optimality=float(attained.mean()),
        n_optimal=int(attained.sum()),
        n_start=len(start),
        mean_return=_weighted(isd, v),
        mean_steps=_weighted(isd, steps),
        optimal_mean_return=opt.mean_return,
        optimal_mean_steps=opt.mean_steps,
        mean_gap=float(isd[start] @ gap),
        n_loop=len(start) - len(finishes),
        finish_mean_return=_mean_over(isd, v, finishes),
        finish_mean_steps=_mean_over(isd, steps, finishes),
        finish_optimal_mean_return=_mean_over(isd, opt.v, finishes),
        finish_optimal_mean_steps=_mean_over(isd, opt.steps, finishes),
    )


def _mean_over(isd: np.ndarray, values: np.ndarray, states: np.ndarray) -> float:
    """The mean of ``values`` over ``states``, weighted as the initial distribution weighs them."""
    weight = isd[states]
    return float(weight @ values[states] / weight.sum()) if len(states) else math.nan
