"""The compiled model must behave exactly like the Gymnasium env it came from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mdps import make_session

from tui_taxi.core.envs import (
    EnvError,
    check_env_kwargs,
    compile_env,
    make_gym_env,
    model_from_transitions,
    parse_env_kwarg,
    resolve_env_id,
    supported_env_ids,
    taxi_decode,
    taxi_encode,
)
from tui_taxi.core.rng import make_rng, sample_outcome


def _step_for_step(env_id, kwargs, n_steps, seed):
    model = compile_env(env_id, kwargs)
    env = make_gym_env(env_id, kwargs)
    rng = np.random.default_rng(seed)
    s, _ = env.reset(seed=seed)
    assert model.initial_distribution[s] > 0
    for _ in range(n_steps):
        a = int(rng.integers(model.n_actions))
        s_next, r, terminated, truncated, _ = env.step(a)
        k = np.flatnonzero(model.next_state[s, a, : model.n_outcomes[s, a]] == s_next)
        assert len(k) == 1, (s, a, s_next)
        assert model.reward[s, a, k[0]] == r
        assert model.terminated[s, a, k[0]] == terminated
        if terminated or truncated:
            s, _ = env.reset()
        else:
            s = s_next


@pytest.mark.parametrize(
    "env_id", ["Taxi-v4", "CliffWalking-v1", pytest.param("FrozenLake8x8-v1", id="lake8")]
)
def test_deterministic_envs_match_gymnasium_step_for_step(env_id):
    kwargs = (("is_slippery", False),) if "Lake" in env_id else ()
    model = compile_env(env_id, kwargs)
    assert model.is_deterministic
    _step_for_step(env_id, kwargs, 20_000, seed=1)


def test_taxi_model_shape_and_start_states(taxi):
    assert (taxi.n_states, taxi.n_actions) == (500, 6)
    assert len(taxi.start_states) == 300
    np.testing.assert_allclose(taxi.initial_distribution[taxi.start_states], 1 / 300)
    assert taxi.max_episode_steps == 200
    assert taxi.action_names == ("South", "North", "East", "West", "Pickup", "Dropoff")


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [("Taxi-v4", (("is_rainy", True),)), ("FrozenLake-v1", ())],
)
def test_stochastic_envs_match_gymnasium_by_frequency(env_id, kwargs):
    model = compile_env(env_id, kwargs)
    assert model.n_outcomes.max() == 3
    env = make_gym_env(env_id, kwargs)
    env.reset(seed=0)
    base = env.unwrapped
    rng = np.random.default_rng(0)
    pairs = [
        (s, a)
        for s in range(model.n_states)
        for a in range(model.n_actions)
        if model.n_outcomes[s, a] == 3 and not model.terminated[s, a].any()
    ]
    n = 4000
    kernel_rng = make_rng(9)
    for idx in rng.choice(len(pairs), size=5, replace=False):
        s, a = pairs[idx]
        targets = model.next_state[s, a, :3]
        states = np.unique(targets)  # several outcomes may lead to the same state
        expected = np.array([model.prob[s, a, :3][targets == t].sum() for t in states])
        gym_counts = np.zeros(len(states))
        kernel_counts = np.zeros(len(states))
        for _ in range(n):
            base.s = s
            s_next, *_ = base.step(a)
            gym_counts[np.searchsorted(states, s_next)] += 1
            k = sample_outcome(model.cum_prob, model.n_outcomes, s, a, kernel_rng)
            kernel_counts[np.searchsorted(states, targets[k])] += 1
        sigma = np.sqrt(n * expected * (1 - expected)) + 1e-9
        assert np.all(np.abs(gym_counts - n * expected) < 5 * sigma), (s, a, gym_counts)
        assert np.all(np.abs(kernel_counts - n * expected) < 5 * sigma), (s, a, kernel_counts)


def test_start_states_are_drawn_from_the_initial_distribution(taxi):

    session = make_session(taxi, epsilon=1.0, max_steps=1)  # every step ends an episode
    starts = []
    for _ in range(6000):
        record, _ = session.step()
        starts.append(record.state)
    counts = np.bincount(starts, minlength=500)
    assert set(np.flatnonzero(counts)) <= set(taxi.start_states)
    assert counts[taxi.start_states].min() > 3  # all 300 reached (mean 20)


def test_old_tutorial_ids_are_aliases_with_a_notice():
    assert resolve_env_id("Taxi-v4") == ("Taxi-v4", None)
    new, notice = resolve_env_id("Taxi-v3")
    assert new == "Taxi-v4" and "Taxi-v3" in notice and "\n" not in notice
    assert resolve_env_id("Taxi-v2")[0] == "Taxi-v4"


def test_unknown_env_lists_the_supported_ones():
    with pytest.raises(EnvError, match="supported: .*Taxi-v4") as info:
        compile_env("Taxi-v99")
    assert "\n" not in str(info.value)
    assert "Blackjack-v1" not in supported_env_ids()
    assert {"Taxi-v4", "FrozenLake-v1", "CliffWalking-v1"} <= set(supported_env_ids())


def test_envs_without_a_model_or_with_hidden_dynamics_are_refused():
    with pytest.raises(EnvError, match="Discrete"):
        compile_env("Blackjack-v1")
    with pytest.raises(EnvError, match="fickle_passenger"):
        compile_env("Taxi-v4", (("fickle_passenger", True),))
    with pytest.raises(EnvError, match="does not accept keyword argument 'colour'"):
        compile_env("Taxi-v4", (("colour", "red"),))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is_rainy=true", ("is_rainy", True)),
        ("is_slippery=False", ("is_slippery", False)),
        ("rainy_probability=0.9", ("rainy_probability", 0.9)),
        ("map_name=8x8", ("map_name", "8x8")),
        ("n=3", ("n", 3)),
    ],
)
def test_env_kwargs_parse(text, expected):
    assert parse_env_kwarg(text) == expected


@pytest.mark.parametrize("text", ["is_rainy", "=1", "1x=2"])
def test_bad_env_kwargs_are_refused(text):
    with pytest.raises(EnvError, match="NAME=VALUE"):
        parse_env_kwarg(text)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "message"),
    [
        ("FrozenLake-v1", {"map_name": "16x16"}, "map_name must be one of 4x4, 8x8, got '16x16'"),
        ("FrozenLake-v1", {"map_name": 4}, "map_name must be one of 4x4, 8x8, got 4"),
        ("Taxi-v4", {"is_rainy": "maybe"}, "is_rainy must be true or false, got 'maybe'"),
        ("FrozenLake-v1", {"is_slippery": 3.5}, "is_slippery must be true or false, got 3.5"),
        ("Taxi-v4", {"is_rainy": None}, "is_rainy must be true or false, got None"),
        (
            "Taxi-v4",
            {"rainy_probability": "high"},
            "rainy_probability must be a number, got 'high'",
        ),
        ("Taxi-v4", {"rainy_probability": True}, "rainy_probability must be a number, got True"),
        ("Taxi-v4", {"fickle_probability": float("nan")}, "must be a finite number, got nan"),
        ("FrozenLake-v1", {"success_rate": 1.5}, "probability and must be in [0, 1], got 1.5"),
        ("Taxi-v4", {"rainy_probability": -0.1}, "probability and must be in [0, 1], got -0.1"),
        ("FrozenLake-v1", {"desc": "SFF/FH/FFG"}, "the map's rows must all have the same length"),
        ("FrozenLake-v1", {"desc": "SXFG"}, "desc: 'X' is not a cell; the cells are S F H G"),
        ("FrozenLake-v1", {"desc": "FFF/FHG"}, "the map needs one S (start) and at least one G"),
        ("FrozenLake-v1", {"desc": "S" + "F" * 10_000 + "G"}, "1x10002 cells, more than 10,000"),
        ("FrozenLake-v1", {"desc": 3}, "desc must be a map: rows of SFHG separated by /"),
        ("FrozenLake-v1", {"reward_schedule": 1}, "reward_schedule takes a structured value"),
        ("Taxi-v4", {"render_mode": "human"}, "does not accept keyword argument 'render_mode'"),
        # gymnasium.make's own options would slip through a plain **kwargs pass-through
        ("Taxi-v4", {"max_episode_steps": 5}, "does not accept keyword argument 'max_episode_s"),
        ("CliffWalking-v1", {"is_rainy": True}, "it takes is_slippery"),
    ],
)
def test_env_kwargs_are_checked_against_the_constructor(env_id, kwargs, message):
    for check in (
        lambda: check_env_kwargs(env_id, kwargs),
        lambda: compile_env(env_id, tuple(kwargs.items())),
    ):
        with pytest.raises(EnvError) as info:
            check()
        assert message in str(info.value)
        assert "\n" not in str(info.value)


def test_a_map_of_ones_own_is_a_grid_world_as_gymnasium_builds_it(tmp_path):
    """``desc=SFF/FHF/FFG`` (as the CLI passes it) is Gymnasium's desc: the same transition
    table as gymnasium.make(..., desc=[...]) gives, a grid of 3x3 with a hole in the middle;
    a save keeps it and a load gets it back."""
    import gymnasium as gym

    from tui_taxi.core.tabular import TabularAgent, TrainConfig

    kwargs = check_env_kwargs("FrozenLake-v1", [parse_env_kwarg("desc=SFF/FHF/FFG")])
    assert kwargs == (("desc", ("SFF", "FHF", "FFG")),)
    model = compile_env("FrozenLake-v1", kwargs)
    assert model.n_states == 9 and model.grid.kinds == ("SFF", "FHF", "FFG")
    P = gym.make("FrozenLake-v1", desc=["SFF", "FHF", "FFG"]).unwrapped.P
    for s in range(9):
        for a in range(4):
            want: dict[int, float] = {}
            for p, next_state, _, _ in P[s][a]:
                want[next_state] = want.get(next_state, 0.0) + p
            got: dict[int, float] = {}
            for k in range(model.n_outcomes[s, a]):
                next_state = int(model.next_state[s, a, k])
                got[next_state] = got.get(next_state, 0.0) + float(model.prob[s, a, k])
            assert got == pytest.approx(want), (s, a)
    agent = TabularAgent(TrainConfig(env_id="FrozenLake-v1", env_kwargs=kwargs, seed=1))
    agent.train(episodes=50)
    agent.save(tmp_path / "m.npz")
    loaded = TabularAgent.load(tmp_path / "m.npz")
    assert loaded.config.env_kwargs == kwargs and (loaded.q == agent.q).all()


def test_good_env_kwargs_are_normalised_and_used():
    checked = check_env_kwargs("Taxi-v4", {"rainy_probability": 1, "is_rainy": True})
    assert checked == (("is_rainy", True), ("rainy_probability", 1.0))
    assert isinstance(checked[1][1], float)
    assert compile_env("FrozenLake-v1", (("map_name", "8x8"),)).n_states == 64  # an 8x8 grid
    assert check_env_kwargs("FrozenLake8x8-v1", ()) == ()


class _Broken:
    def __init__(self, size: int = 3) -> None:
        raise RuntimeError(f"size {size} is\nnot supported")


class _Anything:
    def __init__(self, **kwargs) -> None:
        raise KeyError("colour")


@pytest.fixture
def broken_envs():
    import gymnasium as gym

    ids = {"TuiTaxiTest/Broken-v0": _Broken, "TuiTaxiTest/Anything-v0": _Anything}
    for env_id, entry in ids.items():
        gym.register(id=env_id, entry_point=entry)
    yield
    for env_id in ids:
        del gym.registry[env_id]


def test_whatever_the_constructor_raises_becomes_one_line(broken_envs):
    with pytest.raises(EnvError) as info:
        make_gym_env("TuiTaxiTest/Broken-v0", (("size", 4),))
    assert str(info.value) == (
        "TuiTaxiTest/Broken-v0 with size=4 could not be made: RuntimeError: size 4 is not supported"
    )
    with pytest.raises(EnvError, match="size must be a whole number, got 4.5"):
        make_gym_env("TuiTaxiTest/Broken-v0", (("size", 4.5),))
    # a constructor taking **kwargs cannot be checked by name: gymnasium.make has the last word
    assert check_env_kwargs("TuiTaxiTest/Anything-v0", {"colour": "red"}) == (("colour", "red"),)
    with pytest.raises(EnvError, match="could not be made: KeyError: 'colour'"):
        make_gym_env("TuiTaxiTest/Anything-v0", (("colour", "red"),))


def _one_state(outcomes):
    return model_from_transitions({0: {0: outcomes}}, [1.0], n_states=1, n_actions=1, env_id="X")


def test_a_model_that_is_not_a_distribution_is_refused():
    _one_state([(0.5, 0, 0.0, False), (0.5, 0, 1.0, True)])  # fine
    with pytest.raises(EnvError, match="state 0, action 0 are not a probability distribution"):
        _one_state([(1.5, 0, 0.0, False), (-0.5, 0, 1.0, True)])  # sums to 1, but not >= 0
    with pytest.raises(EnvError, match="not a probability distribution"):
        _one_state([(0.5, 0, 0.0, False), (0.7, 0, 1.0, True)])
    with pytest.raises(EnvError, match="next states or rewards out of range"):
        _one_state([(1.0, 3, 0.0, False)])


@given(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.integers(0, 3))
def test_taxi_encode_decode_match_gymnasium(row, col, passenger, dest):
    env = make_gym_env("Taxi-v4").unwrapped
    state = taxi_encode(row, col, passenger, dest)
    assert state == env.encode(row, col, passenger, dest)
    assert taxi_decode(state) == tuple(env.decode(state))
