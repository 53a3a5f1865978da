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

from tui_taxi.core.rng import uniform, uniform4
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
I_LEARNER, I_TIME_LIMIT, I_LEARN = range(3)
N_IPARAMS = 3
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
# their indices, named once: record[R_STATE], ...
(R_STATE, R_ACTION, R_REWARD, R_NEXT_STATE, R_TERMINATED, R_TRUNCATED, R_EXPLORED, R_Q_OLD,
 R_BOOTSTRAP, R_TD_TARGET, R_TD_ERROR, R_Q_NEW, R_EPSILON, R_ALPHA, R_GAMMA, R_TABLE, R_EPISODE,
 R_T) = range(N_RECORD)  # fmt: skip
# how an episode ended
TRUNCATED, TERMINATED, SUCCESS = 0, 1, 2


def new_cursor() -> tuple[np.ndarray, np.ndarray]:
    """Counters for a run that has not started (state -1: the next call draws a start state)."""
    cursor = np.zeros(N_CURSOR, dtype=np.int64)
    cursor[C_STATE] = -1
    return cursor, np.zeros(N_FCURSOR, dtype=np.float64)


# The hot loop keeps the generator's state in four locals (s0..s3) so that it stays in
# registers; helpers that draw take and return it. Python-facing wrappers take the array.


@njit(nogil=True, cache=True, inline="always")
def _greedy4(q, s, s0, s1, s2, s3):
    """argmax_a q[s, a], ties broken uniformly at random with one draw, taken only when there
    is a tie. Returns ``(a, s0, s1, s2, s3)``."""
    n = q.shape[1]
    best = q[s, 0]
    first = 0
    count = 1
    for a in range(1, n):
        v = q[s, a]
        if v > best:
            best = v
            first = a
            count = 1
        elif v == best:
            count += 1
    if count == 1:
        return first, s0, s1, s2, s3
    u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
    k = np.int64(u * count)
    for a in range(first, n):
        if q[s, a] == best:
            if k == 0:
                return a, s0, s1, s2, s3
            k -= 1
    return first, s0, s1, s2, s3


@njit(nogil=True, cache=True)
def greedy_action(q, s, rng):
    """:func:`_greedy4` drawing from (and advancing) a ``uint64[4]`` generator array."""
    a, rng[0], rng[1], rng[2], rng[3] = _greedy4(q, s, rng[0], rng[1], rng[2], rng[3])
    return a


@njit(nogil=True, cache=True, inline="always")
def _epsilon_greedy4(q, s, epsilon, s0, s1, s2, s3):
    """Random with probability epsilon, else greedy on ``q``: ``(a, explored, s0, s1, s2, s3)``."""
    if epsilon > 0.0:
        u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
        if u < epsilon:
            u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
            return np.int64(u * q.shape[1]), True, s0, s1, s2, s3
    a, s0, s1, s2, s3 = _greedy4(q, s, s0, s1, s2, s3)
    return a, False, s0, s1, s2, s3


@njit(nogil=True, cache=True, inline="always")
def _row_max(q, s):
    best = q[s, 0]
    for a in range(1, q.shape[1]):
        if q[s, a] > best:
            best = q[s, a]
    return best


@njit(nogil=True, cache=True, inline="always")
def _expected_value(q, s, epsilon):
    """E_pi[Q(s, .)] for epsilon-greedy with uniform tie-breaking: eps * mean + (1 - eps) * max."""
    total = 0.0
    for a in range(q.shape[1]):
        total += q[s, a]
    return epsilon * total / q.shape[1] + (1.0 - epsilon) * _row_max(q, s)


@njit(nogil=True, cache=True, inline="always")
def _first_above(cum, u):
    """The first index whose cumulative probability exceeds ``u`` (binary search)."""
    lo = 0
    hi = cum.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(nogil=True, cache=True)
def sample_outcome(cum_prob, n_outcomes, s, a, rng):
    """Draw the outcome index of (s, a) as the kernel does (no draw when there is one outcome)."""
    if n_outcomes[s, a] == 1:
        return 0
    return _first_above(cum_prob[s, a, : n_outcomes[s, a]], uniform(rng))


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
    q_act,
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

    ``q_act`` is the table the agent acts on: ``q_a`` itself, or for Double Q a table kept equal
    to ``q_a + q_b`` (updated here with the table that learns).

    Writes one row per finished episode into the ``out_*`` arrays and returns how many finished;
    ``out_outcome`` is TRUNCATED, TERMINATED (a failure, e.g. a hole) or SUCCESS. Bootstraps on
    truncation (time limit ``iparams[I_TIME_LIMIT]``, 0 = none), never on termination.
    """
    learner = iparams[I_LEARNER]
    time_limit = iparams[I_TIME_LIMIT]
    learn = iparams[I_LEARN] != 0
    double = learner == DOUBLE_Q
    gamma = params[P_GAMMA]
    eps_schedule = params[P_EPSILON]
    alpha_schedule = params[P_ALPHA]
    penalty_reward = params[P_PENALTY]
    success_reward = params[P_SUCCESS]
    # everything the loop touches lives in locals; written back once at the end
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    s = cursor[C_STATE]
    pending = cursor[C_PENDING] == 1
    pending_action = cursor[C_ACTION]
    pending_explored = cursor[C_PENDING_EXPLORED] == 1
    t = cursor[C_T]
    episode = cursor[C_EPISODE]
    total = cursor[C_TOTAL]
    penalties = cursor[C_PENALTIES]
    episode_return = fcursor[F_RETURN]
    if s < 0:  # a fresh run: draw the first start state
        u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
        s = _first_above(cum_initial, u)
        pending = False
        t = 0
        penalties = 0
        episode_return = 0.0
    epsilon = schedule_value(eps_schedule, episode)
    alpha = schedule_value(alpha_schedule, episode)
    finished = 0
    steps = 0
    # the last step's values, written to ``record`` once after the loop
    a = last_s = s_next = last_t = last_episode = table = 0
    r = q_old = bootstrap = td_target = q_new = last_epsilon = last_alpha = 0.0
    explored = term = trunc = False
    while finished < max_episodes and steps < max_steps:
        if pending:
            a = pending_action
            explored = pending_explored
            pending = False
        else:
            a, explored, s0, s1, s2, s3 = _epsilon_greedy4(q_act, s, epsilon, s0, s1, s2, s3)
        k = 0
        if n_outcomes[s, a] > 1:
            u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
            k = _first_above(cum_prob[s, a, : n_outcomes[s, a]], u)
        s_next = next_state[s, a, k]
        r = reward[s, a, k]
        term = terminated[s, a, k]
        t += 1
        trunc = (not term) and time_limit > 0 and t >= time_limit
        last_s, last_t, last_episode, last_epsilon, last_alpha = s, t, episode, epsilon, alpha

        q_old = bootstrap = q_new = 0.0
        td_target = r
        table = 0
        if learn:
            q = q_a
            if learner == Q_LEARNING:
                if not term:
                    bootstrap = _row_max(q_a, s_next)
            elif learner == SARSA:
                if not term:
                    a_next, explored_next, s0, s1, s2, s3 = _epsilon_greedy4(
                        q_a, s_next, epsilon, s0, s1, s2, s3
                    )
                    bootstrap = q_a[s_next, a_next]
                    if not trunc:
                        pending = True
                        pending_action = a_next
                        pending_explored = explored_next
            elif learner == EXPECTED_SARSA:
                if not term:
                    bootstrap = _expected_value(q_a, s_next, epsilon)
            else:  # DOUBLE_Q
                u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
                if u < 0.5:
                    q, other = q_a, q_b
                else:
                    q, other = q_b, q_a
                    table = 1
                if not term:
                    a_star, s0, s1, s2, s3 = _greedy4(q, s_next, s0, s1, s2, s3)
                    bootstrap = other[s_next, a_star]
            q_old = q[s, a]
            td_target = r + gamma * bootstrap
            q_new = q_old + alpha * (td_target - q_old)
            q[s, a] = q_new
            if double:
                q_act[s, a] = q_a[s, a] + q_b[s, a]

        episode_return += r
        if r <= penalty_reward:
            penalties += 1
        total += 1
        steps += 1
        if term or trunc:
            out_return[finished] = episode_return
            out_length[finished] = t
            out_penalties[finished] = penalties
            if not term:
                out_outcome[finished] = TRUNCATED
            elif r >= success_reward:
                out_outcome[finished] = SUCCESS
            else:
                out_outcome[finished] = TERMINATED
            finished += 1
            episode += 1
            u, s0, s1, s2, s3 = uniform4(s0, s1, s2, s3)
            s = _first_above(cum_initial, u)
            pending = False
            t = 0
            penalties = 0
            episode_return = 0.0
            epsilon = schedule_value(eps_schedule, episode)
            alpha = schedule_value(alpha_schedule, episode)
        else:
            s = s_next

    if steps > 0:  # the last step, for the TD-update explainer
        record[R_STATE] = last_s
        record[R_ACTION] = a
        record[R_REWARD] = r
        record[R_NEXT_STATE] = s_next
        record[R_TERMINATED] = term
        record[R_TRUNCATED] = trunc
        record[R_EXPLORED] = explored
        record[R_Q_OLD] = q_old
        record[R_BOOTSTRAP] = bootstrap
        record[R_TD_TARGET] = td_target
        record[R_TD_ERROR] = td_target - q_old
        record[R_Q_NEW] = q_new
        record[R_EPSILON] = last_epsilon
        record[R_ALPHA] = last_alpha
        record[R_GAMMA] = gamma
        record[R_TABLE] = table
        record[R_EPISODE] = last_episode
        record[R_T] = last_t
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    cursor[C_STATE] = s
    cursor[C_PENDING] = 1 if pending else 0
    cursor[C_ACTION] = pending_action
    cursor[C_PENDING_EXPLORED] = 1 if pending_explored else 0
    cursor[C_T] = t
    cursor[C_EPISODE] = episode
    cursor[C_TOTAL] = total
    cursor[C_PENALTIES] = penalties
    fcursor[F_RETURN] = episode_return
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
    q_act,
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
    out_return = np.empty(size)  # the kernel fills the rows it returns; the rest is cut off
    out_length = np.empty(size, dtype=np.int64)
    out_penalties = np.empty(size, dtype=np.int64)
    out_outcome = np.empty(size, dtype=np.int8)
    finished = run_kernel(
        model.cum_prob,
        model.next_state,
        model.reward,
        model.terminated,
        model.n_outcomes,
        model.cum_initial,
        q_a,
        q_b,
        q_act,
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
