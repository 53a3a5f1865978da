"""The RL core: numpy, numba and gymnasium only (no textual, rich or plotext; a test checks it).

- :mod:`~tui_taxi.core.agent`: the one agent interface and the registry of kinds;
  :mod:`~tui_taxi.core.tabular` (a Q-table) and :mod:`~tui_taxi.core.dqn` (a Q-network), one
  folder each.
- :mod:`~tui_taxi.core.training`: the one training loop (budgets, checks, the goal, pacing).
- :mod:`~tui_taxi.core.envs`, :mod:`~tui_taxi.core.worlds`: Gymnasium transition models compiled
  into arrays, the worlds we define, and the worlds' facts.
- :mod:`~tui_taxi.core.evaluate`, :mod:`~tui_taxi.core.optimal`: the tutorial's metrics, the
  exact optimum.
- :mod:`~tui_taxi.core.episodes`, :mod:`~tui_taxi.core.archive`, :mod:`~tui_taxi.core.errors`:
  finished episodes and their history, the ``.npz`` save (atomic, never unpickled), the errors.
- :mod:`~tui_taxi.core.sweep`: a sweep's trials of any kind, its results, its ranking.
"""
