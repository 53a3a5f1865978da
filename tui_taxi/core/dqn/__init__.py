"""The deep Q-network kind of agent: a small MLP in numba, a replay buffer, a target network
(see :mod:`.agent`, which registers it). ``DQNAgent`` and ``DQNConfig`` load on first use."""

_EXPORTS = {"DQNAgent": "agent", "DQNConfig": "config"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
