"""The errors the core raises for people: each message is one line naming the bad value (or file)
and what is allowed. Every kind of agent, the CLI and the app catch these and nothing else from
bad input; anything else is a bug and is reported as one."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting out of range; the message names the value and what is allowed."""


class EnvError(ValueError):
    """An env id or env keyword argument that cannot be used."""


class SaveFileError(ValueError):
    """A tui-taxi save (or the path to write one) that cannot be written or read; the message
    names the file."""
