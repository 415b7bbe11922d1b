"""The kernel: plumbing every other package uses (errors, atomic io, configs, seeds, interval statistics).

It imports no other project package, so it can be read, tested and reused on its own. Its modules are public
(``chestpain.kernel.io``, ``chestpain.kernel.config``, ...): each has one job and no heavy import at start.
"""

from chestpain.kernel.errors import TriageError

__all__ = ["TriageError"]
