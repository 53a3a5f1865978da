"""A DQN agent with the tabular Session's shape (train, step, new_episode, copy, counters,
history, reconfigure, predict), so the app's trainer, the CLI and the API drive either one.

CartPole (v0, v1) is stepped inside the kernel (Gymnasium's dynamics, ported; a test checks them
step for step), and so are the discrete envs (Taxi, FrozenLake, CliffWalking, Windy Gridworld),
from their compiled arrays, their state going into the network one-hot: the network's values of
every state form an S x A table like the tabular agent's.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui_taxi.core.dqn import kernel as K
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.dqn.gym_env import GYM_ACTIONS, box_env, make_gym_env
from tui_taxi.core.envs import CompiledEnv, EnvError, compile_env
from tui_taxi.core.history import History
from tui_taxi.core.learners import EpisodeBatch
from tui_taxi.core.rng import make_rng
from tui_taxi.core.session import ConfigError, learn_steps, state_index

CARTPOLE_LIMITS = {"CartPole-v0": 200, "CartPole-v1": 500}
CARTPOLE_ACTIONS = ("Left", "Right")
EVAL_STREAM = 7  # the generator stream of greedy evaluations (never the training one)
SOLVED_CHECK = 2_500  # steps between checks of the greedy policy when a run stops once solved
SOLVED_EPISODES = 100  # the greedy episodes of one check (the benchmark's test)
INIT_STREAM = 1  # the network's initial weights


@dataclass(frozen=True)
class DQNRecord:
    """One env step, and the numbers of the last gradient update's first sampled transition."""

    obs: np.ndarray  # what the agent saw (a discrete env: its state index, as one number)
    next_obs: np.ndarray
    state: int  # a discrete env's state index (-1 for CartPole)
    action: int
    reward: float
    next_state: int
    terminated: bool
    truncated: bool
    explored: bool
    updated: bool  # a training round ran at this step
    target_synced: bool  # the target network was updated at this step
    q_pred: float  # Q(s, a) of the sample, by the online network
    bootstrap: float  # max_a' Q_target(s', a') (Double: Q_target(s', argmax_a' Q(s', a')))
    td_target: float  # r + gamma * bootstrap (no bootstrap past a termination)
    td_error: float
    loss: float  # Huber
    sample_action: int
    sample_reward: float
    sample_terminated: bool
    epsilon: float
    learning_rate: float
    gamma: float
    episode: int
    t: int

    @classmethod
    def from_arrays(cls, record: np.ndarray, obs: np.ndarray) -> DQNRecord:
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        values: dict = {"obs": obs[0].copy(), "next_obs": obs[1].copy()}
        for name, raw in zip(K.RECORD_FIELDS, record, strict=True):
            kind = kinds[name]
            if kind == "bool":
                values[name] = bool(raw)
            elif kind == "int":
                values[name] = int(raw) if math.isfinite(raw) else -1
            else:
                values[name] = float(raw)
        return cls(**values)


def reward_threshold(env_id: str) -> float | None:
    """The mean return at which Gymnasium calls the env solved (its spec's), if it says."""
    import gymnasium as gym

    return gym.spec(env_id).reward_threshold


def env_kind(
    config: DQNConfig, model: CompiledEnv | None = None
) -> tuple[int, CompiledEnv | None, tuple[str, ...], int]:
    """(kind, compiled model or None, action names, observation length) of the config's env
    (``model``: compiled already); an env the DQN cannot run is a one-line error naming what it
    supports."""
    if model is not None:
        return K.DISCRETE, model, model.action_names, 1
    if config.env_id in CARTPOLE_LIMITS:
        if config.env_kwargs:
            raise ConfigError(f"{config.env_id} takes no env keyword arguments here")
        return K.CARTPOLE, None, CARTPOLE_ACTIONS, 4
    box = box_env(config.env_id, config.env_kwargs)
    if box is not None:
        n_actions, obs_dim = box
        names = GYM_ACTIONS.get(config.env_id, tuple(f"action {a}" for a in range(n_actions)))
        return K.GYM, None, names, obs_dim
    try:
        model = compile_env(config.env_id, config.env_kwargs)
    except EnvError as exc:
        raise ConfigError(
            f"DQN runs on envs with a Box observation and Discrete actions (CartPole-v1, "
            f"Acrobot-v1, MountainCar-v0, ...) and the discrete envs (Taxi-v4, FrozenLake-v1, "
            f"CliffWalking-v1, tui_taxi/WindyGridworld-v0); {config.env_id}: {exc}"
        ) from None
    return K.DISCRETE, model, model.action_names, 1


class DQNAgent:
    """One DQN run on one env; not thread-safe (one thread owns it)."""

    def __init__(
        self,
        config: DQNConfig,
        *,
        model: CompiledEnv | None = None,
        arrays: dict | None = None,
        history: History | None = None,
        loss_history: History | None = None,
    ) -> None:
        self.config = config
        self.kind, self.model, self.action_names, self.obs_dim = env_kind(config, model)
        self.n_actions = len(self.action_names)
        index_input = self.kind == K.DISCRETE
        n_in = self.model.n_states if index_input else self.obs_dim
        self.sizes = np.array((n_in, *config.hidden, self.n_actions), dtype=np.int64)
        w_off, b_off, a_off, n_params = K.layout(tuple(int(s) for s in self.sizes))
        self._offsets = (w_off, b_off, a_off)
        self.index_input = index_input
        store = 1 if index_input else self.obs_dim
        if arrays is None:
            theta = K.init_params(
                tuple(int(s) for s in self.sizes), make_rng(config.seed, INIT_STREAM), index_input
            )
            arrays = {
                "theta": theta,
                "target": theta.copy(),
                "adam_m": np.zeros(n_params),
                "adam_v": np.zeros(n_params),
                "cursor": np.zeros(K.N_CURSOR, np.int64),
                "fcursor": np.zeros(K.N_FCURSOR),
                "rng": make_rng(config.seed),
                "env_state": np.zeros(max(4, self.obs_dim)),
                "record": np.full(K.N_RECORD, np.nan),
                "record_obs": np.zeros((2, store)),
                "buf_obs": np.zeros((config.buffer_size, store)),
                "buf_next": np.zeros((config.buffer_size, store)),
                "buf_action": np.zeros(config.buffer_size, np.int64),
                "buf_reward": np.zeros(config.buffer_size),
                "buf_terminated": np.zeros(config.buffer_size, np.bool_),
            }
            arrays["cursor"][K.C_LAST_SYNC] = -1
            arrays["cursor"][K.C_RESET_SEED] = -1
            fresh = True
        else:
            fresh = False
        self.a = arrays
        self.history = History() if history is None else history
        self.loss_history = History() if loss_history is None else loss_history
        self._env = self._env_arrays()
        self._gym = None
        if self.kind == K.GYM:  # stepped in Python: its internals are not in the arrays
            self._gym = make_gym_env(config.env_id, config.env_kwargs)
            self._gym_start = int(getattr(self._gym.action_space, "start", 0))
        self._refresh()
        if fresh or self.kind == K.GYM:  # (a loaded GYM run starts a fresh episode)
            K.new_episode(
                self.kind,
                self._env,
                self.a["env_state"],
                self.a["cursor"],
                self.a["fcursor"],
                self.a["rng"],
            )
            self._gym_reset()

    # -- arrays for the kernel ---------------------------------------------------------------
    def _env_arrays(self) -> tuple:
        m = self.model
        if m is None:  # CartPole: placeholders of the discrete arrays' types
            return (
                np.zeros((1, 1, 1), np.int64),
                np.zeros((1, 1, 1)),
                np.zeros((1, 1, 1), np.bool_),
                np.ones((1, 1, 1)),
                np.ones(1),
                np.ones((1, 1), np.int64),
            )
        return (m.next_state, m.reward, m.terminated, m.cum_prob, m.cum_initial, m.n_outcomes)

    def _net(self) -> tuple:
        a = self.a
        scratch = np.zeros(int(self._offsets[2][-1]))
        return (
            a["theta"],
            a["target"],
            a["adam_m"],
            a["adam_v"],
            np.zeros_like(a["theta"]),
            scratch,
            scratch.copy(),
            self.sizes,
            *self._offsets,
            self.index_input,
        )

    def _buf(self) -> tuple:
        a = self.a
        return (a["buf_obs"], a["buf_next"], a["buf_action"], a["buf_reward"], a["buf_terminated"])

    def _refresh(self) -> None:
        c = self.config
        params = np.zeros(K.N_PARAMS)
        params[K.P_GAMMA], params[K.P_LR], params[K.P_TAU] = c.gamma, c.learning_rate, c.tau
        params[K.P_START_E], params[K.P_END_E] = c.start_e, c.end_e
        params[K.P_EXPLORE_STEPS] = c.exploration_steps
        params[K.P_EPSILON] = -1.0 if c.epsilon is None else c.epsilon
        params[K.P_MAX_NORM] = c.max_grad_norm
        params[K.P_SUCCESS] = self.model.success_reward if self.model is not None else math.inf
        iparams = np.zeros(K.N_IPARAMS, np.int64)
        iparams[K.I_KIND], iparams[K.I_BATCH] = self.kind, c.batch_size
        iparams[K.I_LEARNING_STARTS], iparams[K.I_TRAIN_FREQ] = c.learning_starts, c.train_frequency
        iparams[K.I_GRAD_STEPS], iparams[K.I_TARGET_FREQ] = (
            c.gradient_steps,
            c.target_network_frequency,
        )
        iparams[K.I_TIME_LIMIT] = self.time_limit
        iparams[K.I_DOUBLE], iparams[K.I_LEARN] = int(c.double), 1
        iparams[K.I_N_ACTIONS] = self.n_actions
        self._params, self._iparams = params, iparams
        self._net_arrays = self._net()

    @property
    def time_limit(self) -> int:
        if self.config.max_steps is not None:
            return self.config.max_steps
        if self.model is not None:
            return self.model.max_episode_steps
        if self.kind == K.GYM:
            import gymnasium as gym

            return gym.spec(self.config.env_id).max_episode_steps or 0
        return CARTPOLE_LIMITS[self.config.env_id]

    # -- running -----------------------------------------------------------------------------
    def _run(
        self, episodes: int | None, steps: int | None, updates: int | None = None
    ) -> EpisodeBatch:
        if episodes is None and steps is None:
            raise ValueError("give episodes, steps or both")
        big = np.iinfo(np.int64).max
        max_episodes = episodes if episodes is not None else steps
        max_steps = steps if steps is not None else big
        size = max(0, min(max_episodes, max_steps)) + 1  # +1: the step a call began half done
        out = (np.empty(size), np.empty(size, np.int64), np.empty(size, np.int8), np.empty(size))
        a = self.a
        budget = big if updates is None else updates
        if self.kind == K.GYM:
            finished = self._run_gym(max_episodes, max_steps, budget, out)
        else:
            finished = K.run(
                self._env,
                self._net_arrays,
                self._buf(),
                a["env_state"],
                a["cursor"],
                a["fcursor"],
                a["rng"],
                self._params,
                self._iparams,
                max_episodes,
                max_steps,
                budget,
                *out,
                a["record"],
                a["record_obs"],
            )
        returns, lengths, outcome, losses = (column[:finished] for column in out)
        batch = EpisodeBatch(returns, lengths, np.zeros(finished, np.int64), outcome)
        if finished:
            self.history.extend(returns, lengths, batch.penalties, batch.success)
            has = np.isfinite(losses)
            self.loss_history.extend(np.where(has, losses, 0.0), lengths, batch.penalties, has)
        return batch

    def _run_gym(self, max_episodes: int, max_steps: int, budget: int, out: tuple) -> int:
        """``run`` for an env Gymnasium steps: each step's action and outcome cross into the
        kernel (``choose``, then ``store``), which then trains and ends the step as for any
        env; the env resets (seeded from the run's generator) when an episode ends."""
        a, net, buf = self.a, self._net_arrays, self._buf()
        cursor, env_state = a["cursor"], a["env_state"]
        finished = taken = 0
        while True:
            if not cursor[K.C_IN_STEP]:
                if finished >= max_episodes or taken >= max_steps:
                    break
                action = K.choose(
                    net,
                    env_state,
                    cursor,
                    a["rng"],
                    self._params,
                    self._iparams,
                    a["record"],
                    a["record_obs"],
                )
                obs, reward, terminated, truncated, _ = self._gym.step(self._gym_start + action)
                env_state[: self.obs_dim] = np.asarray(obs, dtype=np.float64).ravel()
                K.store(
                    buf,
                    env_state,
                    cursor,
                    a["fcursor"],
                    self._params,
                    self._iparams,
                    a["record"],
                    a["record_obs"],
                    action,
                    float(reward),
                    bool(terminated),
                    bool(truncated),
                )
                taken += 1
            before = cursor[K.C_UPDATES]
            finished += K.run(
                self._env,
                net,
                buf,
                env_state,
                cursor,
                a["fcursor"],
                a["rng"],
                self._params,
                self._iparams,
                1,
                0,
                budget,
                *(column[finished:] for column in out),
                a["record"],
                a["record_obs"],
            )
            budget -= cursor[K.C_UPDATES] - before
            self._gym_reset()
            if cursor[K.C_IN_STEP]:  # the update budget ran out mid-round
                break
        return finished

    def _gym_reset(self) -> None:
        """Reset the Gymnasium env if the kernel asked for it (a new episode, seeded)."""
        cursor = self.a["cursor"]
        if self._gym is None or cursor[K.C_RESET_SEED] < 0:
            return
        obs, _ = self._gym.reset(seed=int(cursor[K.C_RESET_SEED]))
        self.a["env_state"][: self.obs_dim] = np.asarray(obs, dtype=np.float64).ravel()
        cursor[K.C_RESET_SEED] = -1

    def settle(self) -> EpisodeBatch:
        """Finish the step in progress, if a call with an update budget left it half done."""
        return self._run(None, 0)

    @property
    def in_step(self) -> bool:
        """A step is half done: its training round has gradient steps still to take."""
        return bool(self.a["cursor"][K.C_IN_STEP])

    def train(
        self, episodes: int | None = None, steps: int | None = None, updates: int | None = None
    ) -> EpisodeBatch:
        """Run flat out until ``episodes`` more episodes end, ``steps`` more steps are taken or
        ``updates`` gradient steps are done (a budget that can leave a step's training round
        half done: the next call finishes it first, and the run is the same either way)."""
        for name, value in (("episodes", episodes), ("steps", steps), ("updates", updates)):
            if value is not None and (isinstance(value, bool) or value < 0):
                raise ConfigError(f"{name} must be >= 0, got {value}")
        return self._run(episodes, steps, updates)

    def learn(self, total_timesteps: int | None = None, progress_bar: bool = False) -> DQNAgent:
        """Train for ``total_timesteps`` steps (default: the config's budget), as SB3's learn
        (``progress_bar``: a bar on stderr; the run is the same either way)."""
        total = self.config.total_timesteps if total_timesteps is None else total_timesteps
        learn_steps(self, total, progress_bar)
        return self

    def step(self, action: int | None = None, learn: bool = True) -> tuple[DQNRecord, EpisodeBatch]:
        """One env step (the given action, a person's, or the agent's epsilon-greedy choice),
        stored and learnt from on schedule when ``learn``."""
        cursor = self.a["cursor"]
        if action is not None:
            if isinstance(action, bool) or not 0 <= int(action) < self.n_actions:
                raise ConfigError(f"action must be 0-{self.n_actions - 1}, got {action}")
            cursor[K.C_PENDING], cursor[K.C_PENDING_ACTION] = 1, int(action)
        self._iparams[K.I_LEARN] = 1 if learn else 0
        try:
            batch = self._run(None, 1)
        finally:
            self._iparams[K.I_LEARN] = 1
            cursor[K.C_PENDING] = 0
        return DQNRecord.from_arrays(self.a["record"], self.a["record_obs"]), batch

    def new_episode(self) -> None:
        """Abandon the episode in progress (not counted) and start a fresh one."""
        self.settle()
        a = self.a
        K.new_episode(self.kind, self._env, a["env_state"], a["cursor"], a["fcursor"], a["rng"])
        self._gym_reset()

    def reconfigure(self, **changes) -> None:
        """New live settings (validated): learning_rate, gamma, epsilon (a constant; None: the
        schedule again), double, tau, batch_size, train_frequency, gradient_steps, ..."""
        fixed = {"env_id", "env_kwargs", "seed", "hidden", "buffer_size"} & changes.keys()
        if fixed:
            raise ConfigError(
                f"{', '.join(sorted(fixed))} cannot change during a run; start a new one"
            )
        new = self.config.replace(**changes)
        if new.max_steps is not None and new.max_steps <= self.t:
            raise ConfigError(
                f"max-steps must be above the current episode's {self.t} steps, got {new.max_steps}"
            )
        self.config = new
        self._refresh()

    def copy(self) -> DQNAgent:
        """An independent copy (the compiled model is shared: it is read-only)."""
        return copy.deepcopy(self, memo={id(self.model): self.model})

    # -- values ------------------------------------------------------------------------------
    def q_values(self, observations: np.ndarray, *, target: bool = False) -> np.ndarray:
        """The online (or target) network's Q-values of each row of ``observations`` (n, d); a
        discrete env's rows hold state indices."""
        xs = np.ascontiguousarray(observations, dtype=np.float64)
        if xs.ndim == 1:
            xs = xs[:, None] if self.index_input else xs[None, :]
        width = 1 if self.index_input else self.obs_dim
        if xs.ndim != 2 or xs.shape[1] != width:
            raise ValueError(f"observations must have {width} columns, got shape {xs.shape}")
        if self.index_input and (
            np.any(xs < 0) or np.any(xs >= self.model.n_states) or np.any(xs != np.floor(xs))
        ):
            raise ValueError(f"states must be integers in 0-{self.model.n_states - 1}")
        out = np.empty((xs.shape[0], self.n_actions))
        theta = self.a["target" if target else "theta"]
        K.q_batch(theta, self.sizes, *self._offsets, self.index_input, xs, out)
        return out

    def q_table(self) -> np.ndarray:
        """Every state's Q-values (S x A): the network's Q-table of a discrete env."""
        if self.model is None:
            raise ValueError(f"{self.config.env_id} has continuous observations: no Q-table")
        return self.q_values(np.arange(self.model.n_states, dtype=np.float64)[:, None])

    def predict(
        self, observation, state=None, episode_start=None, deterministic: bool = True
    ) -> tuple:
        """The action for ``observation`` (SB3's shape: ``(action, None)``); not deterministic:
        epsilon-greedy at the current epsilon, from a generator of its own."""
        if self.index_input:  # a discrete env's state index, checked as the tabular agent does
            x = np.array([[state_index(observation, self.model.n_states)]], dtype=np.float64)
        else:
            x = np.asarray(observation, dtype=np.float64)
            if x.shape != (self.obs_dim,) or not np.isfinite(x).all():
                shown = x.tolist() if x.shape == (self.obs_dim,) else f"shape {x.shape}"
                raise ValueError(f"observation must be {self.obs_dim} finite numbers, got {shown}")
            x = x[None, :]
        values = self.q_values(x)
        action = int(np.argmax(values[0]))
        if not deterministic:
            if not hasattr(self, "_predict_rng"):
                self._predict_rng = np.random.default_rng(self.config.seed + 1)
            if self._predict_rng.random() < self.epsilon_now():
                action = int(self._predict_rng.integers(self.n_actions))
        return action, None

    def evaluate(self, episodes: int = 100, seed: int | None = None) -> EpisodeBatch:
        """The greedy policy from ``episodes`` fresh starts (a generator stream of its own)."""
        rng = make_rng(self.config.seed if seed is None else seed, EVAL_STREAM)
        out = (np.empty(episodes), np.empty(episodes, np.int64), np.empty(episodes, np.int8))
        success = self.model.success_reward if self.model is not None else math.inf
        if self.kind == K.GYM:
            self._greedy_gym(rng, *out)
        else:
            K.run_greedy(
                self._env,
                self._net_arrays,
                self.kind,
                self.n_actions,
                self.time_limit,
                rng,
                episodes,
                *out,
                success,
            )
        return EpisodeBatch(out[0], out[1], np.zeros(episodes, np.int64), out[2])

    def _greedy_gym(self, rng: np.ndarray, returns, lengths, outcome) -> None:
        """``run_greedy`` for an env Gymnasium steps: an env of its own, each episode reset with
        a seed from ``rng``."""
        from tui_taxi.core.rng import uniform

        env = make_gym_env(self.config.env_id, self.config.env_kwargs)
        cap = self.time_limit if self.time_limit > 0 else 100_000
        x = np.empty((1, self.obs_dim))
        q = np.empty((1, self.n_actions))
        theta = self.a["theta"]
        try:
            for e in range(returns.shape[0]):
                obs, _ = env.reset(seed=int(uniform(rng) * 2**31))
                total, t, terminated, truncated = 0.0, 0, False, False
                while t < cap and not (terminated or truncated):
                    x[0] = np.asarray(obs, dtype=np.float64).ravel()
                    K.q_batch(theta, self.sizes, *self._offsets, False, x, q)
                    action = self._gym_start + int(np.argmax(q[0]))
                    obs, reward, terminated, truncated, _ = env.step(action)
                    total += float(reward)
                    t += 1
                returns[e], lengths[e] = total, t
                outcome[e] = K.SUCCESS if terminated else K.TRUNCATED
        finally:
            env.close()

    def solved(self, episodes: int = SOLVED_EPISODES) -> tuple[bool, float]:
        """(whether the greedy policy's mean return over ``episodes`` fresh starts reaches the
        env's reward threshold, that mean); never solved for an env without a threshold."""
        mean = float(self.evaluate(episodes).episodic_return.mean())
        threshold = reward_threshold(self.config.env_id)
        return threshold is not None and mean >= threshold, mean

    # -- state -------------------------------------------------------------------------------
    @property
    def obs(self) -> np.ndarray:
        """What the agent sees now (CartPole: float32 values; a discrete env: one-hot)."""
        if self.model is not None:
            one_hot = np.zeros(self.model.n_states)
            one_hot[self.state] = 1.0
            return one_hot
        if self.kind == K.GYM:
            return self.a["env_state"][: self.obs_dim].copy()
        return self.a["env_state"].astype(np.float32).astype(np.float64)

    @property
    def cartpole(self) -> bool:
        """CartPole (stepped in the kernel; episodes that reach the time limit balanced)."""
        return self.kind == K.CARTPOLE

    @property
    def obs_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of each observation component (infinite where the env sets no bound)."""
        if self._gym is not None:
            space = self._gym.observation_space
            return (
                np.asarray(space.low, np.float64).ravel(),
                np.asarray(space.high, np.float64).ravel(),
            )
        if self.model is not None:
            return np.zeros(1), np.full(1, self.model.n_states - 1.0)
        limit = np.array([2 * K.X_THRESHOLD, np.inf, 2 * K.THETA_THRESHOLD, np.inf])
        return -limit, limit

    @property
    def state(self) -> int:
        return int(self.a["cursor"][K.C_STATE]) if self.model is not None else -1

    @property
    def total_steps(self) -> int:
        return int(self.a["cursor"][K.C_TOTAL])

    @property
    def episode(self) -> int:
        return int(self.a["cursor"][K.C_EPISODE])

    @property
    def t(self) -> int:
        return int(self.a["cursor"][K.C_T])

    @property
    def episode_return(self) -> float:
        return float(self.a["fcursor"][K.F_RETURN])

    @property
    def episode_penalties(self) -> int:
        return 0

    @property
    def last_step(self) -> DQNRecord | None:
        if math.isnan(self.a["record"][K.R_ACTION]):
            return None
        return DQNRecord.from_arrays(self.a["record"], self.a["record_obs"])

    @property
    def buffer_fill(self) -> int:
        return int(self.a["cursor"][K.C_FILL])

    @property
    def target_syncs(self) -> int:
        return int(self.a["cursor"][K.C_SYNCS])

    @property
    def last_sync_step(self) -> int:
        return int(self.a["cursor"][K.C_LAST_SYNC])

    @property
    def updates(self) -> int:
        return int(self.a["cursor"][K.C_UPDATES])

    @property
    def losses(self) -> np.ndarray:
        """Mean TD loss per history bin (NaN where no update ran), aligned with the history."""
        means = self.loss_history.means()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                means["success"] > 0, means["episodic_return"] / means["success"], np.nan
            )

    def epsilon_now(self) -> float:
        return self.config.epsilon_at(self.total_steps)

    def save(self, path, buffer: bool = False) -> Path:
        """Save atomically (``buffer``: the replay buffer too), as SB3's ``save``; returns the
        path written."""
        from tui_taxi.core.dqn.persist import save_agent

        return save_agent(self, path, buffer=buffer)
