"""The error tree: every failure the CLI turns into a one-line message and an exit code."""

from __future__ import annotations


class PinlintError(Exception):
    """Base class; `exit_code` is what the CLI returns for it."""

    exit_code = 2


class UsageError(PinlintError):
    """A bad flag, selector or argument."""


class ConfigError(PinlintError):
    """A configuration file that cannot be read or has a bad or unknown key."""


class PathError(PinlintError):
    """A path given on the command line that does not exist or cannot be read."""
