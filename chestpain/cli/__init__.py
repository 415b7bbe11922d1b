"""The ``chestpain`` command line: the top layer, one thin verb per job (``chestpain.cli.main`` wires them).

Nothing below imports it. Verbs import their libraries inside the command, so ``chestpain --help`` stays fast.
"""

__all__: list[str] = []
