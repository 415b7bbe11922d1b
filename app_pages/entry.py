"""The script ``chestpain app`` serves (packaged in the wheel): it only routes, see :func:`chestpain.app.run`."""

from chestpain.app import run

run()
