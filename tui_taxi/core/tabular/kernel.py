"""Tabular TD learners as one numba kernel: Q-learning, SARSA, Expected SARSA, Double Q-learning,
and Dyna-Q (Q-learning that also learns a model of the world and plans with it: Sutton & Barto
section 8.2).

:func:`run_kernel` runs an agent on a :class:`~tui_taxi.core.envs.CompiledEnv` for up to
``max_episodes`` episodes or ``max_steps`` steps and returns. Its arguments travel in small named
tuples of arrays (:class:`EnvArrays`, :class:`Tables`, :class:`Carried`, :class:`Episodes`) that
:func:`run_model` builds. Everything that must survive between calls (current state, pending
SARSA action, step-in-episode, counters, the running return and the random generator) is in
:class:`Carried`, so one call of 100k episodes, 100 calls of 1k, and 1-step calls give
bitwise-identical results. It is compiled with ``nogil=True`` so a worker thread training flat
out never blocks the UI thread. With ``learn = 0`` the same kernel evaluates a fixed policy
(epsilon 0: greedy, 1: random).

Speed: ``bench/bench_tutorial.py`` times the kernel against a plain C loop of the same algorithm
(about 1.1x). Three habits keep it there. The helpers are inlined by numba (``inline="always"``).
Inside the loop, an array that is not already a local name (a tuple's field, a slice) costs a
pair of reference-count calls per step when it is bound to a name, for instance by unpacking
a tuple or by handing it to a helper; so tuples are unpacked before the loop and fields are
read in place (``env.reward[s, a, k]``). Double Q's pick of the learning table pays it, a few
percent. And states and actions are unsigned (see ``_index``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from tui_taxi.core.episodes import KERNEL_ROWS, SUCCESS, TERMINATED, TRUNCATED, EpisodeBatch
from tui_taxi.core.rng import draw, first_above
from tui_taxi.core.schedules import schedule_value

LEARNERS = (
    "q-learning",
    "sarsa",
    "expected-sarsa",
    "double-q",
    "dyna-q",
    "prioritized-sweeping",
)
Q_LEARNING, SARSA, EXPECTED_SARSA, DOUBLE_Q, DYNA_Q, PRIORITIZED_SWEEPING = range(6)
#: The learners that plan with a learnt model (``planning_steps`` updates per real step).
PLANNERS = ("dyna-q", "prioritized-sweeping")
#: Prioritized sweeping queues a pair only when its update would move Q by more than this.
SWEEP_THETA = 1e-5

# cursor: int64 state carried between calls
C_STATE, C_ACTION, C_PENDING, C_PENDING_EXPLORED, C_T, C_EPISODE, C_TOTAL, C_PENALTIES = range(8)
ROWS = KERNEL_ROWS  # episodes one kernel call returns at most
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
I_LEARNER, I_TIME_LIMIT, I_LEARN, I_PLANNING = range(4)
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
    "learner",
    "planned",
)
N_RECORD = len(RECORD_FIELDS)
# their indices, named once: record[R_STATE], ...
(
    R_STATE,
    R_ACTION,
    R_REWARD,
    R_NEXT_STATE,
    R_TERMINATED,
    R_TRUNCATED,
    R_EXPLORED,
    R_Q_OLD,
    R_BOOTSTRAP,
    R_TD_TARGET,
    R_TD_ERROR,
    R_Q_NEW,
    R_EPSILON,
    R_ALPHA,
    R_GAMMA,
    R_TABLE,
    R_EPISODE,
    R_T,
    R_LEARNER,
    R_PLANNED,
) = range(N_RECORD)


class EnvArrays(NamedTuple):
    """A :class:`~tui_taxi.core.envs.CompiledEnv`'s arrays, as the kernel takes them."""

    cum_prob: np.ndarray
    next_state: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    n_outcomes: np.ndarray
    cum_initial: np.ndarray
    n_legal: np.ndarray  # per state, its legal actions 0 .. n-1 (all of them but in Example 6.7)

    @classmethod
    def of(cls, model) -> EnvArrays:
        return cls(
            model.cum_prob,
            model.next_state,
            model.reward,
            model.terminated,
            model.n_outcomes,
            model.cum_initial,
            model.n_legal,
        )


class Tables(NamedTuple):
    """The Q-tables: ``q_act`` is the one the agent acts on, ``q_a`` itself or, for Double Q, a
    table the kernel keeps equal to ``q_a + q_b``. Single-table learners pass ``q_a`` three times."""

    q_a: np.ndarray
    q_b: np.ndarray
    q_act: np.ndarray


class Dyna(NamedTuple):
    """A planner-learner's model of the world, learnt from experience: for each (s, a) taken,
    the last reward, next state and termination seen (exact on a deterministic world, the
    book's tabular model), and which states and actions were taken, in the order first seen
    (Dyna-Q draws a state seen, then an action taken in it: the book's Tabular Dyna-Q).
    Prioritized sweeping's queue of pairs ``s * A + a`` is a max-heap on their priorities."""

    next_state: np.ndarray  # int64 (S, A)
    reward: np.ndarray  # float64 (S, A)
    terminated: np.ndarray  # bool (S, A)
    states: np.ndarray  # int64 (S + 1,): the states seen, then (last) how many
    actions: np.ndarray  # int64 (S, A + 1): per state the actions taken, then (last) how many
    queue: np.ndarray  # int64 (S * A + 1,): the heap of pairs, then (last) its size
    priority: np.ndarray  # float64 (S * A,): a queued pair's priority
    where: np.ndarray  # int64 (S * A,): a pair's place in the heap, -1 when not queued
    backups: np.ndarray  # int64 (1,): updates made from the model so far

    @classmethod
    def empty(cls, n_states: int, n_actions: int) -> Dyna:
        pairs = n_states * n_actions
        return cls(
            np.zeros((n_states, n_actions), np.int64),
            np.zeros((n_states, n_actions)),
            np.zeros((n_states, n_actions), np.bool_),
            np.zeros(n_states + 1, np.int64),
            np.zeros((n_states, n_actions + 1), np.int64),
            np.zeros(pairs + 1, np.int64),
            np.zeros(pairs),
            np.full(pairs, -1, np.int64),
            np.zeros(1, np.int64),
        )


NO_DYNA = Dyna.empty(1, 1)  # the placeholder for the other learners


class Carried(NamedTuple):
    """What a run carries from one kernel call to the next (see ``C_*``, ``F_*``)."""

    cursor: np.ndarray  # int64[N_CURSOR]
    fcursor: np.ndarray  # float64[N_FCURSOR]
    rng: np.ndarray  # uint64[4], the generator's state


class Episodes(NamedTuple):
    """One row per finished episode, filled by the kernel."""

    episodic_return: np.ndarray  # float64
    episodic_length: np.ndarray  # int64
    penalties: np.ndarray  # int64
    outcome: np.ndarray  # int8: TRUNCATED, TERMINATED or SUCCESS


def new_cursor() -> tuple[np.ndarray, np.ndarray]:
    """Counters for a run that has not started (state -1: the next call draws a start state)."""
    cursor = np.zeros(N_CURSOR, dtype=np.int64)
    cursor[C_STATE] = -1
    return cursor, np.zeros(N_FCURSOR, dtype=np.float64)


# States and actions are indices, carried in the kernel as unsigned integers: numba then skips
# the check for negative (from-the-end) indices on every q[s, a], a tenth of the kernel's time.
# They are never negative: the cursor's -1 (no state yet) is checked before it is read as one.
_index = np.uint64

# The hot loop keeps the generator's state in a tuple of four uint64 (``g``, registers after
# inlining); helpers that draw take it and return it advanced. Python-facing wrappers take the
# ``uint64[4]`` array. Helpers marked inline="always" are inlined into the kernel by numba.
_INLINE = {"nogil": True, "cache": True, "inline": "always"}


@njit(**_INLINE)
def _greedy(q, s, n, g):
    """argmax over the ``n`` legal actions of q[s, a], ties broken uniformly at random with one
    draw, taken only when there is a tie. Returns ``(a, g)``."""
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
        return _index(first), g
    u, g = draw(g)
    k = np.int64(u * count)
    for a in range(first, n):
        if q[s, a] == best:
            if k == 0:
                return _index(a), g
            k -= 1
    return _index(first), g


@njit(nogil=True, cache=True)
def greedy_action(q, s, n, rng):
    """:func:`_greedy` over ``n`` legal actions, drawing from (and advancing) a ``uint64[4]``
    generator array."""
    a, g = _greedy(q, s, n, (rng[0], rng[1], rng[2], rng[3]))
    rng[0], rng[1], rng[2], rng[3] = g
    return np.int64(a)


@njit(**_INLINE)
def _epsilon_greedy(q, s, n, epsilon, g):
    """Random among the ``n`` legal actions with probability epsilon, else greedy on ``q``:
    ``(a, explored, g)``."""
    if epsilon > 0.0:
        u, g = draw(g)
        if u < epsilon:
            u, g = draw(g)
            return _index(u * n), True, g
    a, g = _greedy(q, s, n, g)
    return a, False, g


@njit(**_INLINE)
def _env_step(env, s, a, g):
    """Take action ``a`` in state ``s``: ``(s_next, r, terminated, g)``. Outcome ``k`` of
    ``(s, a)`` happens with its probability; there is no draw when there is only one."""
    k = 0
    if env.n_outcomes[s, a] > 1:
        u, g = draw(g)
        k = first_above(env.cum_prob[s, a, : env.n_outcomes[s, a]], u)
    return _index(env.next_state[s, a, k]), env.reward[s, a, k], env.terminated[s, a, k], g


@njit(**_INLINE)
def _env_reset(env, g):
    """A start state drawn from the env's initial distribution: ``(s, g)``."""
    u, g = draw(g)
    return _index(first_above(env.cum_initial, u)), g


@njit(**_INLINE)
def _td_update(q, s, a, td_target, alpha):
    """Q(S,A) <- Q(S,A) + alpha * [td_target - Q(S,A)]. Returns the old and the new value."""
    q_old = q[s, a]
    q_new = q_old + alpha * (td_target - q_old)
    q[s, a] = q_new
    return q_old, q_new


# Each learner's bootstrap: the estimate of the return from S' that the TD target adds to R,
# gamma * bootstrap. None of them is called past a termination (the bootstrap is then 0).


@njit(**_INLINE)
def _q_learning_bootstrap(q, s_next, n):
    """Q-learning: max_a Q(S', a), the greedy policy's value whatever the agent does next."""
    best = q[s_next, 0]
    for a in range(1, n):
        if q[s_next, a] > best:
            best = q[s_next, a]
    return best


@njit(**_INLINE)
def _sarsa_bootstrap(q, s_next, n, epsilon, g):
    """SARSA: Q(S', A') for the action A' the agent will take next (epsilon-greedy, drawn now).
    Returns ``(bootstrap, a_next, explored_next, g)``."""
    a_next, explored_next, g = _epsilon_greedy(q, s_next, n, epsilon, g)
    return q[s_next, a_next], a_next, explored_next, g


@njit(**_INLINE)
def _expected_sarsa_bootstrap(q, s_next, n, epsilon):
    """Expected SARSA: sum_a pi(a|S') Q(S', a) under the epsilon-greedy policy (ties broken at
    random), which is epsilon * mean_a Q(S', a) + (1 - epsilon) * max_a Q(S', a)."""
    total = best = q[s_next, 0]
    for a in range(1, n):
        total += q[s_next, a]
        if q[s_next, a] > best:
            best = q[s_next, a]
    return epsilon * total / n + (1.0 - epsilon) * best


@njit(**_INLINE)
def _double_q_bootstrap(q, other, s_next, n, g):
    """Double Q: the other table's value of this table's greedy action at S'. ``(value, g)``."""
    a_star, g = _greedy(q, s_next, n, g)
    return other[s_next, a_star], g


@njit(nogil=True, cache=True)
def _learn_model(dyna, s, a, r, s_next, term):
    """The model learns (s, a) -> (r, s', terminated); a state and an action taken for the
    first time join the lists planning draws from."""
    next_state, reward, terminated, states, actions = dyna[0], dyna[1], dyna[2], dyna[3], dyna[4]
    n_states_seen = states.shape[0] - 1
    width = actions.shape[1] - 1
    if actions[s, width] == 0:  # the first action taken in s: s is seen
        states[states[n_states_seen]] = s
        states[n_states_seen] += 1
    seen = False
    for i in range(actions[s, width]):
        if actions[s, i] == a:
            seen = True
            break
    if not seen:
        actions[s, actions[s, width]] = a
        actions[s, width] += 1
    next_state[s, a], reward[s, a], terminated[s, a] = s_next, r, term


@njit(nogil=True, cache=True)
def _model_target(dyna, q, n_legal, s, a, gamma):
    """The model's Q-learning target for (s, a): R + gamma max_a' Q(S', a') (R past an end)."""
    s_next = dyna[0][s, a]
    bootstrap = 0.0
    if not dyna[2][s, a]:
        bootstrap = _q_learning_bootstrap(q, _index(s_next), n_legal[s_next])
    return dyna[1][s, a] + gamma * bootstrap


@njit(**_INLINE)
def _dyna(dyna, q, n_legal, s, a, r, s_next, term, gamma, alpha, planning_steps, g):
    """Tabular Dyna-Q's steps (e) and (f): the model learns (s, a) -> (r, s', terminated), then
    ``planning_steps`` times a state seen and an action taken in it are drawn at random and
    Q-learnt from the model's outcome."""
    _learn_model(dyna, s, a, r, s_next, term)
    states, actions = dyna[3], dyna[4]
    n_states_seen = states.shape[0] - 1
    width = actions.shape[1] - 1
    for _ in range(planning_steps):
        u, g = draw(g)
        ps = states[min(np.int64(u * states[n_states_seen]), states[n_states_seen] - 1)]
        u, g = draw(g)
        pa = actions[ps, min(np.int64(u * actions[ps, width]), actions[ps, width] - 1)]
        target = _model_target(dyna, q, n_legal, ps, pa, gamma)
        _td_update(q, _index(ps), _index(pa), target, alpha)
    dyna[8][0] += planning_steps
    return g


@njit(nogil=True, cache=True)
def _queue(dyna, pair, p):
    """Queue ``pair`` at priority ``p``, or raise its priority to ``p`` if it is queued lower."""
    queue, priority, where = dyna[5], dyna[6], dyna[7]
    size = queue.shape[0] - 1
    i = where[pair]
    if i >= 0:
        if p <= priority[pair]:
            return
    else:
        i = queue[size]
        queue[size] += 1
    priority[pair] = p
    while i > 0:  # up, past every parent of lower priority
        parent = (i - 1) // 2
        if priority[queue[parent]] >= p:
            break
        queue[i] = queue[parent]
        where[queue[i]] = i
        i = parent
    queue[i] = pair
    where[pair] = i


@njit(nogil=True, cache=True)
def _unqueue_first(dyna):
    """The queue's pair of highest priority, taken off it."""
    queue, priority, where = dyna[5], dyna[6], dyna[7]
    size = queue.shape[0] - 1
    first = queue[0]
    where[first] = -1
    n = queue[size] - 1
    queue[size] = n
    if n == 0:
        return first
    last = queue[n]
    i = 0
    while True:  # the last pair sinks from the top below every child of higher priority
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and priority[queue[child + 1]] > priority[queue[child]]:
            child += 1
        if priority[queue[child]] <= priority[last]:
            break
        queue[i] = queue[child]
        where[queue[i]] = i
        i = child
    queue[i] = last
    where[last] = i
    return first


@njit(**_INLINE)
def _sweep(dyna, q, n_legal, s, a, r, s_next, term, gamma, alpha, planning_steps):
    """Prioritized sweeping for a deterministic world (Sutton & Barto section 8.4): the model
    learns the step; (s, a) is queued by how much its update would move Q; then up to
    ``planning_steps`` times the first pair is updated from the model, and each pair the model
    says leads to its state is queued by how much its own update would now move Q. Returns the
    updates made."""
    _learn_model(dyna, s, a, r, s_next, term)
    n_actions = q.shape[1]
    p = abs(_model_target(dyna, q, n_legal, s, a, gamma) - q[s, a])
    if p > SWEEP_THETA:
        _queue(dyna, s * n_actions + a, p)
    next_state, terminated, states, actions, queue = dyna[0], dyna[2], dyna[3], dyna[4], dyna[5]
    n_states_seen = states.shape[0] - 1
    width = actions.shape[1] - 1
    done = 0
    for _ in range(planning_steps):
        if queue[queue.shape[0] - 1] == 0:
            break
        done += 1
        pair = _unqueue_first(dyna)
        ps, pa = pair // n_actions, pair % n_actions
        _td_update(q, _index(ps), _index(pa), _model_target(dyna, q, n_legal, ps, pa, gamma), alpha)
        dyna[8][0] += 1
        for i in range(states[n_states_seen]):  # the pairs the model says lead to ps
            sb = states[i]
            for j in range(actions[sb, width]):
                ab = actions[sb, j]
                if next_state[sb, ab] == ps and not terminated[sb, ab]:
                    p = abs(_model_target(dyna, q, n_legal, sb, ab, gamma) - q[sb, ab])
                    if p > SWEEP_THETA:
                        _queue(dyna, sb * n_actions + ab, p)
    return done


@njit(**_INLINE)
def _write_episode(out, i, episodic_return, episodic_length, penalties, outcome):
    """Row ``i`` of :class:`Episodes`."""
    out.episodic_return[i] = episodic_return
    out.episodic_length[i] = episodic_length
    out.penalties[i] = penalties
    out.outcome[i] = outcome


@njit(nogil=True, cache=True)
def run_kernel(env, tables, params, iparams, carried, max_episodes, max_steps, out, record, dyna):
    """Run until ``max_episodes`` episodes end or ``max_steps`` steps are taken.

    ``env`` is an :class:`EnvArrays`, ``tables`` :class:`Tables`, ``carried`` :class:`Carried`
    (updated in place, so that the next call continues exactly where this one stopped) and
    ``out`` :class:`Episodes`, which gets one row per finished episode; returns how many
    finished. ``params`` and ``iparams`` hold the settings (``P_*``, ``I_*``). Bootstraps on
    truncation (time limit ``iparams[I_TIME_LIMIT]``, 0 = none), never on termination. The last
    step taken is written to ``record`` (``R_*``). Dyna-Q learns ``dyna`` (a :class:`Dyna`) and
    after each real step makes ``iparams[I_PLANNING]`` updates from it.
    """
    q_a, q_b, q_act = tables
    cursor, fcursor, rng = carried
    learner = iparams[I_LEARNER]
    planning_steps = iparams[I_PLANNING]
    time_limit = iparams[I_TIME_LIMIT]
    learn = iparams[I_LEARN] != 0
    gamma = params[P_GAMMA]
    eps_schedule, alpha_schedule = params[P_EPSILON], params[P_ALPHA]
    penalty_reward, success_reward = params[P_PENALTY], params[P_SUCCESS]
    # what the loop carries lives in locals (the generator's state in a tuple: registers),
    # written back once at the end
    g = (rng[0], rng[1], rng[2], rng[3])
    episode, total = cursor[C_EPISODE], cursor[C_TOTAL]
    pending_action = _index(cursor[C_ACTION])  # the action SARSA chose for the next step
    pending_explored = cursor[C_PENDING_EXPLORED] == 1
    if cursor[C_STATE] < 0:  # a fresh run: the first episode begins
        s, g = _env_reset(env, g)
        t, penalties, episode_return, pending = 0, 0, 0.0, False
    else:
        s = _index(cursor[C_STATE])
        t, penalties, episode_return = cursor[C_T], cursor[C_PENALTIES], fcursor[F_RETURN]
        pending = cursor[C_PENDING] == 1
    epsilon = schedule_value(eps_schedule, episode)
    alpha = schedule_value(alpha_schedule, episode)
    finished = steps = 0
    stop = max_episodes <= 0 or max_steps <= 0
    while not stop:
        # choose A: the action SARSA chose last step, or epsilon-greedy on the acting table
        if pending:
            a, explored, pending = pending_action, pending_explored, False
        else:
            a, explored, g = _epsilon_greedy(q_act, s, env.n_legal[s], epsilon, g)
        # take A, observe R and S'
        s_next, r, term, g = _env_step(env, s, a, g)
        n_next = env.n_legal[s_next]
        t += 1
        trunc = not term and 0 < time_limit <= t

        # learn: Q(S,A) <- Q(S,A) + alpha * [R + gamma * bootstrap - Q(S,A)], where each learner
        # has its own bootstrap, and there is none past a termination
        table, q_old, bootstrap, td_target, q_new, planned = 0, 0.0, 0.0, r, 0.0, 0
        if learn:
            if learner == Q_LEARNING or learner == DYNA_Q:  # noqa: SIM109 (a tuple test: 15% slower)
                # Q(S,A) <- Q(S,A) + alpha * [R + gamma * max_a Q(S',a) - Q(S,A)]
                if not term:
                    bootstrap = _q_learning_bootstrap(q_a, s_next, n_next)
                td_target = r + gamma * bootstrap
                q_old, q_new = _td_update(q_a, s, a, td_target, alpha)
            elif learner == SARSA:
                if not term:
                    bootstrap, a_next, explored_next, g = _sarsa_bootstrap(
                        q_a, s_next, n_next, epsilon, g
                    )
                    if not trunc:  # A' is the action taken next
                        pending, pending_action, pending_explored = True, a_next, explored_next
                td_target = r + gamma * bootstrap
                q_old, q_new = _td_update(q_a, s, a, td_target, alpha)
            elif learner == EXPECTED_SARSA:
                if not term:
                    bootstrap = _expected_sarsa_bootstrap(q_a, s_next, n_next, epsilon)
                td_target = r + gamma * bootstrap
                q_old, q_new = _td_update(q_a, s, a, td_target, alpha)
            elif learner == PRIORITIZED_SWEEPING:  # Q moves only through the queue
                if not term:
                    bootstrap = _q_learning_bootstrap(q_a, s_next, n_next)
                td_target = r + gamma * bootstrap
                q_old = q_new = q_a[s, a]
                planned = _sweep(
                    dyna, q_a, env.n_legal, s, a, r, s_next, term, gamma, alpha, planning_steps
                )
                q_new = q_a[s, a]
            else:  # DOUBLE_Q: a coin picks the table that learns; the other values its choice
                u, g = draw(g)
                table = 0 if u < 0.5 else 1
                learns, values = (q_a, q_b) if table == 0 else (q_b, q_a)
                if not term:
                    bootstrap, g = _double_q_bootstrap(learns, values, s_next, n_next, g)
                td_target = r + gamma * bootstrap
                q_old, q_new = _td_update(learns, s, a, td_target, alpha)
                q_act[s, a] = q_a[s, a] + q_b[s, a]
            if learner == DYNA_Q:
                g = _dyna(
                    dyna, q_a, env.n_legal, s, a, r, s_next, term, gamma, alpha, planning_steps, g
                )
                planned = planning_steps

        episode_return += r
        if r <= penalty_reward:
            penalties += 1
        total += 1
        steps += 1
        ended = term or trunc
        if ended:
            outcome = TRUNCATED if trunc else SUCCESS if r >= success_reward else TERMINATED
            _write_episode(out, finished, episode_return, t, penalties, outcome)
            finished += 1
        stop = finished >= max_episodes or steps >= max_steps
        if stop:  # the last step, for the TD-update explainer
            record[R_STATE] = s
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
            record[R_EPSILON] = epsilon
            record[R_ALPHA] = alpha
            record[R_GAMMA] = gamma
            record[R_TABLE] = table
            record[R_EPISODE] = episode
            record[R_T] = t
            record[R_LEARNER] = learner
            record[R_PLANNED] = planned
        if ended:  # the next episode begins
            episode += 1
            s, g = _env_reset(env, g)
            t, penalties, episode_return, pending = 0, 0, 0.0, False
            epsilon = schedule_value(eps_schedule, episode)
            alpha = schedule_value(alpha_schedule, episode)
        else:
            s = s_next

    rng[0], rng[1], rng[2], rng[3] = g
    cursor[C_STATE] = s
    cursor[C_ACTION] = pending_action
    cursor[C_PENDING] = pending
    cursor[C_PENDING_EXPLORED] = pending_explored
    cursor[C_T] = t
    cursor[C_EPISODE] = episode
    cursor[C_TOTAL] = total
    cursor[C_PENALTIES] = penalties
    fcursor[F_RETURN] = episode_return
    return finished


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
    tables: Tables,
    params: np.ndarray,
    iparams: np.ndarray,
    carried: Carried,
    episodes: int | None,
    steps: int | None,
    record: np.ndarray,
    dyna: Dyna = NO_DYNA,
) -> EpisodeBatch:
    """Call :func:`run_kernel` on ``model`` until ``episodes`` more episodes end or ``steps``
    more steps are taken, in calls of at most :data:`ROWS` episodes each: the output buffers
    grow with the episodes that end, never with the budget (``steps=10**12`` reserves no
    terabytes). The run is the same however it is cut. ``tables`` and ``carried`` may be plain
    tuples in :class:`Tables` and :class:`Carried` order."""
    if episodes is None and steps is None:
        raise ValueError("give episodes, steps or both")
    episodes_left = episodes if episodes is not None else steps
    steps_left = steps if steps is not None else np.iinfo(np.int64).max
    env, tables, carried = EnvArrays.of(model), Tables(*tables), Carried(*carried)
    cursor = carried.cursor
    parts = []
    while True:
        size = max(0, min(episodes_left, steps_left, ROWS))
        out = Episodes(
            np.empty(size),
            np.empty(size, np.int64),
            np.empty(size, np.int64),
            np.empty(size, np.int8),
        )
        before = int(cursor[C_TOTAL])
        finished = run_kernel(
            env, tables, params, iparams, carried, size, steps_left, out, record, Dyna(*dyna)
        )
        parts.append(out if finished == size else Episodes(*(c[:finished] for c in out)))
        episodes_left -= finished
        steps_left -= int(cursor[C_TOTAL]) - before
        if finished < size or episodes_left <= 0 or steps_left <= 0:
            break
    if len(parts) == 1:
        return EpisodeBatch(*parts[0])
    return EpisodeBatch(*(np.concatenate(columns) for columns in zip(*parts, strict=True)))
