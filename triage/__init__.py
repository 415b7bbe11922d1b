"""Shared plumbing for the chest-pain triage toolkit: the ``triage`` command line, configs, seeds and safe writes.

The domain packages (``simulation``, ``features``, ``models``, ``fairness``, ``experiments``) never import the
command line; the command line imports them.
"""

from triage.errors import TriageError

__all__ = ["TriageError"]
