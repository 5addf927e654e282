"""Exception hierarchy shared by every agentnet package."""


class AgentnetError(Exception):
    """Base class of every error agentnet raises on purpose.

    The CLI prints these as one line (no traceback) and exits with status 2.
    """


class UsageError(AgentnetError):
    """The user asked for something that cannot be done as asked."""


class NotFound(UsageError):
    """Something the user named does not exist: a file, a task, a deployment record, a model."""
