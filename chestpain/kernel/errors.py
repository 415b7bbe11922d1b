"""One exception type for every error a user can fix, so the command line can print one clear line."""


class TriageError(Exception):
    """A problem with the user's input, config or environment, explained in one line.

    The command line prints ``str(error)`` on stderr and exits with status 1; library callers can catch it.
    """
