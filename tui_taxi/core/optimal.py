"""The exact optimum of a compiled env for a discount factor gamma, and how close a greedy
policy comes to it.

Optimality is judged in the learner's own terms: a greedy policy is optimal from a start state
when its expected discounted return for the session's gamma equals V*_gamma there (value
iteration with that gamma; for gamma < 1 made exact by policy iteration, a linear solve per
step). A learner with gamma 0.6 can only ever learn the optimum for 0.6, so that is what it is
scored against; with gamma 1 it is the undiscounted optimum of an episodic env.

Beside it, the tutorials' figures are undiscounted expectations over whole episodes (steps,
success, return), for the greedy policy and for the optimal policy of that gamma, ignoring the
time limit: they say what the policy does, while the score says whether it is the best the
learner could have learnt.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from tui_taxi.core.envs import CompiledEnv

TOL = 1e-9
#: For gamma < 1, values count as equal within this fraction of the largest discounted return
#: the rewards allow (max |r| / (1 - gamma)): far above the rounding of a linear solve, far
#: below any difference a learner's table could resolve.
DISCOUNTED_FLOOR = 1e-12
MAX_SWEEPS = 100_000
MAX_POLICY_ITERATIONS = 1000


class SolveError(ValueError):
    """The optimum does not exist as a finite value (gamma 1 on an env that need not end)."""


#: The most states whose exact optimum (and a policy's exact figures) are computed: the linear
#: solves take memory in their square and time in their cube (2,500 states: about 2 s and
#: 50 MB; 10,000: 40 s; 40,000: 12 GiB). A larger world trains, but is not scored.
MAX_SCORED_STATES = 2_500


class TooLargeToScore(SolveError):
    """The world has more states than the exact optimum is computed for."""


def scorable(model: CompiledEnv) -> bool:
    """Whether ``model`` is small enough for its exact optimum (:data:`MAX_SCORED_STATES`)."""
    return model.n_states <= MAX_SCORED_STATES


def too_large(model: CompiledEnv) -> str:
    """Why ``model`` is not scored, in words."""
    return (
        f"{model.n_states:,} states, more than the {MAX_SCORED_STATES:,} whose exact optimum "
        "is computed (its cost grows with the cube of the states)"
    )


def _check_scorable(model: CompiledEnv) -> None:
    if not scorable(model):
        raise TooLargeToScore(f"not scored: {too_large(model)}")


@njit(nogil=True, cache=True)
def _value_iteration(
    prob, next_state, reward, terminated, n_outcomes, allowed, gamma, tol, max_sweeps
):
    """V(s) = max over allowed actions of E[r + gamma * V(s')] (not after termination); a state
    with no allowed action keeps V = 0 (nothing allowed leads to it)."""
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
            if best == -np.inf:
                continue
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
    q = np.empty((model.n_states, model.n_actions))
    _q_kernel(model.prob, model.next_state, reward, model.terminated, model.n_outcomes, v, gamma, q)
    return q


@njit(nogil=True, cache=True)
def _q_kernel(prob, next_state, reward, terminated, n_outcomes, v, gamma, out):  # pragma: no cover
    """Q(s, a) = sum over the real outcomes of p (r + gamma V(s')), nothing after an end, in
    the outcomes' order (Jack's 441 a pair: ~1 ms where the array expression took 12)."""
    for s in range(out.shape[0]):
        for a in range(out.shape[1]):
            total = 0.0
            for k in range(n_outcomes[s, a]):
                ahead = 0.0 if terminated[s, a, k] else gamma * v[next_state[s, a, k]]
                total += prob[s, a, k] * (reward[s, a, k] + ahead)
            out[s, a] = total


def _solve(
    model: CompiledEnv, reward: np.ndarray, allowed: np.ndarray, gamma: float = 1.0
) -> tuple[np.ndarray, int]:
    # gamma < 1: stop when the error bound delta * gamma / (1 - gamma) is below TOL * 1e-3
    tol = TOL * 1e-3 * ((1.0 - gamma) / gamma if 0.0 < gamma < 1.0 else 1.0)
    return _value_iteration(
        model.prob,
        model.next_state,
        reward,
        model.terminated,
        model.n_outcomes,
        allowed,
        float(gamma),
        tol,
        MAX_SWEEPS,
    )


def value_tolerance(model: CompiledEnv, gamma: float, v: np.ndarray) -> np.ndarray:
    """How far below ``v`` (per state) a value may fall and still count as equal: a part in
    10**9 of |v|, plus a floor: 1e-9 for gamma 1 (values in reward units), else
    :data:`DISCOUNTED_FLOOR` of max |r| / (1 - gamma)."""
    if gamma >= 1.0:
        floor = TOL
    else:
        r_max = float(np.max(np.abs(model.reward[model.prob > 0]), initial=0.0))
        floor = DISCOUNTED_FLOOR * max(r_max, 1e-300) / (1.0 - gamma)
    return TOL * np.abs(v) + floor


def _argmax_mask(q: np.ndarray, tol: np.ndarray) -> np.ndarray:
    return q >= q.max(axis=1, keepdims=True) - tol[:, None]


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


class _Chain:
    """The Markov chain a stochastic policy ``pi`` makes of the model (built once, for several
    measures)."""

    def __init__(self, model: CompiledEnv, pi: np.ndarray) -> None:
        self.model = model
        n = model.n_states
        self.weight = pi[:, :, None] * model.prob  # (S, A, K): probability of each outcome
        cont = np.where(model.terminated, 0.0, self.weight)
        self.transition = np.zeros((n, n))
        rows = np.broadcast_to(np.arange(n)[:, None, None], cont.shape)
        np.add.at(self.transition, (rows.ravel(), model.next_state.ravel()), cont.ravel())
        self._sinks: np.ndarray | None = None

    def expected(self, measure: str) -> np.ndarray:
        """Per state, the expected ``measure`` of one step."""
        return np.sum(self.weight * outcome_rewards(self.model, measure), axis=(1, 2))

    @property
    def sinks(self) -> np.ndarray:
        """States from which the episode can never terminate."""
        if self._sinks is None:
            exits = np.sum(np.where(self.model.terminated, self.weight, 0.0), axis=(1, 2)) > 0
            self._sinks = ~_can_reach(self.transition > 0, exits)
        return self._sinks

    def undiscounted(self, *measures: str) -> list[np.ndarray]:
        """Per state, the expected total of each of ``measures`` over the rest of the episode.

        From the states that finish with probability 1, one linear solve (I - P) V = r gives
        them all. Elsewhere, graph analysis first: a sink whose outcomes are all worth 0 under
        a measure is harmless (value 0: e.g. FrozenLake bumping into a wall, for the return);
        any state that can reach another sink gets an infinite value (-inf for the return, +inf
        for steps and penalties); the rest leave with probability 1 and get a solve of their
        own."""
        finishes = ~_can_reach(self.transition > 0, self.sinks)
        rewards = [outcome_rewards(self.model, m) for m in measures]
        v = np.zeros((self.model.n_states, len(measures)))
        r = np.stack([np.sum(self.weight * reward, axis=(1, 2)) for reward in rewards], axis=1)
        v[finishes] = self._solve_on(finishes, r)
        if not finishes.all():
            for j, (measure, reward) in enumerate(zip(measures, rewards, strict=True)):
                stakes = np.sum(self.weight * np.abs(reward), axis=(1, 2)) > 0
                doomed = _can_reach(self.transition > 0, self.sinks & stakes)
                live = ~(doomed | (self.sinks & ~doomed))
                v[doomed, j] = -np.inf if measure == "return" else np.inf
                v[self.sinks & ~doomed, j] = 0.0
                if live.any() and not np.array_equal(live, finishes):
                    v[live, j] = self._solve_on(live, r[:, j])
        return [v[:, j] for j in range(len(measures))]

    def _solve_on(self, states: np.ndarray, r: np.ndarray) -> np.ndarray:
        n = int(states.sum())
        if n == 0:
            return r[states]
        return np.linalg.solve(np.eye(n) - self.transition[np.ix_(states, states)], r[states])

    def discounted(self, gamma: float) -> np.ndarray:
        """The expected discounted return: (I - gamma P) V = r, always finite for gamma < 1."""
        system = np.eye(self.model.n_states) - gamma * self.transition
        return np.linalg.solve(system, self.expected("return"))


def policy_values(
    model: CompiledEnv, pi: np.ndarray, measure: str = "return", gamma: float = 1.0
) -> np.ndarray:
    """Exact expected ``measure`` per state under the stochastic policy ``pi``: undiscounted
    (gamma 1; infinite where the policy may never finish and the measure keeps counting), or,
    for the return with gamma < 1, discounted."""
    chain = _Chain(model, pi)
    if gamma < 1.0:
        if measure != "return":
            raise ValueError(f"only the return is discounted, not {measure!r}")
        return chain.discounted(gamma)
    return chain.undiscounted(measure)[0]


def _can_reach(edges: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """States with a path of positive-probability edges to any ``targets`` state (or in it)."""
    matrix = edges.astype(np.float32)  # float: the product runs in BLAS
    reach = targets.copy()
    while True:
        grown = reach | (matrix @ reach.astype(np.float32) > 0)
        if np.array_equal(grown, reach):
            return reach
        reach = grown


def can_finish(model: CompiledEnv, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The states from which some policy using only ``allowed`` actions ends the episode with
    probability 1, and the actions that keep it among them (every outcome ends the episode or
    stays in the set). The classic fixed point for almost-sure reachability."""
    real = model.prob > 0
    ends = real & model.terminated
    keep = np.ones(model.n_states, dtype=bool)
    while True:
        stays = allowed & np.all(~real | model.terminated | keep[model.next_state], axis=2)
        reach = np.any(stays[:, :, None] & ends, axis=(1, 2))
        while True:  # backwards: states with a staying action that may move into reach
            into = np.any(stays[:, :, None] & real & reach[model.next_state], axis=(1, 2))
            grown = reach | (into & keep)
            if np.array_equal(grown, reach):
                break
            reach = grown
        new_keep = keep & reach
        if np.array_equal(new_keep, keep):
            return keep, stays & keep[:, None]
        keep = new_keep


@dataclass(frozen=True, eq=False)
class Optimum:
    """The optimum for one gamma. ``v``, ``q`` and ``optimal_actions`` are discounted by
    ``gamma``; the per-state arrays and means after them are undiscounted figures of one optimal
    policy: the fastest (fewest expected steps) among those using only optimal actions."""

    gamma: float
    v: np.ndarray  # V*_gamma(s)
    q: np.ndarray  # Q*_gamma(s, a)
    optimal_actions: np.ndarray  # (S, A) bool
    policy: np.ndarray  # (S, A) probabilities of the optimal policy whose figures follow
    returns: np.ndarray  # per state: its expected undiscounted return
    steps: np.ndarray  # per state: its expected steps (inf: it may never finish)
    success: np.ndarray  # per state: the probability that it succeeds
    mean_value: float  # V*_gamma over the initial distribution
    mean_return: float  # undiscounted, over the initial distribution
    mean_steps: float
    mean_penalties: float
    success_rate: float
    sweeps: int


def solve(model: CompiledEnv, gamma: float = 1.0) -> Optimum:
    """The optimum for ``gamma`` (cached per model and gamma). Raises :class:`SolveError` when
    gamma is 1 and the env's undiscounted values are not finite."""
    gamma = float(gamma)
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma:g}")
    _check_scorable(model)
    return _solve_cached(model, gamma)


@functools.lru_cache(maxsize=32)
def _solve_cached(model: CompiledEnv, gamma: float) -> Optimum:
    v, sweeps = _optimal_values(model, gamma)
    q = q_from_v(model, v, gamma)
    optimal = _argmax_mask(model.masked(q), value_tolerance(model, gamma, v))  # legal ones
    pi = _fastest(model, optimal)
    chain = _Chain(model, pi)
    measures = ("return", "steps", "penalties", "success")
    figures = dict(zip(measures, chain.undiscounted(*measures), strict=True))
    for arr in (v, q, optimal, pi, *figures.values()):
        arr.setflags(write=False)
    isd = model.initial_distribution
    return Optimum(
        gamma=gamma,
        v=v,
        q=q,
        optimal_actions=optimal,
        policy=pi,
        returns=figures["return"],
        steps=figures["steps"],
        success=figures["success"],
        mean_value=_weighted(isd, v),
        mean_return=_weighted(isd, figures["return"]),
        mean_steps=_weighted(isd, figures["steps"]),
        mean_penalties=_weighted(isd, figures["penalties"]),
        success_rate=_weighted(isd, figures["success"]),
        sweeps=sweeps,
    )


def _optimal_values(model: CompiledEnv, gamma: float) -> tuple[np.ndarray, int]:
    """V*_gamma: value iteration; for gamma < 1 then policy iteration from its greedy policy
    (a linear solve per step) until no action improves on it, so V* is exact to rounding."""
    v, sweeps = _solve(model, model.reward, model.legal_mask, gamma)
    if gamma >= 1.0:
        if sweeps >= MAX_SWEEPS or not np.all(np.isfinite(v)):
            raise SolveError(
                f"{model.env_id}: the undiscounted optimum does not settle (an episode need not "
                "end); use gamma < 1"
            )
        return v, sweeps
    rows = np.arange(model.n_states)
    actions = np.argmax(model.masked(q_from_v(model, v, gamma)), axis=1)
    for _ in range(MAX_POLICY_ITERATIONS):
        pi = np.zeros((model.n_states, model.n_actions))
        pi[rows, actions] = 1.0
        v = _Chain(model, pi).discounted(gamma)
        q = model.masked(q_from_v(model, v, gamma))
        better = q.max(axis=1) > q[rows, actions] + value_tolerance(model, gamma, v) * 1e-3
        if not better.any():
            break
        actions = np.where(better, np.argmax(q, axis=1), actions)
    return v, sweeps


def _fastest(model: CompiledEnv, optimal: np.ndarray) -> np.ndarray:
    """Among policies that take only ``optimal`` actions, one with the fewest expected steps
    from every state that some such policy finishes from (elsewhere: uniform over the
    optimal actions)."""
    finishes, stays = can_finish(model, optimal)
    minus_steps, _ = _solve(model, -np.ones_like(model.reward), stays)
    q_steps = np.where(stays, _q_for(model, -np.ones_like(model.reward), minus_steps), -np.inf)
    fastest = np.where(
        finishes[:, None],
        _argmax_mask(q_steps, TOL * np.maximum(1.0, np.abs(minus_steps))),
        optimal,
    )
    return fastest / fastest.sum(axis=1, keepdims=True)


def _weighted(isd: np.ndarray, values: np.ndarray) -> float:
    support = isd > 0
    return float(isd[support] @ values[support])


@dataclass(frozen=True)
class PolicyReport:
    """How the greedy policy of a Q-table compares with the optimum for ``gamma``, over the
    start states.

    ``optimality`` and ``n_optimal`` are discounted: the starts from which the greedy policy's
    expected discounted return attains V*_gamma. Every ``*_return``, ``*_steps`` and
    ``*_success_rate`` figure is undiscounted (whole episodes, no time limit); ``optimal_*``
    ones are those of the optimal policy for ``gamma`` (see :class:`Optimum`).

    A greedy policy may loop forever from some starts (its exact expected steps are infinite,
    and its return -inf, or 0 when the loop costs nothing): discounting makes such a policy's
    value finite, but ``n_loop`` still counts the starts it may never finish from. The overall
    means then are infinite, so the ``finish_*`` figures average over the starts it does
    finish from, next to the optimum over the same starts: show those, with ``n_loop``, rather
    than an infinity.
    """

    optimality: float  # fraction of start states where the greedy policy attains V*_gamma
    n_optimal: int
    n_start: int
    mean_return: float  # greedy policy, exact, over the initial distribution (-inf: it can loop)
    mean_steps: float  # (inf: it can loop)
    optimal_mean_return: float  # the optimal policy for gamma, undiscounted
    optimal_mean_steps: float
    mean_gap: float  # expected discounted return lost against V*_gamma
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
    #: the discount factor the optimality is judged for
    gamma: float = 1.0
    #: the greedy policy's expected discounted return (for gamma) over the initial distribution
    mean_value: float = math.nan
    #: V*_gamma over the initial distribution
    optimal_mean_value: float = math.nan
    #: the probability that the greedy policy's episode succeeds (undiscounted: ever)
    success_rate: float = math.nan
    #: the same for the optimal policy for gamma
    optimal_success_rate: float = math.nan
    #: the greedy policy's success rate over the starts it finishes from (NaN if none)
    finish_success_rate: float = math.nan
    #: the optimum's success rate over the same starts
    finish_optimal_success_rate: float = math.nan

    @property
    def n_finish(self) -> int:
        """Start states from which the greedy policy finishes."""
        return self.n_start - self.n_loop


def policy_report(model: CompiledEnv, q: np.ndarray, gamma: float = 1.0) -> PolicyReport:
    """The greedy policy of ``q`` against the optimum for ``gamma`` (pass the session's
    gamma; 1 judges against the undiscounted optimum)."""
    opt = solve(model, gamma)  # (a world too large to score: TooLargeToScore)
    pi = greedy_policy(model.masked(q))  # (a state's illegal actions: never chosen)
    chain = _Chain(model, pi)
    returns, steps, success = chain.undiscounted("return", "steps", "success")
    value = returns if opt.gamma >= 1.0 else chain.discounted(opt.gamma)
    start = model.start_states
    gap = opt.v[start] - value[start]
    attained = gap <= value_tolerance(model, opt.gamma, opt.v[start])
    isd = model.initial_distribution
    finishes = start[np.isfinite(steps[start])]
    return PolicyReport(
        optimality=float(attained.mean()),
        n_optimal=int(attained.sum()),
        n_start=len(start),
        mean_return=_weighted(isd, returns),
        mean_steps=_weighted(isd, steps),
        optimal_mean_return=opt.mean_return,
        optimal_mean_steps=opt.mean_steps,
        mean_gap=float(isd[start] @ gap),
        n_loop=len(start) - len(finishes),
        finish_mean_return=_mean_over(isd, returns, finishes),
        finish_mean_steps=_mean_over(isd, steps, finishes),
        finish_optimal_mean_return=_mean_over(isd, opt.returns, finishes),
        finish_optimal_mean_steps=_mean_over(isd, opt.steps, finishes),
        gamma=opt.gamma,
        mean_value=_weighted(isd, value),
        optimal_mean_value=opt.mean_value,
        success_rate=_weighted(isd, success),
        optimal_success_rate=opt.success_rate,
        finish_success_rate=_mean_over(isd, success, finishes),
        finish_optimal_success_rate=_mean_over(isd, opt.success, finishes),
    )


def _mean_over(isd: np.ndarray, values: np.ndarray, states: np.ndarray) -> float:
    """The mean of ``values`` over ``states``, weighted as the initial distribution weighs them."""
    weight = isd[states]
    return float(weight @ values[states] / weight.sum()) if len(states) else math.nan


# -- reaching the goal ------------------------------------------------------------------------
def optimal_greedy_policy(optimum: Optimum) -> np.ndarray:
    """The greedy policy of the exact optimal Q-table as a learner acts on it: uniform over the
    optimal actions (ties broken at random), not the fastest of them."""
    mask = optimum.optimal_actions
    return mask / mask.sum(axis=1, keepdims=True)


def success_within(model: CompiledEnv, limit: int, pi: np.ndarray | None = None) -> np.ndarray:
    """Per state, the probability of a successful end within ``limit`` steps under ``pi``, or
    under the policy that makes it largest when ``pi`` is None (dynamic programming over the
    steps left); ``limit`` 0 means no time limit."""
    success = outcome_rewards(model, "success")
    if limit <= 0:
        if pi is not None:
            return _Chain(model, pi).undiscounted("success")[0]
        return _solve(model, success, model.legal_mask)[0]
    v = np.zeros(model.n_states)
    for _ in range(limit):
        q = np.sum(
            model.prob * (success + np.where(model.terminated, 0.0, v[model.next_state])), axis=2
        )
        new = model.masked(q).max(axis=1) if pi is None else np.sum(pi * q, axis=1)
        if np.array_equal(new, v):  # every state has settled (e.g. a deterministic world)
            break
        v = new
    return v


def shortest_steps(model: CompiledEnv) -> np.ndarray:
    """Per state, the fewest steps in which the episode can end in success (with positive
    probability); inf where it never can."""
    real = model.prob > 0
    success = outcome_rewards(model, "success") > 0
    dist = np.where(np.any(real & success, axis=(1, 2)), 1.0, np.inf)
    moves = real & ~model.terminated
    while True:
        via = np.where(moves, dist[model.next_state] + 1.0, np.inf).min(axis=(1, 2))
        new = np.minimum(dist, via)
        if np.array_equal(new, dist):
            return dist
        dist = new
