"""Dynamic programming on a world's transition model (Sutton & Barto, chapter 4): iterative
policy evaluation, policy improvement, policy iteration and value iteration, in synchronous
sweeps (every state from the last sweep's values, as Figure 4.1 is computed) or in place (each
state from the values as they are, in state order), one backup at a time if asked.

A backup is one state's update: for each action, the sum over its successors of
p(s'|s,a) [r + gamma V(s')] (no V(s') after a termination), then the policy's expectation over
the actions (evaluation) or their max (value iteration). The planner counts its backups and
sweeps and keeps each sweep's change Delta = max |V_k+1 - V_k|. Greedy policies keep their ties:
every action within a hair of the best (``optimal.value_tolerance``) is greedy, so a tie shows
as several arrows, as in the book's Figure 4.1, never broken silently.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.errors import ConfigError
from tui_taxi.core.optimal import q_from_v, value_tolerance

METHODS = ("policy-evaluation", "policy-iteration", "value-iteration")
#: Sweeps before a run that has not reached theta gives up (gamma 1 on a world where some
#: policy never ends diverges: its values fall without bound).
MAX_SWEEPS = 100_000


@njit(nogil=True, cache=True)
def _backup(prob, next_state, reward, terminated, n_outcomes, legal, v, gamma, s, q):
    """Each legal action's expected r + gamma V(s') from state ``s`` into ``q`` (-inf for the
    others)."""
    for a in range(q.shape[0]):
        if not legal[s, a]:
            q[a] = -np.inf
            continue
        total = 0.0
        for k in range(n_outcomes[s, a]):
            cont = 0.0 if terminated[s, a, k] else gamma * v[next_state[s, a, k]]
            total += prob[s, a, k] * (reward[s, a, k] + cont)
        q[a] = total


@njit(nogil=True, cache=True)
def _sweep(
    prob,
    next_state,
    reward,
    terminated,
    n_outcomes,
    legal,
    pi,
    v,
    out,
    gamma,
    greedy,
    order,
    first,
    count,
):
    """Back up the states ``order[first]`` .. ``order[first + count - 1]``: V(s) from ``v``
    into ``out`` (the same array: in place), by the policy ``pi``'s expectation or
    (``greedy``) the max. Returns the largest change."""
    q = np.empty(n_outcomes.shape[1])
    delta = 0.0
    for i in range(first, first + count):
        s = order[i]
        _backup(prob, next_state, reward, terminated, n_outcomes, legal, v, gamma, s, q)
        if greedy:
            new = -np.inf
            for a in range(q.shape[0]):
                if q[a] > new:
                    new = q[a]
        else:
            new = 0.0
            for a in range(q.shape[0]):
                if pi[s, a] > 0.0:
                    new += pi[s, a] * q[a]
        change = abs(new - v[s])
        if change > delta:
            delta = change
        out[s] = new
    return delta


def absorbing_states(model: CompiledEnv) -> np.ndarray:
    """(S,) True where every outcome of every action stays put and ends the episode (a
    FrozenLake hole, the small gridworld's corners): never a current state."""
    here = np.arange(model.n_states)[:, None, None]
    stays = model.terminated & (model.next_state == here)
    return np.all(stays | (model.prob == 0), axis=(1, 2))  # (the padding's outcomes: p = 0)


def end_states(model: CompiledEnv) -> np.ndarray:
    """(S,) True where episodes end or that are never a state of one: absorbing states and a
    grid world's goals, walls and cliffs."""
    ends = absorbing_states(model)
    if model.grid is not None:
        ends |= np.isin(np.array(list("".join(model.grid.kinds))), list("GWC"))
    return ends


def reachable_states(model: CompiledEnv) -> np.ndarray:
    """(S,) True for the states some episode can be in: the start states and every state an
    outcome leads to from one without ending the episode (Taxi's passenger at its destination
    never is: the drop-off ends the episode)."""
    reached = np.zeros(model.n_states, dtype=bool)
    reached[model.start_states] = True
    live = (model.prob > 0) & ~model.terminated
    frontier = reached.copy()
    while frontier.any():
        following = np.zeros_like(reached)
        following[model.next_state[frontier][live[frontier]]] = True
        frontier = following & ~reached
        reached |= following
    return reached


@dataclass(frozen=True)
class Backup:
    """One state's backup, with its numbers: each action's expected return, the new value."""

    state: int
    q: np.ndarray  # (A,) each action's sum over successors of p [r + gamma V(s')]
    old: float
    new: float
    sweep: int  # the sweep it belongs to (1 for the first)
    read: np.ndarray  # the values it read V(s') from (a copy)


class Planner:
    """Dynamic programming on ``model``: its values ``v``, the policy ``pi`` it evaluates (the
    equiprobable random policy at first), the sweeps done ``k``, the backups done, each
    sweep's Delta, and the next state in sweep order (a sweep can be taken one backup at a
    time; a synchronous sweep's new values show when it completes). With a ``check`` of a Q-table
    (:func:`optimality_check`), each sweep's greedy policy is judged: ``optimal_at`` is the first
    sweep (and its backups) where it passed, ``optimal_since`` the sweep since which it has."""

    def __init__(
        self,
        model: CompiledEnv,
        gamma: float = 1.0,
        *,
        in_place: bool = False,
        greedy: bool = False,
        check: Callable[[np.ndarray], bool] | None = None,
    ) -> None:
        if isinstance(gamma, bool) or not 0.0 <= gamma <= 1.0:
            raise ConfigError(f"gamma must be in [0, 1], got {gamma!r}")
        if gamma >= 1.0 and not np.any(model.terminated & (model.prob > 0)):
            raise ConfigError(
                f"{model.env_id} never ends: with gamma 1 its values grow without bound; "
                "give a gamma below 1 (the book's Example 4.2: 0.9)"
            )
        self.model = model
        self.gamma = float(gamma)
        self.in_place = in_place
        self.greedy = greedy  # value iteration's max, else the policy's expectation
        legal = model.legal_mask
        self.pi = legal / legal.sum(axis=1, keepdims=True)  # the equiprobable random policy
        self.v = np.zeros(model.n_states)
        self._next = np.zeros(model.n_states)  # a synchronous sweep's values so far
        self.k = 0
        self.backups = 0
        # a sweep backs up the states episodes pass through, in state order (as the book's
        # Figure 4.1: 14 of the 16 cells; an end's value is 0 and stays 0)
        self.order = np.flatnonzero(~end_states(model)).astype(np.int64)
        self.position = 0  # the next state to back up in this sweep, as an index into order
        self.deltas: list[float] = []
        self._delta = 0.0  # this sweep's so far
        self.improvements = 0  # policy improvements made
        self.check = check
        self.optimal_at: tuple[int, int] | None = None
        self.optimal_since: int | None = None

    def _args(self):
        m = self.model
        return m.prob, m.next_state, m.reward, m.terminated, m.n_outcomes, m.legal_mask

    def _run(self, count: int) -> None:
        target = self.v if self.in_place else self._next
        delta = _sweep(
            *self._args(),
            self.pi,
            self.v,
            target,
            self.gamma,
            self.greedy,
            self.order,
            self.position,
            count,
        )
        self._delta = max(self._delta, delta)
        self.position += count
        self.backups += count
        if self.position == len(self.order):  # the sweep is complete
            if not self.in_place:
                self.v, self._next = self._next, self.v
            self.k += 1
            self.deltas.append(self._delta)
            self.position, self._delta = 0, 0.0
            self._judge()

    def _judge(self) -> None:
        if self.check is None:
            return
        if not self.check(self.q()):
            self.optimal_since = None
            return
        if self.optimal_since is None:
            self.optimal_since = self.k
        if self.optimal_at is None:
            self.optimal_at = (self.k, self.backups)

    @property
    def following(self) -> int:
        """The next state to back up (the first of a sweep between sweeps)."""
        return int(self.order[self.position]) if len(self.order) else 0

    def backup(self) -> Backup:
        """Back up the next state in sweep order, and say how."""
        s = self.following
        q = np.empty(self.model.n_actions)
        read = self.v.copy()
        _backup(*self._args(), self.v, self.gamma, s, q)
        old = float(self.v[s])
        sweep = self.k + 1
        self._run(1)
        completed = self.position == 0  # (a synchronous sweep's values are then swapped in)
        new = float(self.v[s] if self.in_place or completed else self._next[s])
        return Backup(s, q, old, new, sweep, read)

    def sweep(self) -> float:
        """Finish this sweep (a whole one if none is under way); returns its Delta."""
        self._run(len(self.order) - self.position)
        return self.deltas[-1]

    def run(self, theta: float, max_sweeps: int = MAX_SWEEPS, until_optimal: bool = False) -> bool:
        """Sweep until a sweep's Delta is below ``theta`` (True), or ``max_sweeps`` more sweeps
        are done or (``until_optimal``) the greedy policy is optimal (False)."""
        if not theta > 0:
            raise ConfigError(f"theta must be > 0, got {theta!r}")
        for _ in range(max_sweeps):
            if self.sweep() < theta:
                return True
            if until_optimal and self.optimal_since is not None:
                return False
        return False

    def forget_convergence(self) -> None:
        """The policy, the rule or the model changed: the sweeps so far no longer say whether V
        has converged or the greedy policy is optimal (the next sweep does)."""
        self.deltas.clear()
        self.optimal_since = None

    @property
    def delta(self) -> float:
        """The last complete sweep's Delta (inf before the first)."""
        return self.deltas[-1] if self.deltas else np.inf

    def q(self) -> np.ndarray:
        """Q(s, a) = sum over successors of p [r + gamma V(s')], for the current V."""
        return self.model.masked(q_from_v(self.model, self.v, self.gamma))

    def greedy_actions(self) -> np.ndarray:
        """(S, A) True for every action that ties for the best, within the values' tolerance."""
        q = self.q()
        tol = value_tolerance(self.model, self.gamma, self.v)
        return q >= q.max(axis=1, keepdims=True) - tol[:, None]

    def copy(self) -> Planner:
        """The planner as it is now, its own arrays (the model and the check shared)."""
        twin = copy.copy(self)
        twin.v, twin._next, twin.pi = self.v.copy(), self._next.copy(), self.pi.copy()
        twin.deltas = list(self.deltas)
        return twin

    def follow(self, action: int) -> None:
        """Evaluate the policy that always takes ``action`` (where it is legal; elsewhere the
        legal actions equally): the book's pi_0 on Jack's car rental, never moving a car."""
        legal = self.model.legal_mask
        if not 0 <= action < self.model.n_actions:
            raise ConfigError(f"no action {action!r}; this world has {self.model.n_actions}")
        pi = np.where(legal[:, [action]], np.eye(self.model.n_actions)[action], legal)
        self.pi = pi / pi.sum(axis=1, keepdims=True)
        self.forget_convergence()

    def iterate(
        self, theta: float, max_sweeps: int = MAX_SWEEPS, until_optimal: bool = False
    ) -> tuple[bool, list[np.ndarray]]:
        """Policy iteration from the policy now: evaluate to ``theta``, improve, until the
        policy is stable (True) or ``max_sweeps`` sweeps in all (or, ``until_optimal``, the
        greedy policy optimal) stop it; with each improved policy's greedy mask."""
        policies: list[np.ndarray] = []
        start = self.k
        while self.k - start < max_sweeps:
            if not self.run(theta, max_sweeps - (self.k - start), until_optimal):
                return False, policies
            stable = self.improve()
            policies.append(self.pi > 0)
            if stable:
                return True, policies
        return False, policies

    def improve(self) -> bool:
        """Policy improvement: pi becomes greedy for the current V, uniform over its ties;
        returns whether it stayed the same (the policy is stable)."""
        best = self.greedy_actions() & self.model.legal_mask
        pi = best / best.sum(axis=1, keepdims=True)
        stable = bool(np.array_equal(pi > 0, self.pi > 0))
        self.pi = pi
        self.improvements += 1
        return stable


@dataclass(frozen=True)
class PlanResult:
    method: str
    v: np.ndarray
    greedy: np.ndarray  # (S, A) ties kept
    sweeps: int
    backups: int
    deltas: tuple[float, ...]
    converged: bool
    policies: tuple[np.ndarray, ...] = ()  # policy iteration: each policy's greedy mask
    # (sweeps, backups) when the greedy policy was first optimal from every start, if it was
    optimal_at: tuple[int, int] | None = None


def plan(
    model: CompiledEnv,
    method: str = "value-iteration",
    *,
    gamma: float = 1.0,
    theta: float = 1e-4,
    sweeps: int | None = None,
    in_place: bool = False,
    until_optimal: bool = False,
) -> PlanResult:
    """``method`` run to ``theta`` (or for ``sweeps`` sweeps exactly): policy evaluation of the
    equiprobable random policy, policy iteration from it (each evaluation to theta, then an
    improvement, until the policy is stable), or value iteration. After each sweep the greedy
    policy is checked against the exact optimum (a world small enough to score): the first
    sweep where it is optimal from every start is ``optimal_at``; ``until_optimal`` stops
    there."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if sweeps is not None and (isinstance(sweeps, bool) or sweeps < 0):
        raise ConfigError(f"sweeps must be >= 0, got {sweeps!r}")
    planner = Planner(model, gamma, in_place=in_place, greedy=method == "value-iteration")
    planner.check = optimality_check(model, gamma)  # (after the planner has checked gamma)
    policies: list[np.ndarray] = []
    if method == "policy-iteration":  # (the policy stable is "converged")
        converged, policies = planner.iterate(
            theta, MAX_SWEEPS if sweeps is None else sweeps, until_optimal
        )
    elif sweeps is not None:
        for _ in range(sweeps):
            planner.sweep()
            if until_optimal and planner.optimal_since is not None:
                break
        converged = bool(planner.deltas) and planner.delta < theta
    else:
        converged = planner.run(theta, until_optimal=until_optimal)
    return PlanResult(
        method,
        planner.v.copy(),
        planner.greedy_actions(),
        planner.k,
        planner.backups,
        tuple(planner.deltas),
        converged,
        tuple(policies),
        planner.optimal_at,
    )


def optimality_check(model: CompiledEnv, gamma: float):
    """The check ``train`` uses (every tied greedy action optimal, from every start), or None
    for a world too large to score."""
    from tui_taxi.core.optimal import scorable
    from tui_taxi.core.training import OptimalityCheck

    return OptimalityCheck(model, gamma) if scorable(model) else None
