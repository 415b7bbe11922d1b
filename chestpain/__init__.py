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
``__init__`` (``tests/test_layers.py``). Docstrings name modules by folder (``features._schemas`` is
``chestpain.features._schemas``). A research and audit tool, not a medical device.
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__`` on first use: importlib.metadata costs about 40 ms, which ``chestpain --help`` need not pay."""
    if name != "__version__":
        raise AttributeError(f"module 'chestpain' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chest-pain-triage")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
