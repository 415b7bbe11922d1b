"""Chest-pain triage: simulate clinician bias in ED chest-pain visits, train discharge-risk models, audit them.

One import namespace for the whole toolkit. The product's folders stay at the repository root and are mapped
under it (``features/`` is ``chestpain.features``, ``app_pages/`` is ``chestpain.app``, ...); the layers, bottom to
top, are:

=======  ==========================================================================================
layer    packages
=======  ==========================================================================================
0        ``kernel`` (errors, io, config, seeding, stats, cluster), ``configs`` (data only)
1        ``features``
2        ``simulation``, ``fairness``, ``ehr`` (FHIR input and the CDS Hooks service, given the model)
3        ``models``
4        ``experiments``, ``patient``
5        ``cli`` and ``app``
=======  ==========================================================================================

A module imports only from its own package or from lower layers, and only what a package exports in its
``__init__`` (``tests/test_layers.py``). A research and audit tool, not a medical device.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chest-pain-triage")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
