"""The project's exception hierarchy.

Every error says where it comes from (file and line, or the cause) and what to do; the CLI turns any
`StatemediaError` into a one-line message and a non-zero exit.
"""


class StatemediaError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = 1


class ConfigError(StatemediaError):
    """A configuration, manifest or schema file is wrong."""

    exit_code = 2


class BadInputError(StatemediaError):
    """A raw input file cannot be read or understood."""

    exit_code = 3


class ReleaseError(StatemediaError):
    """A release cannot be written, or a written release does not verify."""

    exit_code = 4


class LabelStudioError(StatemediaError):
    """Label Studio is unreachable, refuses our token, or returns something we cannot use."""

    exit_code = 5


class BusyError(StatemediaError):
    """Another build or release holds the dataset folder's lock."""

    exit_code = 6


class OverwriteError(StatemediaError):
    """A command would replace output it must not: a non-empty `annotate pull --out` folder, or a
    publication of labels newer than the one being published."""

    exit_code = 8


class EngineError(StatemediaError):
    """The Dask scheduler cannot be reached, or the cluster lost a task it could not retry."""

    exit_code = 7
