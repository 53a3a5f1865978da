"""The app driving a DQN: CartPole drawn with its policy map, the network's TD update, the keys
that steer it, play mode on CartPole, and DQN on Taxi with the tabular agent's views."""

from __future__ import annotations

import numpy as np
from driver import chart_drawn, press, settle

from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.dqn.config import config_for as dqn_config_for
from tui_taxi.protocol import World
from tui_taxi.ui.app import TaxiApp, create_app
from tui_taxi.ui.screens.trip import BalanceScreen
from tui_taxi.ui.widgets.cartpole import CartPoleView
from tui_taxi.ui.widgets.policy_map import PolicyMap
from tui_taxi.ui.widgets.q_heatmap import QHeatmap
from tui_taxi.ui.widgets.reward_chart import RewardChart
from tui_taxi.ui.widgets.status_bar import StatusBar, status_text
from tui_taxi.ui.widgets.td_explainer import TDExplainer

SIZE = (120, 40)
QUICK = {
    "learning_starts": 30,
    "train_frequency": 4,
    "gradient_steps": 1,
    "buffer_size": 500,
    "batch_size": 16,
    "target_network_frequency": 20,
    "hidden": (16,),
}


def cartpole_app(**changes) -> TaxiApp:
    agent = DQNAgent(DQNConfig(seed=0, **{**QUICK, **changes}))
    return TaxiApp(agent, world=World.of_agent(agent), paused=True, save_path="dqn.npz")


async def test_cartpole_shows_the_cart_the_policy_map_and_the_network_update():
    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        assert isinstance(app.query_one("#world"), CartPoleView)
        assert isinstance(app.query_one("#qtable"), PolicyMap)
        for _ in range(40):  # past learning_starts: updates and target syncs happen
            snap = await press(pilot, "n")
        assert snap.total_steps == 40 and snap.details is not None
        assert snap.details.buffer_fill == 40
        assert snap.details.target_syncs == 1  # at step 40 (> 30, a multiple of 20)
        assert snap.landscape is not None and snap.landscape.q.shape == (24, 48, 2)
        # the map's values are the network's own, at the angles and spins it names
        agent = app.trainer.agent
        obs = snap.obs.copy()
        obs[2], obs[3] = np.radians(snap.landscape.x[5]), snap.landscape.y[7]
        np.testing.assert_allclose(snap.landscape.q[7, 5], agent.q_values(obs[None])[0])
        explained = app.query_one(TDExplainer).text().plain
        assert "DQN" in explained and "max Q⁻(s₃,·)" in explained and "Huber loss" in explained
        line = status_text(snap, 200).plain
        assert "DQN" in line and "buffer 40/500" in line and "lr 0.0023" in line
        assert "optimal" not in line  # no exact optimum for a continuous world


async def test_the_alpha_keys_double_and_halve_the_learning_rate_and_l_toggles_double_dqn():
    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await press(pilot, "A")
        assert app.trainer.agent.config.learning_rate == 0.0046
        await press(pilot, "a")
        await press(pilot, "a")
        assert app.trainer.agent.config.learning_rate == 0.00115
        await press(pilot, "l")
        assert app.trainer.agent.config.double
        for _ in range(36):
            await press(pilot, "n")
        assert "Q⁻(s₃,argmax Q)" in app.query_one(TDExplainer).text().plain
        assert "Double DQN" in status_text(app.snapshot, 200).plain


async def test_the_chart_cycles_through_the_loss_and_epsilon():
    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        chart = app.query_one(RewardChart)
        seen = []
        for _ in range(5):
            await pilot.press("v")
            seen.append(chart.metric)
        assert seen == ["episodic_length", "td_loss", "epsilon", "staircase", "episodic_return"]


async def test_play_mode_on_cartpole_pushes_with_the_arrows_and_scores_against_the_agent():
    config = DQNConfig(seed=2, total_timesteps=300, **QUICK)
    app = create_app(config, manual=True, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.manual and s.practice == 0 and s.total_steps >= 300)
        start = app.snapshot.total_steps
        pushes = 0
        while not isinstance(app.screen, BalanceScreen) and pushes < 600:
            await press(pilot, "right")  # always right: the pole falls within a few dozen steps
            pushes += 1
        assert isinstance(app.screen, BalanceScreen)
        result = app.screen.result
        assert result.steps == pushes and result.fell
        assert app.trainer.agent.total_steps == start + pushes
        assert 1 <= result.agent_steps <= 500


async def test_dqn_on_taxi_uses_the_tabular_views_and_is_judged_against_the_optimum():
    config = dqn_config_for("Taxi-v4", seed=0, learning_starts=10, buffer_size=1000)
    app = create_app(config, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.report is not None)
        assert isinstance(app.query_one("#qtable"), QHeatmap)
        snap = await press(pilot, "n")
        assert snap.total_steps == 1 and not app.toasts.shown()  # it stepped, no error
        assert snap.q.shape == (500, 6) and snap.details is not None
        np.testing.assert_allclose(snap.q, app.trainer.agent.q_table())
        await settle(pilot, lambda s: s.report is not None)
        assert "optimal" in app.query_one(StatusBar).text().plain


def test_the_cartpole_screen(snap_compare):
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot, lambda s: True)
        for _ in range(45):
            await press(pilot, "n")
        app.trainer.stop()
        app.clear_notifications()
        await chart_drawn(pilot)

    assert snap_compare(cartpole_app(), terminal_size=SIZE, run_before=run_before)


async def test_play_mode_practice_ends_once_the_agent_solves_the_env(monkeypatch):
    # a threshold every greedy run reaches, so the first check (at 2,500 steps) passes: the
    # practice ends there, not at the budget of 20,000
    import tui_taxi.core.worlds as worlds

    monkeypatch.setattr(worlds, "reward_threshold", lambda env_id: 1.0)
    config = DQNConfig(seed=2, total_timesteps=20_000, **QUICK)
    app = create_app(config, manual=True, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        snap = await settle(pilot, lambda s: s.manual and s.practice == 0)
        assert snap.total_steps == 2_500  # the first check, at exactly 2,500
        await settle(pilot, lambda s: any("solved" in n.message for n in app.toasts.shown()))


async def test_a_box_env_without_a_picture_shows_its_observation_and_a_policy_map():
    from tui_taxi.ui.widgets.observation import ObservationView

    agent = DQNAgent(DQNConfig(env_id="Acrobot-v1", seed=0, **QUICK))
    app = TaxiApp(agent, world=World.of_agent(agent), paused=True, save_path="acro.npz")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        assert isinstance(app.query_one("#world"), ObservationView)
        for _ in range(40):
            snap = await press(pilot, "n")
        assert snap.total_steps == 40 and snap.landscape is not None
        assert snap.landscape.x_name == "θ1'" and snap.landscape.q.shape[2] == 3
        text = app.query_one(ObservationView).text().plain
        assert "cos θ1" in text and "θ2'" in text and "torque" in text
        np.testing.assert_array_equal(snap.obs, app.trainer.agent.obs)
        await pilot.press("m")  # no game here: a notice, and the agent goes on
        await settle(
            pilot, lambda s: any("watched, not played" in n.message for n in app.toasts.shown())
        )
        assert not app.snapshot.manual


def test_the_chart_marks_each_target_update_at_its_episode():
    from tui_taxi.snapshots import chart_series

    agent = DQNAgent(DQNConfig(seed=5, **QUICK))  # learning starts after 30, a sync every 20
    synced_in = []  # the episodes completed when each sync happened, as the agent steps
    for _ in range(400):
        record, _ = agent.step()
        if record.target_synced:
            synced_in.append(agent.episode - (record.terminated or record.truncated))
    series = chart_series(agent)
    assert series.marks.every == 20 and len(synced_in) == (400 - 40) // 20 + 1
    np.testing.assert_array_equal(np.floor(series.marks.at).astype(int), synced_in)
    dense = DQNAgent(DQNConfig(seed=5, **{**QUICK, "target_network_frequency": 1}))
    dense.train(steps=400)
    assert chart_series(dense).marks.at is None  # 370 updates: a note on the chart, not marks


async def test_a_networks_episodes_on_a_grid_world_replay_and_cartpoles_say_why_not():
    from tui_taxi.ui.screens.replay import ReplayScreen

    config = dqn_config_for("FrozenLake-v1", seed=0, learning_starts=10, buffer_size=1000)
    app = create_app(config, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        snap = await settle(pilot, lambda s: True)
        for _ in range(300):  # step by step until an episode has ended
            snap = await press(pilot, "n")
            if snap.replays:
                break
        (episode,) = snap.replays
        states = [frame.record.state for frame in episode]
        assert states[0] == 0  # FrozenLake starts top left
        for before, after in zip(episode, episode[1:], strict=False):
            assert before.record.next_state == after.record.state
        await pilot.press("R")
        assert isinstance(app.screen, ReplayScreen)
    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("R")
        assert not isinstance(app.screen, ReplayScreen)
        await settle(pilot, lambda s: any("not recorded" in n.message for n in app.toasts.shown()))


async def test_play_mode_with_a_network_on_a_grid_world_moves_and_ends_in_a_trip_result():
    from tui_taxi.ui.screens.trip import TripScreen

    config = dqn_config_for(
        "FrozenLake-v1",
        seed=1,
        total_timesteps=300,
        learning_starts=10,
        buffer_size=1000,
        env_kwargs=(("is_slippery", False),),
    )
    app = create_app(config, manual=True, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        snap = await settle(pilot, lambda s: s.manual and s.practice == 0)
        start = snap.total_steps
        for key in ("down", "down", "right", "right", "down", "right"):  # the safe path
            await press(pilot, key)
        await settle(pilot, lambda s: isinstance(app.screen, TripScreen))
        assert app.trainer.agent.total_steps == start + 6
        trip = app.screen.trip
        assert trip.start_state == 0 and trip.steps == 6 and trip.delivered  # reached the goal
        assert trip.optimal_steps == 6 and trip.episodic_return == 1.0


async def test_the_help_says_what_the_keys_do_to_a_network_and_lists_only_what_cartpole_has():
    from tui_taxi.ui.screens.help import HelpScreen

    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.details is not None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {k.action: k.help for k in app.screen.keys}
        assert listed["next_variant"] == "Double DQN on or off"
        assert listed["adjust('rate', 1)"] == "Learn faster: learning rate × 2"
        assert listed["adjust('rate', -1)"] == "Learn slower: learning rate ÷ 2"
        assert "replay" not in listed and "per_action" not in listed  # no states, no grid
        assert "manual" in listed  # CartPole is played


async def test_the_networks_help_reads_its_panels_not_a_tables():
    """? on the DQN: how to read a network's update and its 'solved', not a Q-table's update
    rule or an optimality it does not have on CartPole."""
    import io

    from rich.console import Console

    from tui_taxi.ui.screens.help import HelpScreen

    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        for widget in app.screen.query("Static"):
            console.print(widget.content)
        text = " ".join(console.export_text().split())
        assert "the online network's Q(s,a), the target network's bootstrap" in text
        assert "reward threshold" in text
        assert "Q ← Q + α · δ" not in text and "by value iteration" not in text


def test_canvas_styles_are_few_and_shared():
    """A policy map's blended colours round to 8 levels a channel, one Style per pair: the
    app's memory no longer churns with a new Style for nearly every cell."""
    from tui_taxi.ui.widgets.cartpole import _style

    a = _style((201, 18, 99), (7, 0, 255))
    assert a is _style((207, 23, 96), (0, 7, 248))  # the same levels: the same object
    assert a.color.triplet == (200, 16, 96) and a.bgcolor.triplet == (0, 0, 248)
    assert a is not _style((208, 16, 96), (0, 0, 248))


async def test_keys_pressed_while_the_agent_practises_leave_one_notice_not_a_stack(monkeypatch):
    import tui_taxi.core.worlds as worlds

    monkeypatch.setattr(worlds, "reward_threshold", lambda env_id: 1e9)  # never solved early
    config = DQNConfig(seed=2, total_timesteps=500_000)  # (practice lasts a minute)
    app = create_app(config, manual=True, paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: s.manual and s.practice > 0)
        racks = []  # the "still learning" toasts on screen right after each one is said
        say = app.toasts.say

        def counting_say(text, **kwargs):
            shown = say(text, **kwargs)
            racks.append(sum("still learning" in n.message for n in app.toasts.shown()))
            return shown

        monkeypatch.setattr(app.toasts, "say", counting_say)
        for _ in range(3):
            snap = await press(pilot, "right")
            assert snap.practice > 0 and snap.trip_steps == 0  # refused: still practising
        await settle(pilot, lambda s: len(racks) >= 3)
        assert racks == [1] * 3
        app.trainer.stop()


async def test_a_networks_q_table_the_exact_q_star_and_the_error_in_turn():
    """On a world small enough to score, `*` shows the exact Q* (value iteration for the run's
    gamma) in the Q-table's place, then the error |Q - Q*|; the statistics state the error's
    mean and largest value; a table's run has no Q* view (it is judged in the statistics)."""
    from tui_taxi.core.optimal import solve
    from tui_taxi.ui.widgets.grid_world import ValueGrid
    from tui_taxi.ui.widgets.stats_panel import StatsPanel

    config = dqn_config_for("FrozenLake-v1", seed=0, learning_starts=50, gamma=0.95)
    app = create_app(config, paused=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda s: s.report is not None)
        for _ in range(3):
            await press(pilot, "n")
        snap = await settle(pilot, lambda s: s.report is not None and s.q_star is not None)
        star = solve(snap.model, 0.95).q
        np.testing.assert_array_equal(snap.q_star, star)
        q = app.trainer.agent.q_table()
        error = np.abs(q - star)
        stats = app.query_one(StatsPanel).text().plain
        assert f"mean {error.mean():.2f} · max {error.max():.1f}" in stats
        grid = app.query_one(ValueGrid)
        assert "max Q(s,·)" in grid.text().plain
        await pilot.press("asterisk")
        await pilot.pause()
        assert "max Q*(s,·)" in grid.text().plain
        np.testing.assert_array_equal(grid.snapshot.q, star)
        await pilot.press("asterisk")
        await pilot.pause()
        assert "max |Q−Q*|(s,·)" in grid.text().plain
        np.testing.assert_allclose(grid.snapshot.q, error)
        await pilot.press("asterisk")
        await pilot.pause()
        assert "max Q(s,·)" in grid.text().plain  # back to the network's


async def test_a_dueling_network_shows_its_value_and_advantages():
    """Q = V + A - mean A, so V(s) is the mean of Q(s, ·) and A(s, a) - mean A is Q - V: the
    explainer states both beside the update, from the Q-values the panel shows."""
    from tui_taxi.ui.widgets.td_explainer import TDExplainer

    app = cartpole_app(dueling=True, learning_starts=5)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        for _ in range(12):
            snap = await press(pilot, "n")
        assert snap.variant == "Dueling DQN + 3-step"
        q = snap.q_row
        value = q.mean()
        text = app.query_one(TDExplainer).text().plain
        expected = " ".join(f"{a - value:+.2f}" for a in q)
        assert f"V(s) {value:.2f}, A(s,·) {expected}" in text
        app.trainer.stop()


async def test_the_explainer_shows_an_n_step_target_with_its_rewards_and_the_draws_weight():
    """Every refinement on: the explainer's target is the discounted sum of the sample's
    rewards (listed) plus gamma^n times the bootstrap, and prioritized replay's line gives the
    chance the sample was drawn, its importance weight and its priority, as the core recorded
    them; it fits its 32 x 11 panel."""
    app = cartpole_app(
        prioritized=True, n_step=3, double=True, dueling=True, learning_starts=5, gamma=0.9
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        for _ in range(40):
            snap = await press(pilot, "n")
        assert snap.variant == "Double Dueling DQN + PER + 3-step"
        r = snap.last_step
        text = app.query_one(TDExplainer).text().plain
        lines = text.split("\n")
        assert len(lines) <= 11 and max(map(len, lines)) <= 32, lines
        steps = len(r.sample_rewards)
        assert steps == r.sample_steps and 1 <= steps <= 3
        discounted = sum(x * 0.9**k for k, x in enumerate(r.sample_rewards))  # CartPole: +1s
        assert discounted == sum(0.9**k for k in range(steps))
        if not r.sample_terminated:
            assert r.sample_discount == 0.9**steps
            assert f"Q⁻(s{'₁₂₃'[steps - 1]},argmax Q)" in text
        assert f"= {discounted:.3f} + {r.sample_discount:.3f} × {r.bootstrap:.3f}" in text
        assert "  3-step r " + " ".join(["+1"] * steps) in text
        assert f"P {r.sample_probability * 100:.2g}% · IS w {r.sample_weight:.3f}" in text
        assert 0 < r.sample_weight <= 1
        app.trainer.stop()


async def test_between_training_rounds_the_explainer_says_when_the_next_comes():
    """A round every 4 steps past step 30: after step 45 the numbers are step 44's update, and
    the next comes at step 48 (the next multiple of 4)."""
    app = cartpole_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda s: True)
        for _ in range(45):
            snap = await press(pilot, "n")
        assert not snap.last_step.updated
        text = app.query_one(TDExplainer).text().plain
        assert "last update · next at step 48" in text
        app.trainer.stop()
