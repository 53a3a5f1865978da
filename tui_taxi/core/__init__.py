"""The tabular-RL core: numpy, numba and gymnasium only (no textual, rich or plotext).

- :mod:`~tui_taxi.core.envs`: Gymnasium transition models compiled into arrays.
- :mod:`~tui_taxi.core.tabular.kernel`: the numba TD kernel (Q-learning, SARSA, Expected SARSA, Double Q).
- :mod:`~tui_taxi.core.session`: a run's configuration and state; train in chunks or step by step.
- :mod:`~tui_taxi.core.evaluate`, :mod:`~tui_taxi.core.optimal`: the tutorial's metrics, the optimum.
- :mod:`~tui_taxi.core.persist`: save/load a session as ``.npz`` without pickle.
"""
