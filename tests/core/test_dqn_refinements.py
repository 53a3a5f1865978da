"""Rainbow's first pieces in the DQN kernel: prioritized replay's sum-tree against the
priorities it holds (statistically), its importance-sampling weights by hand, n-step returns on
hand-made trajectories (an episode's end and a truncation inside the n steps, the newest
transition, the ring's wrap), and each piece deterministic and resumable from a save."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from mdps import DQN_SMALL, chain_model

from tui_taxi.core.dqn import kernel as K
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.errors import ConfigError, SaveFileError

SMALL = DQN_SMALL
PIECES = {
    "prioritized": {"prioritized": True, "n_step": 1},
    "3-step": {"n_step": 3},
    "all": {"prioritized": True, "n_step": 3, "double": True, "dueling": True},
}


def _trees(priorities, capacity):
    leaves = K.tree_leaves(capacity)
    per_sum, per_min = np.zeros(2 * leaves), np.full(2 * leaves, np.inf)
    for i, p in enumerate(priorities):
        K.tree_set(per_sum, per_min, i, p)
    return per_sum, per_min


def test_the_sum_tree_holds_the_sum_and_the_least_of_its_priorities():
    assert [K.tree_leaves(c) for c in (1, 2, 5, 8, 9, 100_000)] == [1, 2, 8, 8, 16, 131_072]
    per_sum, per_min = _trees([0.5, 2.0, 1.25, 4.0, 0.75], capacity=6)
    assert per_sum[1] == 8.5 and per_min[1] == 0.5 and per_sum[0] == 4.0  # node 0: the largest
    K.tree_set(per_sum, per_min, 0, 3.0)  # a priority changed: the nodes above it follow
    assert per_sum[1] == 11.0 and per_min[1] == 0.75 and per_sum[0] == 4.0


def test_the_sum_tree_draws_each_transition_in_proportion_to_its_priority():
    priorities = np.array([1.0, 2.0, 3.0, 0.5, 4.0])  # five of eight leaves filled
    per_sum, _ = _trees(priorities, capacity=7)
    draws = np.random.default_rng(0).uniform(0.0, per_sum[1], 100_000)
    found = np.array([K.tree_find(per_sum, u) for u in draws])
    counts = np.bincount(found, minlength=8)
    assert counts[5:].sum() == 0  # the empty leaves: never
    expected = 100_000 * priorities / priorities.sum()
    chi2 = float(((counts[:5] - expected) ** 2 / expected).sum())
    assert chi2 < 18.47  # the 0.999 quantile of chi-square with 4 degrees of freedom
    # the edges: the top of the range, and each boundary between two transitions
    bounds = np.cumsum(priorities)
    assert K.tree_find(per_sum, np.nextafter(per_sum[1], 0)) == 4
    assert [K.tree_find(per_sum, b) for b in bounds[:-1]] == [1, 2, 3, 4]


def test_a_sum_rounded_past_the_filled_leaves_still_finds_a_filled_one():
    per_sum, _ = _trees([0.1, 0.2, 0.3], capacity=4)
    assert K.tree_find(per_sum, per_sum[1] * 1.000001) == 2  # never the empty leaf 3


def _sample_weights(per_sum, fill, beta):
    """Schaul et al.'s definition: P(i) = p_i / sum p, w_i = (N P(i))^-beta / max_j w_j."""
    leaves = per_sum.shape[0] // 2
    p = per_sum[leaves : leaves + fill]
    probability = p / p.sum()
    w = (fill * probability) ** -beta
    return p, probability, w / w.max()


def test_prioritized_replay_draws_by_priority_and_weighs_by_importance_sampling():
    config = DQNConfig(seed=1, prioritized=True, total_timesteps=400, **SMALL)
    agent = DQNAgent(config)
    checked = 0
    for _ in range(300):
        before = agent.arrays["per_sum"].copy()
        pos = int(agent.arrays["cursor"][K.C_POS])
        record, _ = agent.step()
        if not record.updated:
            continue
        # the step stored its transition at the largest priority before its gradient step
        leaves = before.shape[0] // 2
        before[leaves + pos] = before[0]
        fill = agent.buffer_fill
        beta = 0.4 + 0.6 * min(1.0, agent.total_steps / 400)
        p, probability, weight = _sample_weights(before, fill, beta)
        drawn = np.flatnonzero(p == record.sample_priority)
        assert len(drawn)
        assert record.sample_probability == pytest.approx(probability[drawn[0]], rel=1e-12)
        assert record.sample_weight == pytest.approx(weight[drawn[0]], rel=1e-9)
        # after the step, the drawn transition's priority is (|delta| + eps)^alpha (unless
        # drawn again later in the batch), and the new largest is kept in node 0
        after = agent.arrays["per_sum"][leaves : leaves + fill]
        new = (abs(record.td_error) + 1e-6) ** 0.6
        assert np.any(np.isclose(after, new, rtol=1e-12))
        assert agent.arrays["per_sum"][0] == max(before[0], after.max())
        checked += 1
    assert checked > 100


def test_n_step_returns_by_hand():
    """gamma 0.5, rewards 1..6; transition 3 terminates, transition 1 is a truncation (its
    episode ends without terminating), transitions 0-5 stored in a ring of 8 (the next write at
    6)."""
    rewards = np.arange(1.0, 9.0)
    terminated = np.zeros(8, np.bool_)
    ended = np.zeros(8, np.bool_)
    terminated[3] = ended[3] = ended[1] = True

    def ret(i, n, pos=6):
        return K.n_step_return(rewards, terminated, ended, i, pos, n, 0.5)

    assert ret(0, 1) == (1.0, 0.5, 0)  # one step: r + gamma * bootstrap of s'
    assert ret(0, 3) == (1.0 + 0.5 * 2.0, 0.25, 1)  # cut at the truncation: bootstraps there
    assert ret(2, 3) == (3.0 + 0.5 * 4.0, 0.0, 3)  # cut at the termination: no bootstrap
    assert ret(3, 3) == (4.0, 0.0, 3)
    assert ret(4, 3) == (5.0 + 0.5 * 6.0, 0.25, 5)  # the newest transition: bootstraps there
    assert ret(4, 2, pos=7) == (5.0 + 0.5 * 6.0, 0.25, 5)
    assert ret(4, 3, pos=7) == (5.0 + 0.5 * 6.0 + 0.25 * 7.0, 0.125, 6)
    # a full ring of 4 whose oldest transition (the next written) is 1: from 2 it wraps to 0
    ring = np.array([10.0, 20.0, 30.0, 40.0])
    none = np.zeros(4, np.bool_)
    assert K.n_step_return(ring, none, none, 2, 1, 5, 0.5) == (30.0 + 20.0 + 2.5, 0.125, 0)


def test_an_agents_n_step_targets_sum_the_stored_rewards_and_stop_at_the_end():
    # the chain: RIGHT from 2 terminates with +10; the rest reward 0 or -1
    config = DQNConfig(
        env_id="Chain",
        **{**SMALL, "buffer_size": 500, "gamma": 0.9},
        n_step=3,
        start_e=1.0,
        end_e=1.0,
        seed=3,
    )
    agent = DQNAgent(config, model=chain_model(max_episode_steps=6))
    lengths = set()
    for _ in range(600):
        record, _ = agent.step()
        if record.updated:
            rewards = record.sample_rewards
            assert len(rewards) == record.sample_steps and rewards[0] == record.sample_reward
            lengths.add(len(rewards))
            discounted = sum(r * 0.9**k for k, r in enumerate(rewards))
            if record.sample_terminated:
                assert record.sample_discount == 0.0 and record.bootstrap == 0.0
            else:
                assert record.sample_discount == pytest.approx(0.9 ** len(rewards))
            assert record.td_target == pytest.approx(
                discounted + record.sample_discount * record.bootstrap
            )
    assert lengths == {1, 2, 3}  # whole returns, and returns cut by an episode's end


def test_a_step_not_stored_or_an_abandoned_episode_ends_the_trajectory():
    agent = DQNAgent(DQNConfig(seed=0, n_step=3, **SMALL))
    for _ in range(5):
        agent.step()
    assert not agent.arrays["buf_end"][:5].any()
    agent.step(learn=False)  # not stored: transition 4 and the next are not one trajectory
    assert agent.buffer_fill == 5 and agent.arrays["buf_end"][4]
    agent.step()
    agent.new_episode()
    assert agent.arrays["buf_end"][5]


@pytest.mark.parametrize("pieces", PIECES.values(), ids=PIECES.keys())
def test_each_piece_runs_the_same_twice_in_any_chunks_and_resumes_from_its_save(tmp_path, pieces):
    config = DQNConfig(seed=4, **SMALL, **pieces)
    one, two = DQNAgent(config), DQNAgent(config)
    one.train(steps=400)
    for _ in range(8):
        two.train(steps=37)
    two.train(steps=400 - 8 * 37)
    for name in ("theta", "per_sum", "per_min", "buf_end"):
        np.testing.assert_array_equal(one.arrays[name], two.arrays[name])
    path = one.save(tmp_path / "run.npz", buffer=True)
    again = DQNAgent.load(path)
    assert again.config == one.config
    one.train(steps=300)
    again.train(steps=300)
    np.testing.assert_array_equal(one.arrays["theta"], again.arrays["theta"])
    np.testing.assert_array_equal(one.arrays["per_sum"], again.arrays["per_sum"])


def test_a_save_whose_priorities_disagree_with_their_tree_is_refused(tmp_path):
    agent = DQNAgent(DQNConfig(seed=2, prioritized=True, **SMALL))
    agent.train(steps=100)
    path = agent.save(tmp_path / "per.npz", buffer=True)
    saved = dict(np.load(path, allow_pickle=False))
    leaves = saved["per_sum"].shape[0] // 2
    for name, damage in (
        ("leaf.npz", lambda s: s.__setitem__(leaves + 3, s[leaves + 3] * 2)),
        ("zero.npz", lambda s: s.__setitem__(leaves + 3, 0.0)),
        ("past.npz", lambda s: s.__setitem__(leaves + 63, 1.0)),
    ):
        per_sum = saved["per_sum"].copy()
        damage(per_sum)
        np.savez(tmp_path / name, **dict(saved, per_sum=per_sum))
        with pytest.raises(SaveFileError):
            DQNAgent.load(tmp_path / name)
    copy.deepcopy(DQNAgent.load(path))  # the undamaged save loads


def test_bad_refinement_settings_name_the_setting():
    for changes, name in (
        ({"n_step": 0}, "n-step"),
        ({"n_step": 11}, "n-step"),
        ({"prioritized_alpha": 1.5}, "prioritized-alpha"),
        ({"prioritized_beta0": -0.1}, "prioritized-beta0"),
        ({"prioritized_eps": 0.0}, "prioritized-eps"),
        ({"prioritized": 1}, "prioritized"),
    ):
        with pytest.raises(ConfigError, match=name):
            DQNConfig(**changes)
