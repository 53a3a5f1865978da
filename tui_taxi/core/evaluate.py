"""Greedy and random evaluation with the classic tutorial's metrics.

The same numba kernel as training runs with learning switched off: epsilon 0 is the greedy
policy (ties broken at random), epsilon 1 the random agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.episodes import SAFETY_CAP, SUCCESS, TERMINATED, TRUNCATED, EvalResult
from tui_taxi.core.rng import GREEDY_STREAM, RANDOM_STREAM, make_rng, sample_outcome
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import kernel
from tui_taxi.core.tabular.kernel import greedy_action

POLICIES = ("greedy", "random")
#: An evaluation runs the kernel in calls of at most this many steps (0.02-0.1 s each) and
#: this many episodes (1.6 MB of output), summing as it goes: Ctrl-C is heard between calls and
#: memory stays bounded however many episodes are asked for.
CHUNK_STEPS = 1 << 21
CHUNK_EPISODES = 1 << 16
#: A greedy rollout stops here when the env registers no time limit.
ROLLOUT_CAP = 200
_STREAM = {"greedy": GREEDY_STREAM, "random": RANDOM_STREAM}


def evaluate(
    model: CompiledEnv,
    q: np.ndarray | None,
    *,
    policy: str = "greedy",
    episodes: int = 100,
    time_limit: int = 0,
    seed: int = 0,
) -> EvalResult:
    """Run ``episodes`` episodes of the greedy policy on ``q`` (or the random agent), no learning.

    The kernel runs in chunks (:data:`CHUNK_STEPS`, :data:`CHUNK_EPISODES`) with running sums;
    the generator carries over, so the result equals one long call's exactly (returns are summed
    per chunk, exact as long as rewards are whole numbers, as in every toy-text env).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    _check_whole("episodes", episodes, 1)
    _check_whole("time limit", time_limit, 0)
    _check_whole("seed", seed, 0)
    q = np.zeros((model.n_states, model.n_actions)) if q is None else q
    run = _PolicyRun(model, q, policy, time_limit, seed)
    done = steps = penalties = successes = truncated = 0
    total_return = 0.0
    while done < episodes:
        batch = run.run(min(episodes - done, CHUNK_EPISODES), CHUNK_STEPS)
        done += len(batch)
        steps += int(batch.episodic_length.sum())
        penalties += int(batch.penalties.sum())
        successes += int(batch.success.sum())
        truncated += int(batch.truncated.sum())
        total_return += float(batch.episodic_return.sum())
    return EvalResult(
        policy=policy,
        episodes=episodes,
        mean_steps=steps / episodes,
        mean_penalties=penalties / episodes,
        reward_per_move=total_return / steps,
        mean_return=total_return / episodes,
        success_rate=successes / episodes,
        truncated=truncated,
        time_limit=time_limit,
    )


def _check_whole(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")


def _table(model: CompiledEnv, q) -> np.ndarray:
    """A private, writable C-ordered float64 copy of ``q`` (the kernel is typed for a writable
    table even with learning off), checked against the env's shape: numba does not bounds-check."""
    q = np.array(q, dtype=np.float64, order="C")
    shape = (model.n_states, model.n_actions)
    if q.shape != shape:
        raise ValueError(f"Q-table has shape {q.shape}, expected {shape} for {model.env_id}")
    if np.isnan(q).any():
        raise ValueError("Q-table contains NaN")
    return q


class _PolicyRun:
    """A fixed policy on the kernel with learning off: epsilon 0 (greedy, ties at random) or
    1 (random). Time limit 0 still stops at SAFETY_CAP steps."""

    def __init__(
        self, model: CompiledEnv, q: np.ndarray, policy: str, time_limit: int, seed: int
    ) -> None:
        self.model = model
        self.q = _table(model, q)
        epsilon = Schedule.constant(0.0 if policy == "greedy" else 1.0)
        self.params = kernel.kernel_params(model, 0.0, epsilon, Schedule.constant(1.0))
        limit = time_limit if time_limit > 0 else SAFETY_CAP
        self.iparams = np.array([kernel.Q_LEARNING, limit, 0], dtype=np.int64)
        self.cursor, self.fcursor = kernel.new_cursor()
        self.rng = make_rng(seed, _STREAM[policy])
        self.record = np.zeros(kernel.N_RECORD)

    def run(self, episodes: int | None, steps: int | None) -> kernel.EpisodeBatch:
        q = self.q
        return kernel.run_model(
            self.model,
            (q, q, q),
            self.params,
            self.iparams,
            (self.cursor, self.fcursor, self.rng),
            episodes,
            steps,
            self.record,
        )


@dataclass(frozen=True)
class Trajectory:
    """One episode, step by step: ``states[i]`` --``actions[i]``--> reward ``rewards[i]``.

    ``terminated``: the episode ended in the env (delivered, or fell in a hole). ``truncated``:
    it was cut off instead, by the time limit or the rollout's cap (:func:`rollout_cap`)."""

    states: tuple[int, ...]
    actions: tuple[int, ...]
    rewards: tuple[float, ...]
    final_state: int
    terminated: bool
    truncated: bool = False

    @property
    def steps(self) -> int:
        return len(self.actions)

    @property
    def episodic_return(self) -> float:
        return float(sum(self.rewards))

    @property
    def loops(self) -> bool:
        """Cut off after coming back to a state it had left: the greedy agent goes round in
        circles (with no ties and a deterministic env, forever), not merely slowly."""
        return self.truncated and len(set(self.states)) < len(self.states)

    def penalties(self, model: CompiledEnv) -> int:
        return sum(1 for r in self.rewards if r <= model.penalty_reward)


def rollout_cap(model: CompiledEnv, time_limit: int = 0) -> int:
    """The most steps :func:`greedy_rollout` takes: the env's registered limit (ROLLOUT_CAP
    when it has none), or ``time_limit`` when that is smaller and not 0."""
    cap = model.max_episode_steps or ROLLOUT_CAP
    return min(cap, time_limit) if time_limit > 0 else cap


def greedy_rollout(
    model: CompiledEnv, q: np.ndarray, start_state: int, *, time_limit: int = 0, seed: int = 0
) -> Trajectory:
    """The greedy policy's episode from ``start_state`` (ties at random with ``seed``), no
    learning: the trained agent's answer to a player's trip from the same start. At most
    :func:`rollout_cap` steps, in one compiled call drawing exactly as the kernel would."""
    _check_whole("start state", start_state, 0)
    if start_state >= model.n_states:
        raise ValueError(f"start state must be 0-{model.n_states - 1}, got {start_state}")
    _check_whole("time limit", time_limit, 0)
    _check_whole("seed", seed, 0)
    cap = rollout_cap(model, time_limit)
    states = np.empty(cap, dtype=np.int64)
    actions = np.empty(cap, dtype=np.int64)
    rewards = np.empty(cap, dtype=np.float64)
    n, final_state, terminated = _greedy_walk(
        _table(model, q),
        model.cum_prob,
        model.next_state,
        model.reward,
        model.terminated,
        model.n_outcomes,
        model.n_legal,
        int(start_state),
        cap,
        make_rng(seed, _STREAM["greedy"]),
        states,
        actions,
        rewards,
    )
    return Trajectory(
        tuple(states[:n].tolist()),
        tuple(actions[:n].tolist()),
        tuple(rewards[:n].tolist()),
        int(final_state),
        bool(terminated),
        truncated=not terminated,
    )


@njit(nogil=True, cache=True)
def _greedy_walk(
    q,
    cum_prob,
    next_state,
    reward,
    terminated,
    n_outcomes,
    n_legal,
    start,
    cap,
    rng,
    states,
    actions,
    rewards,
):
    """Greedy steps from ``start`` until termination or ``cap`` steps, drawing ties and
    outcomes as the kernel does (epsilon 0: no exploration draw). Returns (steps, last state,
    terminated)."""
    s = start
    for t in range(cap):
        a = greedy_action(q, s, n_legal[s], rng)
        k = sample_outcome(cum_prob, n_outcomes, s, a, rng)
        states[t] = s
        actions[t] = a
        rewards[t] = reward[s, a, k]
        ended = terminated[s, a, k]
        s = next_state[s, a, k]
        if ended:
            return t + 1, s, True
    return cap, s, False


def random_gym_episodes(env_id: str, env_kwargs, episodes: int, time_limit: int) -> EvalResult:
    """The random agent on a Gymnasium env itself (a world with continuous observations), each
    episode reset with its own seed (0, 1, ...), the coin flips from a generator of seed 0;
    success as :func:`~tui_taxi.core.worlds.success_words` says: CartPole's pole up to the
    limit, another world's own end before it."""
    import warnings

    import gymnasium as gym

    from tui_taxi.core.episodes import EpisodeBatch
    from tui_taxi.core.worlds import is_cartpole

    rng = np.random.default_rng(0)
    with warnings.catch_warnings():  # CartPole-v0's "out of date" notice: the preset's choice
        warnings.simplefilter("ignore")
        env = gym.make(env_id, **dict(env_kwargs), max_episode_steps=time_limit or None)
    returns, lengths, outcome = [], [], []
    try:
        n_actions = int(env.action_space.n)
        for e in range(episodes):
            env.reset(seed=e)
            done, t, total, terminated = False, 0, 0.0, False
            while not done:
                _, reward, terminated, truncated, _ = env.step(int(rng.integers(n_actions)))
                done, t, total = terminated or truncated, t + 1, total + float(reward)
            returns.append(total)
            lengths.append(t)
            lasted = is_cartpole(env_id) and time_limit and t >= time_limit
            success = lasted if is_cartpole(env_id) else terminated
            outcome.append(SUCCESS if success else TERMINATED if terminated else TRUNCATED)
    finally:
        env.close()
    batch = EpisodeBatch(
        np.array(returns), np.array(lengths), np.zeros(episodes, np.int64), np.array(outcome)
    )
    return EvalResult.of(batch, time_limit, policy="random")
