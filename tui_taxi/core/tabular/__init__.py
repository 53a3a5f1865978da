"""The tabular kind of agent: a Q-table learnt by TD (see :mod:`.agent`, which registers it).

The package imports nothing itself, so its kernel is importable alone (the greedy evaluation of
any Q-table runs it with learning off); ``TabularAgent`` and ``TrainConfig`` load on first use.
"""

_EXPORTS = {"TabularAgent": "agent", "TrainConfig": "config"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
