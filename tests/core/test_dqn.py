"""The DQN core: its network against finite differences, Adam and the target update by hand,
the replay ring, terminated against truncated targets, CartPole against Gymnasium, determinism,
save and resume, and a chain MDP learnt to its exact Q."""

from __future__ import annotations

import copy
import math

import gymnasium as gym
import numpy as np
import pytest
from mdps import DQN_SMALL, chain_model

from tui_taxi.core.agent import load as load_any
from tui_taxi.core.dqn import kernel as K
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import PRESETS, DQNConfig
from tui_taxi.core.errors import ConfigError, SaveFileError
from tui_taxi.core.optimal import solve
from tui_taxi.core.rng import make_rng
from tui_taxi.core.tabular import TabularAgent, TrainConfig

# DQN's one-step targets (the refinements' own tests cover n-step returns)
SMALL = {**DQN_SMALL, "n_step": 1}


def _net(sizes, index_input=False, seed=0):
    w_off, b_off, a_off, n = K.layout(sizes)
    theta = np.random.default_rng(seed).normal(size=n)
    return theta, np.array(sizes, np.int64), w_off, b_off, a_off, index_input


def _q(theta, sizes, w_off, b_off, a_off, index_input, x, dueling=False):
    acts = np.zeros(a_off[-1])
    K.forward(theta, sizes, w_off, b_off, a_off, index_input, dueling, x, acts)
    return acts[a_off[len(sizes) - 1] :].copy(), acts


@pytest.mark.parametrize("dueling", [False, True], ids=["plain", "dueling"])
@pytest.mark.parametrize("index_input", [False, True])
def test_backward_matches_finite_differences(index_input, dueling):
    """The gradient of Q(x, a) against central differences, for each weight; a dueling head's
    Q = V + A - mean A too (its last layer: three advantages and a value)."""
    sizes = (5, 7, 6, 4 if dueling else 3)
    theta, sizes_a, w_off, b_off, a_off, _ = _net(sizes, index_input)
    x = np.array([3.0]) if index_input else np.random.default_rng(1).normal(size=5)
    action = 2
    _, acts = _q(theta, sizes_a, w_off, b_off, a_off, index_input, x, dueling)
    grad = np.zeros_like(theta)
    K.backward(
        theta,
        grad,
        sizes_a,
        w_off,
        b_off,
        a_off,
        index_input,
        dueling,
        x,
        acts,
        np.zeros_like(acts),
        action,
        1.0,
    )
    h = 1e-6
    for i in range(len(theta)):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += h
        minus[i] -= h
        numeric = (
            _q(plus, sizes_a, w_off, b_off, a_off, index_input, x, dueling)[0][action]
            - _q(minus, sizes_a, w_off, b_off, a_off, index_input, x, dueling)[0][action]
        ) / (2 * h)
        assert grad[i] == pytest.approx(numeric, abs=1e-5), i


def test_forward_is_the_layers_by_hand():
    # 2 inputs -> 2 ReLU units -> 1 output, weights chosen so one unit is cut by the ReLU
    sizes = (2, 2, 1)
    w_off, b_off, a_off, n = K.layout(sizes)
    theta = np.zeros(n)
    theta[w_off[0] : w_off[0] + 4] = [1.0, -1.0, 2.0, 1.0]  # W1 rows: input 0, input 1
    theta[b_off[0] : b_off[0] + 2] = [0.5, 0.0]
    theta[w_off[1] : w_off[1] + 2] = [3.0, 5.0]
    theta[b_off[1]] = -1.0
    q, _ = _q(theta, np.array(sizes, np.int64), w_off, b_off, a_off, False, np.array([1.0, 1.0]))
    # hidden: [1 + 2 + 0.5, -1 + 1 + 0] = [3.5, 0]; output 3 * 3.5 + 5 * 0 - 1 = 9.5
    assert q[0] == pytest.approx(9.5)


def test_huber_loss_and_its_slope():
    assert K.huber(0.5) == (0.125, 0.5)
    assert K.huber(-3.0) == (2.5, -1.0)
    for delta in (-2.0, -0.3, 0.7, 4.0):
        h = 1e-6
        numeric = (K.huber(delta + h)[0] - K.huber(delta - h)[0]) / (2 * h)
        assert K.huber(delta)[1] == pytest.approx(numeric, abs=1e-6)


def test_adam_first_step_moves_each_weight_by_the_learning_rate():
    # bias-corrected, Adam's first step is lr * g / (|g| + eps): lr in the direction of -g
    theta = np.array([1.0, -2.0])
    grad = np.array([2.0, -0.001])
    K.clip_and_adam(theta, grad, np.zeros(2), np.zeros(2), 1, 0.1, 0.0)
    assert theta == pytest.approx([0.9, -1.9], abs=1e-6)


def test_adam_descends_a_quadratic_to_its_minimum():
    theta, m, v = np.array([5.0]), np.zeros(1), np.zeros(1)
    for t in range(1, 2001):
        K.clip_and_adam(theta, 2.0 * (theta - 3.0), m, v, t, 0.05, 0.0)
    assert theta[0] == pytest.approx(3.0, abs=1e-3)


def test_gradient_clipping_keeps_the_direction_at_the_norm():
    theta, grad = np.zeros(2), np.array([3.0, 4.0])
    m, v = np.zeros(2), np.zeros(2)
    K.clip_and_adam(theta, grad, m, v, 1, 0.0, 1.0)
    assert grad == pytest.approx([0.6, 0.8], abs=1e-6)


def test_polyak_averaging_and_hard_copies():
    target, theta = np.array([0.0, 10.0]), np.array([4.0, 2.0])
    K.soft_update(target, theta, 0.25)
    assert target == pytest.approx([1.0, 8.0])
    K.soft_update(target, theta, 1.0)
    assert np.array_equal(target, theta)


def test_the_target_network_is_frozen_between_syncs():
    agent = DQNAgent(DQNConfig(**SMALL, seed=1))
    for _ in range(60):
        before = agent.arrays["target"].copy()
        record, _ = agent.step()
        total = agent.total_steps
        due = total > SMALL["learning_starts"] and total % SMALL["target_network_frequency"] == 0
        assert record.target_synced == due
        if due:
            assert np.array_equal(agent.arrays["target"], agent.arrays["theta"])
            assert agent.last_sync_step == total
        else:
            assert np.array_equal(agent.arrays["target"], before)
    assert agent.target_syncs == 4  # steps 30, 40, 50, 60


def test_the_buffer_is_a_ring_of_the_latest_transitions():
    agent = DQNAgent(DQNConfig(**{**SMALL, "buffer_size": 10, "learning_starts": 1000}, seed=2))
    seen = []
    for _ in range(25):
        record, _ = agent.step()
        seen.append((record.action, tuple(record.obs), record.reward))
    assert agent.buffer_fill == 10
    for i, (action, obs, reward) in enumerate(seen[-10:], start=15):
        slot = i % 10
        assert agent.arrays["buf_action"][slot] == action
        assert tuple(agent.arrays["buf_obs"][slot]) == obs
        assert agent.arrays["buf_reward"][slot] == reward


def test_sampling_is_uniform_over_the_filled_part():
    # the kernel's index: floor(u * fill) for u uniform on [0, 1) from the explicit generator
    rng = make_rng(5)
    from tui_taxi.core.rng import uniform

    counts = np.bincount([int(uniform(rng) * 7) for _ in range(70_000)], minlength=7)
    assert counts.shape == (7,)
    expected = 10_000
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 22.5  # the 0.999 quantile of chi-square with 6 degrees of freedom


def test_truncation_bootstraps_and_termination_does_not():
    # the chain: RIGHT from 2 terminates with +10; a 3-step limit truncates other episodes
    model = chain_model(max_episode_steps=3)
    agent = DQNAgent(
        DQNConfig(
            env_id="Chain",
            **{**SMALL, "buffer_size": 500, "gamma": 0.9},
            start_e=1.0,
            end_e=1.0,
            seed=3,
        ),
        model=model,
    )
    terminal_targets = bootstrapped = 0
    for _ in range(400):
        record, batch = agent.step()
        if len(batch):
            ended_by_limit = not record.terminated
            assert record.truncated == ended_by_limit
        if record.updated:
            if record.sample_terminated:
                assert record.bootstrap == 0.0
                assert record.td_target == record.sample_reward == 10.0
                terminal_targets += 1
            else:
                assert record.td_target == pytest.approx(
                    record.sample_reward + 0.9 * record.bootstrap
                )
                bootstrapped += 1
    fill = agent.buffer_fill
    stored_terminal = agent.arrays["buf_terminated"][:fill]
    next_states = agent.arrays["buf_next"][:fill, 0]
    # only the +10 step is stored as terminal; a time-limit cut is not
    assert np.array_equal(stored_terminal, next_states == 3)
    assert terminal_targets > 0 and bootstrapped > 0


def test_cartpole_steps_as_gymnasiums():
    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(7)
    for _ in range(2000):
        state = rng.uniform([-2.5, -3, -0.25, -3.5], [2.5, 3, 0.25, 3.5])
        action = int(rng.integers(2))
        env.state, env.steps_beyond_terminated = state.copy(), None
        obs, reward, terminated, _, _ = env.step(action)
        ours = state.copy()
        assert K.cartpole_step(ours, action) == terminated
        np.testing.assert_array_equal(ours, env.state)  # float64 bit for bit
        np.testing.assert_array_equal(ours.astype(np.float32), obs)
        assert reward == 1.0


def test_a_time_limit_ends_cartpole_episodes_as_successes_not_falls():
    agent = DQNAgent(DQNConfig(max_steps=5, seed=4, learning_starts=1000))
    batch = agent.train(episodes=3)
    assert list(batch.episodic_length) == [5, 5, 5]
    assert batch.success.all()
    assert not agent.arrays["buf_terminated"][: agent.buffer_fill].any()


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Chain", "Acrobot-v1"])
def test_any_chunking_gives_the_same_run(env_id):
    model = chain_model(max_episode_steps=6) if env_id == "Chain" else None
    config = DQNConfig(env_id=env_id, **{**SMALL, "gradient_steps": 4}, seed=6)
    whole = DQNAgent(config, model=model)
    whole.train(steps=300)
    stepped = DQNAgent(config, model=model)
    for _ in range(300):
        stepped.step()
    chunked = DQNAgent(config, model=model)
    for n in (1, 7, 92, 200):
        chunked.train(steps=n)
    budgeted = DQNAgent(config, model=model)  # rounds cut by an update budget, as in turbo
    cut = 0
    while budgeted.total_steps < 300 or budgeted.in_step:
        budgeted.train(steps=300 - budgeted.total_steps, work=3)
        cut += budgeted.in_step
    assert cut > 0  # some calls did stop in the middle of a round
    for other in (stepped, chunked, budgeted):
        for name in ("theta", "target", "adam_m", "adam_v", "rng", "cursor", "buf_obs"):
            np.testing.assert_array_equal(whole.arrays[name], other.arrays[name])
        assert whole.history.episodes == other.history.episodes


def test_save_and_resume_equals_never_stopping(tmp_path):
    config = DQNConfig(**SMALL, seed=8)
    a = DQNAgent(config)
    a.train(steps=150)
    a.save(tmp_path / "a.npz", buffer=True)
    b = DQNAgent.load(tmp_path / "a.npz")
    a.train(steps=200)
    b.train(steps=200)
    for name in a.arrays:
        np.testing.assert_array_equal(a.arrays[name], b.arrays[name])
    assert a.history.recent_mean_return() == b.history.recent_mean_return()


def test_a_box_env_is_stepped_by_gymnasium_and_stored_as_it_returned():
    # Acrobot: no model the kernel steps; the agent's transitions must be Gymnasium's own
    agent = DQNAgent(DQNConfig(env_id="Acrobot-v1", **SMALL, seed=3))
    assert agent.env_type == K.GYM and agent.obs_dim == 6 and agent.time_limit == 500
    twin = copy.deepcopy(agent._gym)  # the env as the agent's episode starts
    obs = agent.obs
    actions = [0, 2, 2, 1, 0, 0, 2, 1] * 5
    for i, action in enumerate(actions):
        record, _ = agent.step(action)
        expected, reward, terminated, _, _ = twin.step(action)
        assert record.action == action and record.reward == reward == -1.0
        assert not terminated and not record.terminated
        np.testing.assert_array_equal(agent.arrays["buf_obs"][i], obs)
        np.testing.assert_array_equal(agent.arrays["buf_next"][i], np.asarray(expected, np.float64))
        obs = agent.obs
        np.testing.assert_array_equal(obs, np.asarray(expected, np.float64))
    assert agent.buffer_fill == len(actions) and agent.updates > 0


def test_a_box_env_resumes_from_a_save_with_a_fresh_episode(tmp_path):
    a = DQNAgent(DQNConfig(env_id="Acrobot-v1", **SMALL, seed=4))
    a.train(steps=130)
    b = DQNAgent.load(a.save(tmp_path / "a.npz", buffer=True))
    assert b.env_type == K.GYM and b.total_steps == 130 and b.t == 0  # its internals: not saved
    np.testing.assert_array_equal(a.arrays["theta"], b.arrays["theta"])
    low, high = b.obs_bounds
    assert np.all((low <= b.obs) & (b.obs <= high))
    b.train(steps=50)
    assert b.total_steps == 180


def test_a_step_left_half_done_is_finished_before_a_save(tmp_path):
    config = DQNConfig(**SMALL, seed=8)
    a, b = DQNAgent(config), DQNAgent(config)
    a.train(steps=150)
    while not b.in_step:
        b.train(steps=1, work=0)
    b.save(tmp_path / "b.npz", buffer=True)
    assert not b.in_step
    c = DQNAgent.load(tmp_path / "b.npz")
    for agent in (b, c):
        agent.train(steps=150 - agent.total_steps)
        for name in a.arrays:
            np.testing.assert_array_equal(a.arrays[name], agent.arrays[name])


def test_a_save_without_its_buffer_starts_with_an_empty_one(tmp_path):
    a = DQNAgent(DQNConfig(**SMALL, seed=9))
    a.train(steps=50)
    b = load_any(a.save(tmp_path / "a.npz"))
    assert isinstance(b, DQNAgent) and b.buffer_fill == 0 and b.total_steps == 50
    np.testing.assert_array_equal(a.arrays["theta"], b.arrays["theta"])
    b.train(steps=10)  # and it trains on


def test_load_any_tells_the_kinds_apart(tmp_path):
    session = TabularAgent(TrainConfig(seed=1))
    assert isinstance(load_any(session.save(tmp_path / "t.npz")), TabularAgent)


@pytest.mark.parametrize("damage", ["truncated", "shape", "nan", "config"])
def test_bad_dqn_files_are_one_line_errors_and_nothing_loads(tmp_path, damage):
    a = DQNAgent(DQNConfig(**SMALL, seed=10))
    a.train(steps=30)
    path = a.save(tmp_path / "a.npz")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-200])
    else:
        arrays = dict(np.load(path))
        if damage == "shape":
            arrays["theta"] = arrays["theta"][:-1]
        elif damage == "nan":
            arrays["target"][3] = np.nan
        else:
            arrays["header"] = np.array(str(arrays["header"]).replace('"tau": 1.0', '"tau": 7.0'))
        np.savez(path, **arrays)
    with pytest.raises(SaveFileError) as caught:
        load_any(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_chain_mdp_is_learnt_to_its_exact_q():
    model = chain_model(max_episode_steps=50)
    config = DQNConfig(
        env_id="Chain",
        gamma=0.9,
        learning_starts=100,
        train_frequency=1,
        gradient_steps=1,
        target_network_frequency=100,
        hidden=(32,),
        learning_rate=3e-3,
        batch_size=32,
        total_timesteps=6000,
        exploration_fraction=0.5,
        end_e=0.2,
        buffer_size=2000,
        n_step=1,  # (n-step returns under exploration learn the behaviour's values, not Q*)
        seed=0,
    )
    agent = DQNAgent(config, model=model)
    agent.train(steps=6000)
    exact = solve(model, 0.9).q  # by value iteration; by hand: Q(2, RIGHT) = 10, Q(1, RIGHT) = 8
    np.testing.assert_allclose(agent.q_table()[:3], exact[:3], atol=0.05)
    assert exact[2, 1] == 10.0 and exact[1, 1] == pytest.approx(8.0)


def test_config_errors_name_the_setting():
    for bad, word in (
        (dict(learning_rate=0.0), "learning-rate"),
        (dict(tau=1.5), "tau"),
        (dict(hidden=(0,)), "hidden"),
        (dict(batch_size=True), "batch-size"),
        (dict(gamma=math.nan), "gamma"),
    ):
        with pytest.raises(ConfigError, match=word):
            DQNConfig(**bad)
    with pytest.raises(ConfigError, match="Blackjack"):
        DQNAgent(DQNConfig(env_id="Blackjack-v1"))


def test_the_keras_rl_preset_is_the_courses_recipe():
    p = PRESETS["keras-rl"]
    assert (
        p.env_id,
        p.hidden,
        p.start_e,
        p.end_e,
        p.buffer_size,
        p.learning_starts,
        p.tau,
        p.learning_rate,
        p.total_timesteps,
    ) == ("CartPole-v0", (16,), 0.1, 0.1, 50_000, 10, 0.01, 1e-3, 5_000)
    assert DQNAgent(p).time_limit == 200


def test_a_buffer_the_machine_cannot_hold_is_refused_before_it_is_allocated(tmp_path, monkeypatch):
    """10,000,000 CartPole transitions take 10**7 x (2 x 4 x 8 + 8 + 8 + 1 + 1) = 820,000,000
    bytes (782.0 MiB) when full (prioritized replay's two trees add 2 x 2 x 2**24 x 8 bytes:
    1,356,870,912 bytes, 1.3 GiB, in all): with 200 MiB available, making or loading such an agent is a
    one-line error naming both, before anything is allocated; a save of a small run whose
    header asks for one (170 KB on disk) is refused the same way."""
    import tui_taxi.core.agent as agent_module

    big = DQNConfig(buffer_size=10_000_000, seed=0)
    saved = DQNAgent(big)
    saved.train(steps=300)
    path = tmp_path / "big.npz"
    saved.save(path)
    monkeypatch.setattr(agent_module, "available_memory", lambda: 200 * 2**20)
    message = (
        "a replay buffer of 10,000,000 transitions needs 782.0 MiB, and this machine has "
        "200.0 MiB available"
    )
    with pytest.raises(ConfigError) as info:
        DQNAgent(big)
    assert str(info.value) == message
    with pytest.raises(ConfigError) as info:
        DQNAgent(big.replace(prioritized=True))
    assert "needs 1.3 GiB," in str(info.value)
    with pytest.raises((ConfigError, SaveFileError)) as info:
        load_any(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    DQNAgent(DQNConfig(buffer_size=100_000, seed=0))  # 8.1 MB: fine


def test_a_copy_takes_the_filled_rows_of_the_buffer_and_is_the_same_agent():
    agent = DQNAgent(DQNConfig(buffer_size=50_000, seed=1, learning_starts=100))
    agent.train(steps=700)
    twin = agent.copy()
    for name, array in agent.arrays.items():
        np.testing.assert_array_equal(array, twin.arrays[name])
        assert array is not twin.arrays[name]
    agent.train(steps=300)
    twin.train(steps=300)
    np.testing.assert_array_equal(agent.arrays["theta"], twin.arrays["theta"])


def test_a_dueling_head_is_v_plus_a_minus_the_mean_of_a_by_hand():
    # one hidden unit of value 1 (bias 1, no weights from the input), a head of 2 advantages
    # and a value: A = (3, 1), V = 10, so Q = 10 + (3, 1) - 2 = (11, 9)
    sizes = (1, 1, 3)
    w_off, b_off, a_off, n = K.layout(sizes)
    theta = np.zeros(n)
    theta[b_off[0]] = 1.0
    theta[w_off[1] : w_off[1] + 3] = [3.0, 1.0, 10.0]
    q, acts = _q(theta, np.array(sizes, np.int64), w_off, b_off, a_off, False, np.zeros(1), True)
    assert list(q[:2]) == [11.0, 9.0] and q[2] == 10.0  # Q(s, ·), then V(s)


def test_a_dueling_network_learns_runs_the_same_twice_and_resumes_from_its_save(tmp_path):
    config = DQNConfig(seed=4, dueling=True, **SMALL)
    one, two = DQNAgent(config), DQNAgent(config)
    assert one.sizes[-1] == 3  # CartPole's two advantages and a value
    one.train(steps=400)
    two.train(steps=400)
    np.testing.assert_array_equal(one.arrays["theta"], two.arrays["theta"])
    assert one.q_values(np.zeros((1, 4))).shape == (1, 2)
    path = one.save(tmp_path / "duel.npz", buffer=True)
    again = DQNAgent.load(path)
    assert again.config.dueling
    one.train(steps=200)
    again.train(steps=200)
    np.testing.assert_array_equal(one.arrays["theta"], again.arrays["theta"])


def _as_version(saved: dict, header: dict, version: int, drop=()) -> dict:
    """A save as version ``version`` wrote it (from this version's arrays): without the config
    fields added since (and ``drop``), the arrays version 5 added, and the record's newer tail."""
    import json

    added = {4: ("dueling",), 5: ("prioritized", "prioritized_alpha", "prioritized_beta0")}
    added[5] += ("prioritized_eps", "n_step")
    gone = {name for since, names in added.items() if version < since for name in names}
    config = {k: v for k, v in header["config"].items() if k not in gone | set(drop)}
    old = dict(saved, header=np.array(json.dumps(dict(header, version=version, config=config))))
    if version < 5:
        for name in ("buf_end", "per_sum", "per_min"):
            old.pop(name, None)
        old["record"] = saved["record"][: K.R_SAMPLE_STEPS]
    return old


def test_saves_from_before_the_dueling_head_and_prioritized_replay_load_as_plain_networks(
    tmp_path,
):
    """Version 3 saves have no ``dueling`` in their config, version 4 saves no prioritized
    replay or n-step fields (nor their arrays): they are plain one-step networks and go on as
    the run they were (a buffer's episode ends are its terminations); a header with a field
    its version did not have, or without one it had, is refused."""
    import json

    agent = DQNAgent(DQNConfig(seed=2, **SMALL))
    agent.train(steps=100)
    path = agent.save(tmp_path / "now.npz", buffer=True)
    saved = dict(np.load(path, allow_pickle=False))
    header = json.loads(str(saved["header"][()]))
    assert header["version"] == 5 and header["config"]["dueling"] is False

    def write(name, version, drop=(), extra=None):
        old = _as_version(saved, header, version, drop)
        if extra:
            raw = json.loads(str(old["header"][()]))
            raw["config"].update(extra)
            old["header"] = np.array(json.dumps(raw))
        target = tmp_path / name
        np.savez(target, **old)
        return target

    for version in (3, 4):
        before = DQNAgent.load(write(f"v{version}.npz", version))
        assert not before.config.dueling and not before.config.prioritized
        assert before.config.n_step == 1
        np.testing.assert_array_equal(before.arrays["theta"], agent.arrays["theta"])
        np.testing.assert_array_equal(before.arrays["buf_end"], agent.arrays["buf_terminated"])
        twin = copy.deepcopy(agent)
        twin.train(steps=60)
        before.train(steps=60)
        np.testing.assert_array_equal(before.arrays["theta"], twin.arrays["theta"])
    for name, version, drop, extra in (
        ("v3x.npz", 3, (), {"dueling": False}),
        ("v4x.npz", 4, ("dueling",), None),
        ("v4p.npz", 4, (), {"n_step": 1}),
        ("v5x.npz", 5, ("n_step",), None),
    ):
        with pytest.raises(SaveFileError):
            DQNAgent.load(write(name, version, drop, extra))
