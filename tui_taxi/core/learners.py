"""Tabular TD learners as one numba kernel: Q-learning, SARSA, Expected SARSA, Double Q-learning.

:func:`run_kernel` runs an agent on a :class:`~tui_taxi.core.envs.CompiledEnv` for up to
``max_episodes`` episodes or ``max_steps`` steps and returns. Everything that must survive
between calls (current state, pending SARSA action, step-in-episode, counters, the running
return and the random generator) lives in small arrays passed in and out, so one call of 100k
episodes, 100 calls of 1k, and 1-step calls give bitwise-identical results. It is compiled with
``nogil=True`` so a worker thread training flat out never blocks the UI thread.

With ``learn = 0`` the same kernel evaluates a fixed policy (epsilon 0: greedy, 1: random).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from tui_taxi.core.rng import randint, uniform
from tui_taxi.core.schedules import schedule_value

LEARNERS = ("q-learning", "sarsa", "expected-sarsa", "double-q")
Q_LEARNING, SARSA, EXPECTED_SARSA, DOUBLE_Q = range(4)

# cursor: int64 state carried between calls
C_STATE, C_ACTION, C_PENDING, C_PENDING_EXPLORED, C_T, C_EPISODE, C_TOTAL, C_PENALTIES = range(8)
N_CURSOR = 8
# fcursor: float64 state carried between calls
F_RETURN = 0
N_FCURSOR = 1
# params: float64 settings
P_GAMMA = 0
P_EPSILON = slice(1, 5)
P_ALPHA = slice(5, 9)
P_PENALTY, P_SUCCESS = 9, 10
N_PARAMS = 11
# iparams: int64 settings
I_LEARNER, I_TIME_LIMIT, I_LEARN, I_RECORD = range(4)
N_IPARAMS = 4
# record: the last step, for the TD-update explainer
RECORD_FIELDS = (
    "state",
    "action",
    "reward",
    "next_state",
    "terminated",
    "truncated",
    "explored",
    "q_old",
    "bootstrap",
    "td_target",
    "td_error",
    "q_new",
    "epsilon",
    "alpha",
    "gamma",
    "table",
    "episode",
    "t",
)
N_RECORD = len(RECORD_FIELDS)
# how an episode ended
TRUNCATED, TERMINATED, SUCCESS = 0, 1, 2


def new_cursor() -> tuple[np.ndarray, np.ndarray]:
    """Counters for a run that has not started (state -1: the next call draws a start state)."""
    cursor = np.zeros(N_CURSOR, dtype=np.int64)
    cursor[C_STATE] = -1
    return cursor, np.zeros(N_FCURSOR, dtype=np.float64)


@njit(nogil=True, cache=True)
def greedy_action(q_a, q_b, s, weight_b, rng):
    """argmax_a of ``q_a[s] + weight_b * q_b[s]`` (weight 1: Double Q's sum, 0: q_a alone), ties
    broken uniformly at random with one draw, taken only when there is a tie."""
    n = q_a.shape[1]
    best = -np.inf
    first = 0
    count = 0
    for a in range(n):
        v = q_a[s, a] + weight_b * q_b[s, a]
        if v > best:
            best = v
            first = a
            count = 1
        elif v == best:
            count += 1
    if count == 1:
        return first
    k = np.int64(uniform(rng) * count)
    for a in range(first, n):
        if q_a[s, a] + weight_b * q_b[s, a] == best:
            if k == 0:
                return a
            k -= 1
    return first


@njit(nogil=True, cache=True)
def _epsilon_greedy(q_a, q_b, s, weight_b, epsilon, rng):
    if epsilon > 0.0 and uniform(rng) < epsilon:
        return randint(rng, q_a.shape[1]), True
    return greedy_action(q_a, q_b, s, weight_b, rng), False


@njit(nogil=True, cache=True)
def _row_max(q, s):
    best = q[s, 0]
    for a in range(1, q.shape[1]):
        if q[s, a] > best:
            best = q[s, a]
    return best


@njit(nogil=True, cache=True)
def _expected_value(q, s, epsilon):
    """E_pi[Q(s, .)] under epsilon-greedy with uniform tie-breaking: eps * mean + (1 - eps) * max."""
    total = 0.0
    for a in range(q.shape[1]):
        total += q[s, a]
    return epsilon * total / q.shape[1] + (1.0 - epsilon) * _row_max(q, s)


@njit(nogil=True, cache=True)
def _sample_outcome(cum_prob, n_outcomes, s, a, rng):
    n = n_outcomes[s, a]
    if n == 1:
        return 0
    u = uniform(rng)
    k = 0
    while k < n - 1 and u >= cum_prob[s, a, k]:
        k += 1
    return k


@njit(nogil=True, cache=True)
def _begin_episode(cursor, fcursor, cum_initial, rng):
    u = uniform(rng)
    lo = 0
    hi = cum_initial.shape[0] - 1
    while lo < hi:  # first index with cum_initial > u
        mid = (lo + hi) // 2
        if cum_initial[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    cursor[C_STATE] = lo
    cursor[C_PENDING] = 0
    cursor[C_T] = 0
    cursor[C_PENALTIES] = 0
    fcursor[F_RETURN] = 0.0


@njit(nogil=True, cache=True)
def run_kernel(
    cum_prob,
    next_state,
    reward,
    terminated,
    n_outcomes,
    cum_initial,
    q_a,
    q_b,
    params,
    iparams,
    cursor,
    fcursor,
    rng,
    max_episodes,
    max_steps,
    out_return,
    out_length,
    out_penalties,
    out_outcome,
    record,
):
    """Run until ``max_episodes`` episodes end or ``max_steps`` steps are taken.

    Writes one row per finished episode into the ``out_*`` arrays and returns how many finished;
    ``out_outcome`` is TRUNCATED, TERMINATED (a failure, e.g. a hole) or SUCCESS.
    Bootstraps on truncation (time limit ``iparams[I_TIME_LIMIT]``, 0 = none), never on
    termination.
    """
    learner = iparams[I_LEARNER]
    time_limit = iparams[I_TIME_LIMIT]
    learn = iparams[I_LEARN] != 0
    keep_record = iparams[I_RECORD] != 0
    weight_b = 1.0 if learner == DOUBLE_Q else 0.0
    gamma = params[P_GAMMA]
    eps_schedule = params[P_EPSILON]
    alpha_schedule = params[P_ALPHA]
    penalty_reward = params[P_PENALTY]
    success_reward = params[P_SUCCESS]
    if cursor[C_STATE] < 0:
        _begin_episode(cursor, fcursor, cum_initial, rng)
    finished = 0
    steps = 0
    while finished < max_episodes and steps < max_steps:
        episode = cursor[C_EPISODE]
        epsilon = schedule_value(eps_schedule, episode)
        alpha = schedule_value(alpha_schedule, episode)
        s = cursor[C_STATE]
        if cursor[C_PENDING] == 1:
            a = cursor[C_ACTION]
            explored = cursor[C_PENDING_EXPLORED] == 1
        else:
            a, explored = _epsilon_greedy(q_a, q_b, s, weight_b, epsilon, rng)
        cursor[C_PENDING] = 0
        k = _sample_outcome(cum_prob, n_outcomes, s, a, rng)
        s_next = next_state[s, a, k]
        r = reward[s, a, k]
        term = terminated[s, a, k]
        t = cursor[C_T] + 1
        trunc = (not term) and time_limit > 0 and t >= time_limit

        q_old = 0.0
        bootstrap = 0.0
        td_target = r
        q_new = 0.0
        table = 0
        if learn:
            q = q_a
            if learner == SARSA:
                if not term:
                    a_next, explored_next = _epsilon_greedy(q_a, q_b, s_next, 0.0, epsilon, rng)
                    bootstrap = q_a[s_next, a_next]
                    if not trunc:
                        cursor[C_ACTION] = a_next
                        cursor[C_PENDING_EXPLORED] = 1 if explored_next else 0
                        cursor[C_PENDING] = 1
            elif learner == EXPECTED_SARSA:
                if not term:
                    bootstrap = _expected_value(q_a, s_next, epsilon)
            elif learner == DOUBLE_Q:
                if uniform(rng) < 0.5:
                    q, other = q_a, q_b
                else:
                    q, other = q_b, q_a
                    table = 1
                if not term:
                    a_star = greedy_action(q, q, s_next, 0.0, rng)
                    bootstrap = other[s_next, a_star]
            elif not term:
                bootstrap = _row_max(q_a, s_next)
            q_old = q[s, a]
            td_target = r + gamma * bootstrap
            q_new = q_old + alpha * (td_target - q_old)
            q[s, a] = q_new

        if keep_record:
            record[0] = s
            record[1] = a
            record[2] = r
            record[3] = s_next
            record[4] = term
            record[5] = trunc
            record[6] = explored
            record[7] = q_old
            record[8] = bootstrap
            record[9] = td_target
            record[10] = td_target - q_old
            record[11] = q_new
            record[12] = epsilon
            record[13] = alpha
            record[14] = gamma
            record[15] = table
            record[16] = episode
            record[17] = t

        fcursor[F_RETURN] += r
        if r <= penalty_reward:
            cursor[C_PENALTIES] += 1
        cursor[C_T] = t
        cursor[C_TOTAL] += 1
        steps += 1
        if term or trunc:
            out_return[finished] = fcursor[F_RETURN]
            out_length[finished] = t
            out_penalties[finished] = cursor[C_PENALTIES]
            if not term:
                out_outcome[finished] = TRUNCATED
            elif r >= success_reward:
                out_outcome[finished] = SUCCESS
            else:
                out_outcome[finished] = TERMINATED
            finished += 1
            cursor[C_EPISODE] += 1
            _begin_episode(cursor, fcursor, cum_initial, rng)
        else:
            cursor[C_STATE] = s_next
    return finished


@dataclass(frozen=True)
class EpisodeBatch:
    """Episodes finished by one kernel call, named as TensorBoard scalars would be."""

    episodic_return: np.ndarray
    episodic_length: np.ndarray
    penalties: np.ndarray
    outcome: np.ndarray  # TRUNCATED / TERMINATED / SUCCESS

    def __len__(self) -> int:
        return len(self.episodic_return)

    @property
    def success(self) -> np.ndarray:
        return self.outcome == SUCCESS

    @property
    def truncated(self) -> np.ndarray:
        return self.outcome == TRUNCATED


def kernel_params(model, gamma: float, epsilon, alpha) -> np.ndarray:
    """Pack gamma, the epsilon and alpha schedules and the env's reward thresholds."""
    params = np.zeros(N_PARAMS)
    params[P_GAMMA] = gamma
    params[P_EPSILON] = epsilon.as_array()
    params[P_ALPHA] = alpha.as_array()
    params[P_PENALTY] = model.penalty_reward
    params[P_SUCCESS] = model.success_reward
    return params


def run_model(
    model,
    q_a,
    q_b,
    params,
    iparams,
    cursor,
    fcursor,
    rng,
    episodes: int | None,
    steps: int | None,
    record: np.ndarray,
) -> EpisodeBatch:
    """Call :func:`run_kernel` with output buffers sized for at most ``episodes`` / ``steps``."""
    if episodes is None and steps is None:
        raise ValueError("give episodes, steps or both")
    max_episodes = episodes if episodes is not None else steps
    max_steps = steps if steps is not None else np.iinfo(np.int64).max
    size = max(0, min(max_episodes, max_steps))
    out_return = np.zeros(size)
    out_length = np.zeros(size, dtype=np.int64)
    out_penalties = np.zeros(size, dtype=np.int64)
    out_outcome = np.zeros(size, dtype=np.int8)
    finished = run_kernel(
        model.cum_prob,
        model.next_state,
        model.reward,
        model.terminated,
        model.n_outcomes,
        model.cum_initial,
        q_a,
        q_b,
        params,
        iparams,
        cursor,
        fcursor,
        rng,
        max_episodes,
        max_steps,
        out_return,
        out_length,
        out_penalties,
        out_outcome,
        record,
    )
    return EpisodeBatch(
        out_return[:finished],
        out_length[:finished],
        out_penalties[:finished],
        out_outcome[:finished],
    )
