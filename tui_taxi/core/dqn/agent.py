"""The deep Q-network kind of agent: an MLP learnt from a replay buffer against a target network
(CleanRL's DQN), stepped by numba ``nogil`` kernels; the trainer, the CLI and the API drive it
through :class:`~tui_taxi.core.agent.Agent` as they drive a table.

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

from tui_taxi.core.agent import (
    STEPS,
    AgentBase,
    Budget,
    Option,
    Setting,
    SweepParam,
    check_memory,
    register,
)
from tui_taxi.core.dqn import kernel, persist
from tui_taxi.core.dqn.config import DISCRETE_DEFAULTS, PRESETS, DQNConfig, config_for
from tui_taxi.core.dqn.gym_env import box_env
from tui_taxi.core.envs import CompiledEnv, compile_env, make_gym_env
from tui_taxi.core.episodes import KERNEL_ROWS, SAFETY_CAP, EpisodeBatch, EvalResult, History
from tui_taxi.core.errors import ConfigError, EnvError
from tui_taxi.core.rng import INIT_STREAM, NETWORK_EVAL_STREAM, make_rng
from tui_taxi.core.worlds import CARTPOLE_ACTIONS, CARTPOLE_LIMITS, action_names

#: A network's learning rate moves by this factor per key press (it spans decades), within
#: LR_RANGE.
LR_FACTOR = 2.0
LR_RANGE = (1e-6, 1.0)


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
    sample_steps: int  # rewards in the sample's n-step return (fewer at an episode's end)
    sample_discount: float  # gamma^steps on the bootstrap (0 past a termination)
    sample_priority: float  # prioritized replay: the sample's priority when drawn (else NaN)
    sample_probability: float  # the chance it was drawn
    sample_weight: float  # its importance-sampling weight (1 without prioritized replay)
    sample_rewards: tuple[float, ...] = ()  # the rewards its return sums, first to last

    @classmethod
    def from_arrays(cls, record: np.ndarray, obs: np.ndarray) -> DQNRecord:
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        values: dict = {"obs": obs[0].copy(), "next_obs": obs[1].copy()}
        rewards = record[kernel.R_SAMPLE_REWARDS :]
        values["sample_rewards"] = tuple(float(r) for r in rewards[~np.isnan(rewards)])
        named = record[: kernel.R_SAMPLE_REWARDS]
        for name, raw in zip(kernel.RECORD_FIELDS, named, strict=True):
            kind = kinds[name]
            if kind == "bool":
                values[name] = bool(raw)
            elif kind == "int":
                values[name] = int(raw) if math.isfinite(raw) else -1
            else:
                values[name] = float(raw)
        return cls(**values)


def env_kind(
    config: DQNConfig, model: CompiledEnv | None = None
) -> tuple[int, CompiledEnv | None, tuple[str, ...], int]:
    """(kind, compiled model or None, action names, observation length) of the config's env
    (``model``: compiled already); an env the DQN cannot run is a one-line error naming what it
    supports."""
    if model is not None:
        return kernel.DISCRETE, model, *_discrete(model)
    if config.env_id in CARTPOLE_LIMITS:
        if config.env_kwargs:
            raise ConfigError(f"{config.env_id} takes no env keyword arguments here")
        return kernel.CARTPOLE, None, CARTPOLE_ACTIONS, 4
    box = box_env(config.env_id, config.env_kwargs)
    if box is not None:
        n_actions, obs_dim = box
        return kernel.GYM, None, action_names(config.env_id, n_actions), obs_dim
    try:
        model = compile_env(config.env_id, config.env_kwargs)
    except EnvError as exc:
        raise ConfigError(
            f"DQN runs on envs with a Box observation and Discrete actions (CartPole-v1, "
            f"Acrobot-v1, MountainCar-v0, ...) and the discrete envs (Taxi-v4, FrozenLake-v1, "
            f"CliffWalking-v1, tui_taxi/WindyGridworld-v0); {config.env_id}: {exc}"
        ) from None
    return kernel.DISCRETE, model, *_discrete(model)


def _discrete(model: CompiledEnv) -> tuple[tuple[str, ...], int]:
    """A discrete world's action names and observation length (its state index, one number);
    a world whose states have different actions is a one-line error (a network's outputs are
    the same actions everywhere)."""
    if model.legal is not None:
        raise ConfigError(
            f"{model.env_id}'s states have different numbers of actions: a network needs the "
            "same ones everywhere (the tabular agent learns it)"
        )
    return model.action_names, 1


#: The config's fields that are command-line options (``--learning-rate``, ...).
CLI_OPTIONS = (
    "total_timesteps",
    "learning_rate",
    "buffer_size",
    "tau",
    "target_network_frequency",
    "batch_size",
    "start_e",
    "end_e",
    "exploration_fraction",
    "learning_starts",
    "train_frequency",
    "gradient_steps",
    "hidden",
    "double",
    "dueling",
    "prioritized",
    "prioritized_alpha",
    "prioritized_beta0",
    "n_step",
    "max_grad_norm",
)


def variant_name(c: DQNConfig) -> str:
    """The network's name from its refinements: "Double Dueling DQN", "DQN + PER + 3-step"."""
    name = ("Double " if c.double else "") + ("Dueling " if c.dueling else "") + "DQN"
    extras = (["PER"] if c.prioritized else []) + ([f"{c.n_step}-step"] if c.n_step > 1 else [])
    return " + ".join([name, *extras])


def _option(name: str) -> Option:
    """A field's option: its help with CartPole's default and, in brackets, a discrete world's."""
    f = next(f for f in dataclasses.fields(DQNConfig) if f.name == name)
    default = getattr(DQNConfig, name) if name != "hidden" else "64,64"
    other = DISCRETE_DEFAULTS.get(name)
    other = ",".join(map(str, other)) if isinstance(other, tuple) else other
    shown = f"{default:g}" if isinstance(default, float) else f"{default}"
    bracket = (
        f" [{other:g}]" if isinstance(other, float) else f" [{other}]" if other is not None else ""
    )
    text = f"{f.metadata['help']} (default: {shown}{bracket})"
    if name in ("double", "dueling", "prioritized"):
        return Option(name, text, "flag")
    if name == "hidden":
        return Option(name, text, "sizes", "N,N")
    return Option(
        name, text, "whole" if f.type == "int" else "number", "N" if f.type == "int" else "X"
    )


@dataclass(frozen=True)
class NetworkState:
    """What a network's learning machinery is doing (its settings are in the config)."""

    buffer_fill: int  # transitions in the replay buffer
    target_syncs: int  # times the target network was updated (hard copy or soft average)
    last_sync_step: int  # total_steps at the last update of the target network (-1: never)
    recent_loss: float  # mean TD loss of the recent episodes (NaN before the first update)
    updates: int = 0  # gradient steps taken


def buffer_bytes(size: int, store: int, prioritized: bool = False) -> int:
    """What a replay buffer of ``size`` transitions takes when full: two observations of
    ``store`` numbers, an action, a reward and two flags each (and prioritized replay's two
    trees over them: two numbers per leaf and per node)."""
    trees = 2 * 2 * kernel.tree_leaves(size) * 8 if prioritized else 0
    return size * (2 * store * 8 + 8 + 8 + 1 + 1) + trees


BUFFER_ARRAYS, TREE_ARRAYS = persist.BUFFER_ARRAYS, persist.TREE_ARRAYS


def empty_trees(size: int, prioritized: bool) -> dict[str, np.ndarray]:
    """Prioritized replay's trees over an empty buffer (the sum-tree's spare node 0 holds the
    largest priority: 1 at first); a placeholder pair without prioritized replay."""
    nodes = 2 * kernel.tree_leaves(size) if prioritized else 2
    per_sum, per_min = np.zeros(nodes), np.full(nodes, np.inf)
    per_sum[0] = 1.0
    return {"per_sum": per_sum, "per_min": per_min}


@register
class DQNAgent(AgentBase):
    """One DQN run on one env; not thread-safe (one thread owns it)."""

    name = "dqn"
    label = "DQN"
    title = "a deep Q-network with a replay buffer and a target network (default: CartPole-v1)"
    unit = STEPS
    default_env = "CartPole-v1"
    config_type = DQNConfig
    formats = (persist.FORMAT,)
    variant_help = "Double DQN on or off"
    resets = "network, replay buffer"
    steps_per_second = 5e3
    counts_penalties = False  # its kernel does not count a world's penalties
    stop_at_goal = True  # a network can unlearn after it: train stops at the first solved check
    save_options = ("buffer",)
    train_charts = ("td_loss",)
    opening_speed = 7  # 1 episode a frame: each episode seen, and the network learns
    approximates = True
    options_title = (
        "deep Q-learning (--agent dqn; defaults: CartPole's, a discrete world's in brackets)"
    )
    options = tuple(_option(name) for name in CLI_OPTIONS)
    instead = {
        "alpha": "--learning-rate",
        "epsilon": "--start-e, --end-e, --exploration-fraction",
        "learner": "--double",
    }
    presets = PRESETS
    sweep_space = (
        SweepParam("learning_rate", "5e-4,1e-3,2.3e-3", log=True),
        SweepParam("gamma", "0.9,0.99"),
        SweepParam("exploration_fraction", "0.08,0.16"),
        SweepParam("target_network_frequency", "10,100,500", log=True, whole=True),
        SweepParam("batch_size", "32,64", log=True, whole=True),
        SweepParam("double", "false,true", choices=("false", "true")),
        SweepParam("dueling", "false,true", choices=("false", "true")),
        SweepParam("prioritized", "false,true", choices=("false", "true")),
        SweepParam("n_step", "1,3", whole=True),
    )

    def __init__(
        self,
        config: DQNConfig,
        *,
        model: CompiledEnv | None = None,
        arrays: dict | None = None,
        history: History | None = None,
    ) -> None:
        self.config = config
        self.env_type, self.model, self.action_names, self.obs_dim = env_kind(config, model)
        index_input = self.env_type == kernel.DISCRETE
        n_in = self.model.n_states if index_input else self.obs_dim
        head = self.n_actions + (1 if config.dueling else 0)  # a dueling head: A(s, ·), V(s)
        self.sizes = np.array((n_in, *config.hidden, head), dtype=np.int64)
        w_off, b_off, a_off, n_params = kernel.layout(tuple(int(s) for s in self.sizes))
        self._offsets = (w_off, b_off, a_off)
        self.index_input = index_input
        store = 1 if index_input else self.obs_dim
        if arrays is None:  # (np.zeros: pages are taken as the buffer fills, but it may fill)
            check_memory(
                buffer_bytes(config.buffer_size, store, config.prioritized),
                f"a replay buffer of {config.buffer_size:,} transitions",
            )
            theta = kernel.init_params(
                tuple(int(s) for s in self.sizes), make_rng(config.seed, INIT_STREAM), index_input
            )
            arrays = {
                "theta": theta,
                "target": theta.copy(),
                "adam_m": np.zeros(n_params),
                "adam_v": np.zeros(n_params),
                "cursor": np.zeros(kernel.N_CURSOR, np.int64),
                "fcursor": np.zeros(kernel.N_FCURSOR),
                "rng": make_rng(config.seed),
                "env_state": np.zeros(max(4, self.obs_dim)),
                "record": np.full(kernel.N_RECORD, np.nan),
                "record_obs": np.zeros((2, store)),
                "buf_obs": np.zeros((config.buffer_size, store)),
                "buf_next": np.zeros((config.buffer_size, store)),
                "buf_action": np.zeros(config.buffer_size, np.int64),
                "buf_reward": np.zeros(config.buffer_size),
                "buf_terminated": np.zeros(config.buffer_size, np.bool_),
                "buf_end": np.zeros(config.buffer_size, np.bool_),
                **empty_trees(config.buffer_size, config.prioritized),
            }
            arrays["cursor"][kernel.C_LAST_SYNC] = -1
            arrays["cursor"][kernel.C_RESET_SEED] = -1
            fresh = True
        else:
            fresh = False
        self.arrays = arrays
        self.history = History(extra=persist.EXTRA) if history is None else history
        self._env = self._env_arrays()
        self._gym = None
        if self.env_type == kernel.GYM:  # stepped in Python: its internals are not in the arrays
            self._gym = make_gym_env(config.env_id, config.env_kwargs).unwrapped
            self._gym_start = int(getattr(self._gym.action_space, "start", 0))
        self._refresh()
        if fresh or self.env_type == kernel.GYM:  # (a loaded GYM run starts a fresh episode)
            self._end_trajectory()
            kernel.new_episode(
                self.env_type,
                self._env,
                self.arrays["env_state"],
                self.arrays["cursor"],
                self.arrays["fcursor"],
                self.arrays["rng"],
            )
            self._gym_reset()

    def _end_trajectory(self) -> None:
        """The newest transition stored ends its trajectory (its episode is abandoned): no
        n-step return runs on into the next episode's transitions."""
        fill, pos = self.buffer_fill, int(self.arrays["cursor"][kernel.C_POS])
        if fill:
            self.arrays["buf_end"][(pos - 1) % self.config.buffer_size] = True

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
        a = self.arrays
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
            self.config.dueling,
        )

    def _buf(self) -> tuple:
        a = self.arrays
        return tuple(a[name] for name in (*BUFFER_ARRAYS, *TREE_ARRAYS))

    def _refresh(self) -> None:
        c = self.config
        params = np.zeros(kernel.N_PARAMS)
        params[kernel.P_GAMMA], params[kernel.P_LR], params[kernel.P_TAU] = (
            c.gamma,
            c.learning_rate,
            c.tau,
        )
        params[kernel.P_START_E], params[kernel.P_END_E] = c.start_e, c.end_e
        params[kernel.P_EXPLORE_STEPS] = c.exploration_steps
        params[kernel.P_EPSILON] = -1.0 if c.epsilon is None else c.epsilon
        params[kernel.P_MAX_NORM] = c.max_grad_norm
        params[kernel.P_SUCCESS] = self.model.success_reward if self.model is not None else math.inf
        params[kernel.P_PER_ALPHA], params[kernel.P_PER_BETA0] = (
            c.prioritized_alpha,
            c.prioritized_beta0,
        )
        params[kernel.P_PER_EPS], params[kernel.P_BUDGET] = c.prioritized_eps, c.total_timesteps
        iparams = np.zeros(kernel.N_IPARAMS, np.int64)
        iparams[kernel.I_KIND], iparams[kernel.I_BATCH] = self.env_type, c.batch_size
        iparams[kernel.I_LEARNING_STARTS], iparams[kernel.I_TRAIN_FREQ] = (
            c.learning_starts,
            c.train_frequency,
        )
        iparams[kernel.I_GRAD_STEPS], iparams[kernel.I_TARGET_FREQ] = (
            c.gradient_steps,
            c.target_network_frequency,
        )
        iparams[kernel.I_TIME_LIMIT] = self.time_limit
        iparams[kernel.I_DOUBLE], iparams[kernel.I_LEARN] = int(c.double), 1
        iparams[kernel.I_N_ACTIONS] = self.n_actions
        iparams[kernel.I_N_STEP], iparams[kernel.I_PRIORITIZED] = c.n_step, int(c.prioritized)
        self._params, self._iparams = params, iparams
        self._net_arrays = self._net()

    @property
    def time_limit(self) -> int:
        if self.config.max_steps is not None:
            return self.config.max_steps
        if self.model is not None:
            return self.model.max_episode_steps
        if self.env_type == kernel.GYM:
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
        episodes_left = episodes if episodes is not None else steps
        steps_left = steps if steps is not None else big
        work_left = big if updates is None else updates
        # in calls of at most ROWS episodes: the buffers follow the episodes that end, never
        # the budget asked for (steps=10**12 reserves no terabytes); the run is the same
        parts = []
        while True:
            rows = max(0, min(episodes_left, steps_left, KERNEL_ROWS))
            steps_before, work_before = self.total_steps, self.updates
            out, finished = self._run_chunk(rows, steps_left, work_left)
            parts.append([column[:finished] for column in out])
            episodes_left -= finished
            steps_left -= self.total_steps - steps_before
            work_left -= self.updates - work_before
            if self.in_step or finished < rows or min(episodes_left, steps_left, work_left) <= 0:
                break
        returns, lengths, outcome, losses = (
            parts[0] if len(parts) == 1 else [np.concatenate(c) for c in zip(*parts, strict=True)]
        )
        finished = len(returns)
        batch = EpisodeBatch(returns, lengths, np.zeros(finished, np.int64), outcome)
        if finished:
            has = np.isfinite(losses)
            self.history.extend(
                returns, lengths, batch.penalties, batch.success, np.where(has, losses, 0.0), has
            )
        return batch

    def _run_chunk(self, max_episodes: int, max_steps: int, budget: int) -> tuple[tuple, int]:
        """One kernel call (or a Gymnasium env's steps): its output columns and the episodes
        that ended in it."""
        size = max_episodes + 1  # +1: the step a call began half done
        out = (np.empty(size), np.empty(size, np.int64), np.empty(size, np.int8), np.empty(size))
        a = self.arrays
        if self.env_type == kernel.GYM:
            finished = self._run_gym(max_episodes, max_steps, budget, out)
        else:
            finished = kernel.run(
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
        return out, finished

    def _run_gym(self, max_episodes: int, max_steps: int, budget: int, out: tuple) -> int:
        """``run`` for an env Gymnasium steps: each step's action and outcome cross into the
        kernel (``choose``, then ``store``), which then trains and ends the step as for any
        env; the env resets (seeded from the run's generator) when an episode ends."""
        a, net, buf = self.arrays, self._net_arrays, self._buf()
        cursor, env_state = a["cursor"], a["env_state"]
        finished = taken = 0
        while True:
            if not cursor[kernel.C_IN_STEP]:
                if finished >= max_episodes or taken >= max_steps:
                    break
                action = kernel.choose(
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
                kernel.store(
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
            before = cursor[kernel.C_UPDATES]
            finished += kernel.run(
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
            budget -= cursor[kernel.C_UPDATES] - before
            self._gym_reset()
            if cursor[kernel.C_IN_STEP]:  # the update budget ran out mid-round
                break
        return finished

    def _gym_reset(self) -> None:
        """Reset the Gymnasium env if the kernel asked for it (a new episode, seeded)."""
        cursor = self.arrays["cursor"]
        if self._gym is None or cursor[kernel.C_RESET_SEED] < 0:
            return
        obs, _ = self._gym.reset(seed=int(cursor[kernel.C_RESET_SEED]))
        self.arrays["env_state"][: self.obs_dim] = np.asarray(obs, dtype=np.float64).ravel()
        cursor[kernel.C_RESET_SEED] = -1

    def settle(self) -> EpisodeBatch:
        """Finish the step in progress, if a call with an update budget left it half done."""
        return self._run(None, 0)

    @property
    def in_step(self) -> bool:
        """A step is half done: its training round has gradient steps still to take."""
        return bool(self.arrays["cursor"][kernel.C_IN_STEP])

    def train(
        self, episodes: int | None = None, steps: int | None = None, work: int | None = None
    ) -> EpisodeBatch:
        """Run flat out until ``episodes`` more episodes end, ``steps`` more steps are taken or
        ``work`` gradient steps are done (a budget that can leave a step's training round half
        done: the next call finishes it first, and the run is the same either way)."""
        for name, value in (("episodes", episodes), ("steps", steps), ("work", work)):
            if value is not None and (isinstance(value, bool) or value < 0):
                raise ConfigError(f"{name} must be >= 0, got {value}")
        return self._run(episodes, steps, work)

    @property
    def work_done(self) -> int:
        """Gradient steps taken so far (a network's costly unit of work)."""
        return self.updates

    def step(self, action: int | None = None, learn: bool = True) -> tuple[DQNRecord, EpisodeBatch]:
        """One env step (the given action, a person's, or the agent's epsilon-greedy choice),
        stored and learnt from on schedule when ``learn``."""
        cursor = self.arrays["cursor"]
        if action is not None:
            if isinstance(action, bool) or not 0 <= int(action) < self.n_actions:
                raise ConfigError(f"action must be 0-{self.n_actions - 1}, got {action}")
            cursor[kernel.C_PENDING], cursor[kernel.C_PENDING_ACTION] = 1, int(action)
        self._iparams[kernel.I_LEARN] = 1 if learn else 0
        try:
            batch = self._run(None, 1)
        finally:
            self._iparams[kernel.I_LEARN] = 1
            cursor[kernel.C_PENDING] = 0
        return DQNRecord.from_arrays(self.arrays["record"], self.arrays["record_obs"]), batch

    def new_episode(self) -> None:
        """Abandon the episode in progress (not counted) and start a fresh one."""
        self.settle()
        self._end_trajectory()
        a = self.arrays
        kernel.new_episode(
            self.env_type, self._env, a["env_state"], a["cursor"], a["fcursor"], a["rng"]
        )
        self._gym_reset()

    def reconfigure(self, **changes) -> None:
        """New live settings (validated): learning_rate, gamma, epsilon (a constant; None: the
        schedule again), double, tau, batch_size, train_frequency, gradient_steps, ..."""
        fixed = {"env_id", "env_kwargs", "seed", "hidden", "buffer_size", "dueling", "prioritized"}
        fixed &= changes.keys()
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
        theta = self.arrays["target" if target else "theta"]
        kernel.q_batch(
            theta, self.sizes, *self._offsets, self.index_input, self.config.dueling, xs, out
        )
        return out

    def q_table(self) -> np.ndarray | None:
        """Every state's Q-values (S x A): the network's Q-table of a discrete env (None for a
        continuous one)."""
        if self.model is None:
            return None
        return self.q_values(np.arange(self.model.n_states, dtype=np.float64)[:, None])

    def values_of(self, observations: np.ndarray) -> np.ndarray:
        return self.q_values(observations)

    def action_values(self) -> np.ndarray:
        """The current state's (or observation's) Q-values."""
        if self.model is not None:  # a discrete world: the network takes the state's index
            return self.q_values(np.array([[self.state]], dtype=np.float64))[0]
        return self.q_values(self.obs[None, :])[0]

    def evaluate(
        self, episodes: int = 100, seed: int | None = None, time_limit: int | None = None
    ) -> EvalResult:
        """The greedy policy from ``episodes`` fresh starts (a generator stream of its own),
        with the run's time limit unless ``time_limit`` is given (0: none, then cut at
        :data:`~tui_taxi.core.evaluate.SAFETY_CAP` steps)."""
        return EvalResult.of(
            self.greedy_episodes(episodes, seed, time_limit), self._limit(time_limit)
        )

    def _limit(self, time_limit: int | None) -> int:
        return self.time_limit if time_limit is None else time_limit

    def greedy_episodes(
        self,
        episodes: int = 100,
        seed: int | None = None,
        time_limit: int | None = None,
        rng: np.ndarray | None = None,
    ) -> EpisodeBatch:
        """The greedy policy's episodes, one by one (see :meth:`evaluate`); ``rng``: a
        generator to go on with (a check made in slices), instead of a fresh one."""
        if rng is None:
            rng = make_rng(self.config.seed if seed is None else seed, NETWORK_EVAL_STREAM)
        out = (np.empty(episodes), np.empty(episodes, np.int64), np.empty(episodes, np.int8))
        success = self.model.success_reward if self.model is not None else math.inf
        limit = self._limit(time_limit) or SAFETY_CAP  # (no time limit: cut here)
        if self.env_type == kernel.GYM:
            self._greedy_gym(rng, limit, *out)
        else:
            kernel.run_greedy(
                self._env,
                self._net_arrays,
                self.env_type,
                self.n_actions,
                limit,
                rng,
                episodes,
                *out,
                success,
            )
        return EpisodeBatch(out[0], out[1], np.zeros(episodes, np.int64), out[2])

    def _greedy_gym(self, rng: np.ndarray, cap: int, returns, lengths, outcome) -> None:
        """``run_greedy`` for an env Gymnasium steps: an env of its own, each episode reset with
        a seed from ``rng``, cut at ``cap`` steps."""
        from tui_taxi.core.rng import uniform

        env = make_gym_env(self.config.env_id, self.config.env_kwargs).unwrapped
        x = np.empty((1, self.obs_dim))
        q = np.empty((1, self.n_actions))
        theta = self.arrays["theta"]
        try:
            for e in range(returns.shape[0]):
                obs, _ = env.reset(seed=int(uniform(rng) * 2**31))
                total, t, terminated, truncated = 0.0, 0, False, False
                while t < cap and not (terminated or truncated):
                    x[0] = np.asarray(obs, dtype=np.float64).ravel()
                    kernel.q_batch(
                        theta, self.sizes, *self._offsets, False, self.config.dueling, x, q
                    )
                    action = self._gym_start + int(np.argmax(q[0]))
                    obs, reward, terminated, truncated, _ = env.step(action)
                    total += float(reward)
                    t += 1
                returns[e], lengths[e] = total, t
                outcome[e] = kernel.SUCCESS if terminated else kernel.TRUNCATED
        finally:
            env.close()

    # -- the kind -----------------------------------------------------------------------------
    @classmethod
    def configure(cls, env_id: str, env_kwargs: tuple = (), **changes) -> DQNConfig:
        """CartPole's defaults for any env with a Box observation, a discrete world's for the
        others (see :func:`~tui_taxi.core.dqn.config.config_for`), then ``changes``."""
        if changes.get("max_steps") == 0:  # "no time limit": a network keeps the env's
            changes["max_steps"] = None
        return config_for(env_id, env_kwargs, **changes)

    @classmethod
    def budgeted(cls, config: DQNConfig, budget: Budget) -> DQNConfig:
        """A step budget is the run's ``total_timesteps`` (its epsilon schedule spans it)."""
        if budget.steps is None or budget.steps == config.total_timesteps:
            return config
        return config.replace(total_timesteps=budget.steps)

    @classmethod
    def open_env(cls, config: DQNConfig) -> tuple[CompiledEnv | None, tuple[str, ...], int]:
        _, model, names, obs_dim = env_kind(config)
        return model, names, obs_dim if model is None else 0

    @classmethod
    def load(cls, path) -> DQNAgent:
        values = persist.load(path, cls)  # a fresh agent of the saved config gives the shapes
        return cls(values["config"], arrays=values["arrays"], history=values["history"])

    @classmethod
    def describe(cls, config: DQNConfig) -> tuple[str, str]:
        c = config
        if c.epsilon is not None:  # set live in the app
            epsilon = f"epsilon {c.epsilon:g}"
        elif c.exploration_steps == 0 or c.start_e == c.end_e:
            epsilon = f"epsilon {c.end_e:g}"
        else:
            epsilon = f"epsilon {c.start_e:g}->{c.end_e:g} over {c.exploration_steps:,} steps"
        text = (
            f"lr {c.learning_rate:g}, gamma {c.gamma:g}, hidden {','.join(map(str, c.hidden))}, "
            f"buffer {c.buffer_size:,}, batch {c.batch_size}, target every "
            f"{c.target_network_frequency} (tau {c.tau:g}), train every {c.train_frequency} "
            f"x{c.gradient_steps}, {epsilon}, seed {c.seed}"
        )
        if c.prioritized:
            text += (
                f", prioritized replay (alpha {c.prioritized_alpha:g}, "
                f"beta {c.prioritized_beta0:g}->1)"
            )
        if c.n_step > 1:
            text += f", {c.n_step}-step returns"
        return variant_name(c), text

    @classmethod
    def default_of(cls, name: str) -> str:
        """CartPole's default, and a discrete world's in brackets."""
        default = getattr(DQNConfig, name, "")
        other = DISCRETE_DEFAULTS.get(name)
        return f"{default:g}" + (f" [{other:g}]" if other is not None else "")

    @classmethod
    def sweep_value(cls, name: str, text: str):
        if name in ("double", "dueling", "prioritized"):
            if text.lower() not in ("true", "false"):
                raise ValueError(f"{name} is true or false")
            return text.lower() == "true"
        whole = next(p.whole for p in cls.sweep_space if p.name == name)
        if whole and not text.strip().isdigit():
            raise ValueError(f"{name.replace('_', '-')} must be a whole number, got {text}")
        value = int(text) if whole else float(text)
        DQNConfig(**{name: value})  # the config's own range check
        return value

    @classmethod
    def sweep_defaults(cls, env_id: str) -> dict[str, str]:
        """The learning rate against the exploration fraction (the target network's period is
        not in it: with a training round every 256 steps, any period under 256 copies the same
        network once per round)."""
        return {"learning_rate": "1e-3,2.3e-3", "exploration_fraction": "0.08,0.16"}

    def save(self, path, buffer: bool = False) -> Path:
        """Save atomically (``buffer``: the replay buffer too), as SB3's ``save``; returns the
        path written. A step left half done by a work budget is finished first."""
        self.settle()
        return persist.save(self, path, buffer=buffer)

    @classmethod
    def default_budget_of(cls, config: DQNConfig) -> Budget:
        """The run's step budget (its epsilon schedule spans it)."""
        return Budget(steps=config.total_timesteps)

    def practice(self) -> tuple[Budget, object]:
        """Before a person plays: the run's step budget, or until its goal is reached (solved,
        or optimal from every start), checked every 2,500 steps as ``train`` checks."""
        return self.default_budget(), self.goal()

    # -- settings ------------------------------------------------------------------------------
    def settings(self) -> tuple[Setting, ...]:
        c = self.config
        epsilon = self.epsilon_now()
        decaying = c.epsilon is None and epsilon > c.end_e + 1e-12 and c.start_e > c.end_e
        lr = c.learning_rate
        return (
            Setting(
                "epsilon",
                "epsilon ε",
                "ε",
                "explore",
                epsilon,
                f"{epsilon:.2f}",
                f"{epsilon:.2f}{'↘' if decaying else ''}",
            ),
            Setting(
                "learning_rate",
                "learning rate",
                "lr",
                "rate",
                lr,
                f"{lr:.3g}",
                f"{lr:.2g}",
                factor=LR_FACTOR,
                low=LR_RANGE[0],
                high=LR_RANGE[1],
                low_open=True,
            ),
            Setting(
                "gamma", "gamma γ", "γ", "discount", c.gamma, f"{c.gamma:.2f}", f"{c.gamma:.2f}"
            ),
        )

    @classmethod
    def parse_setting(cls, name: str, text: str) -> float:
        """A live setting's value from its text (a tour's ``set``), checked by the config."""
        _live(name)
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{text!r} is not a number") from None
        DQNConfig(**{name: value})
        return value

    def set_setting(self, name: str, value) -> None:
        """epsilon (a constant from now on: the schedule ends), learning_rate or gamma."""
        _live(name)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        self.reconfigure(**{name: float(value)})

    def next_variant(self) -> str:
        double = not self.config.double
        self.reconfigure(double=double)
        if double:
            return "Double DQN: the online network picks a', the target network values it"
        return "DQN: the target network's max over a'"

    # -- state ---------------------------------------------------------------------------------
    @property
    def obs(self) -> np.ndarray:
        """What the agent sees now (CartPole: float32 values; a discrete env: one-hot)."""
        if self.model is not None:
            one_hot = np.zeros(self.model.n_states)
            one_hot[self.state] = 1.0
            return one_hot
        if self.env_type == kernel.GYM:
            return self.arrays["env_state"][: self.obs_dim].copy()
        return self.arrays["env_state"].astype(np.float32).astype(np.float64)

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
        limit = np.array([2 * kernel.X_THRESHOLD, np.inf, 2 * kernel.THETA_THRESHOLD, np.inf])
        return -limit, limit

    def observed_range(self, dim: int) -> tuple[float, float] | None:
        """The range of observation component ``dim`` in the replay buffer, if it varies."""
        seen = self.arrays["buf_obs"][: self.buffer_fill, dim]
        if len(seen) and seen.max() > seen.min():
            return float(seen.min()), float(seen.max())
        return None

    @property
    def state(self) -> int:
        return int(self.arrays["cursor"][kernel.C_STATE]) if self.model is not None else -1

    @property
    def total_steps(self) -> int:
        return int(self.arrays["cursor"][kernel.C_TOTAL])

    @property
    def episode(self) -> int:
        return int(self.arrays["cursor"][kernel.C_EPISODE])

    @property
    def t(self) -> int:
        return int(self.arrays["cursor"][kernel.C_T])

    @property
    def episode_return(self) -> float:
        return float(self.arrays["fcursor"][kernel.F_RETURN])

    @property
    def episode_penalties(self) -> int:
        return 0

    @property
    def last_step(self) -> DQNRecord | None:
        if math.isnan(self.arrays["record"][kernel.R_ACTION]):
            return None
        return DQNRecord.from_arrays(self.arrays["record"], self.arrays["record_obs"])

    def copy(self) -> DQNAgent:
        """An independent copy whose replay buffer takes memory for its filled rows only (the
        app keeps a copy every second to recover from a failure: a copy of a large, mostly
        empty buffer would double the app's memory for nothing)."""
        fill = self.buffer_fill
        memo: dict = {id(self.model): self.model}
        for name in BUFFER_ARRAYS:  # (the trees are copied whole: a few numbers per transition)
            original = self.arrays[name]
            lazy = np.zeros(original.shape, original.dtype)  # (calloc: untouched pages are free)
            lazy[:fill] = original[:fill]
            memo[id(original)] = lazy
        return copy.deepcopy(self, memo)

    # -- the network alone --------------------------------------------------------------------
    #: What a network is: its weights, its target's, and Adam's moments.
    NETWORK_ARRAYS = ("theta", "target", "adam_m", "adam_v")

    def network(self) -> dict[str, np.ndarray]:
        """A copy of the network (weights, target, optimizer state), to bring back later."""
        return {name: self.arrays[name].copy() for name in self.NETWORK_ARRAYS}

    def restore_network(self, network: dict[str, np.ndarray]) -> None:
        """Put back a :meth:`network` (the replay buffer, the counters and the episode go on)."""
        self.settle()
        for name in self.NETWORK_ARRAYS:
            if network[name].shape != self.arrays[name].shape:
                raise ConfigError("that network has other layer sizes than this one")
        for name in self.NETWORK_ARRAYS:
            self.arrays[name][:] = network[name]

    def q_bound(self) -> float | None:
        """What no state's value can exceed: the largest reward's size over 1 - gamma (a
        return is at most that), where the env's rewards are known to be bounded (CartPole's
        +1 a step, a discrete world's table); None elsewhere, or with gamma 1."""
        gamma = self.config.gamma
        if gamma >= 1.0:
            return None
        if self.env_type == kernel.CARTPOLE:
            r_max = 1.0
        elif self.model is not None:
            r_max = float(np.max(np.abs(self.model.reward)))
        else:
            return None
        return r_max / (1.0 - gamma)

    def recent_q_max(self, rows: int = 256) -> float:
        """The largest |Q(s, a)| over the last ``rows`` observations stored (and the current
        one): where a diverging network shows first."""
        fill, pos = self.buffer_fill, int(self.arrays["cursor"][kernel.C_POS])
        take = min(rows, fill)
        index = (pos - 1 - np.arange(take)) % self.arrays["buf_obs"].shape[0]
        seen = self.arrays["buf_obs"][index]
        current = np.array([[self.state]], float) if self.model is not None else self.obs[None]
        values = self.q_values(np.concatenate([seen, current]))
        return float(np.max(np.abs(values)))

    @property
    def buffer_fill(self) -> int:
        return int(self.arrays["cursor"][kernel.C_FILL])

    @property
    def target_syncs(self) -> int:
        return int(self.arrays["cursor"][kernel.C_SYNCS])

    @property
    def last_sync_step(self) -> int:
        return int(self.arrays["cursor"][kernel.C_LAST_SYNC])

    @property
    def updates(self) -> int:
        return int(self.arrays["cursor"][kernel.C_UPDATES])

    @property
    def losses(self) -> np.ndarray:
        """Mean TD loss per history bin (NaN where no update ran), aligned with the history."""
        means = self.history.means()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(means["updated"] > 0, means["td_loss"] / means["updated"], np.nan)

    def epsilon_now(self) -> float:
        return self.config.epsilon_at(self.total_steps)

    # -- panels and chart -----------------------------------------------------------------------
    def details(self) -> NetworkState:
        losses = self.losses
        recent = np.asarray(losses[-20:], dtype=np.float64) if len(losses) else np.empty(0)
        recent = recent[np.isfinite(recent)]
        return NetworkState(
            buffer_fill=self.buffer_fill,
            target_syncs=self.target_syncs,
            last_sync_step=self.last_sync_step,
            recent_loss=float(recent.mean()) if len(recent) else math.nan,
            updates=self.updates,
        )

    def chart_extras(self, means: dict, time_step: np.ndarray) -> tuple:
        """The mean TD loss per episode (bins without an update carry the last one) and the
        exploration rate each bin ended at (the linear schedule, or the constant set live)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = np.where(means["updated"] > 0, means["td_loss"] / means["updated"], np.nan)
        epsilon = self.config.epsilon_at(time_step)
        return (
            ("td_loss", "mean TD loss (Huber) per episode", _carry_forward(loss)),
            ("epsilon", "exploration rate ε", epsilon),
        )

    def chart_marks(self, most: int) -> tuple[str, int, np.ndarray | None]:
        """The target network's updates: they fall on the multiples of
        target_network_frequency past learning_starts (under the run's current settings)."""
        c = self.config
        every, total = c.target_network_frequency, self.total_steps
        first = (c.learning_starts // every + 1) * every
        label = "target update"
        if total < first:
            return label, every, np.empty(0)
        if (total - first) // every + 1 > most:
            return label, every, None
        return label, every, np.arange(first, total + 1, every, dtype=np.float64)


def _live(name: str) -> None:
    if name not in ("epsilon", "learning_rate", "gamma"):
        raise ConfigError(
            f"a network has no live setting {name!r}; it has epsilon, learning_rate, gamma"
        )


def _carry_forward(values: np.ndarray) -> np.ndarray:
    """NaN gaps filled with the last value before them (leading ones with the first value)."""
    known = np.isfinite(values)
    if not known.any():
        return np.zeros_like(values)
    index = np.where(known, np.arange(len(values)), 0)
    np.maximum.accumulate(index, out=index)
    filled = values[index]
    filled[: np.argmax(known)] = values[np.argmax(known)]
    return filled
