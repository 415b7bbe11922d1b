"""Streamlit entry point of a source checkout: ``streamlit run app.py`` (or ``chestpain app`` from anywhere).

It runs the packaged app, :func:`chestpain.app.run`: the pages are files in ``app_pages/`` beside this file
(``chestpain.app`` once installed). Nothing imports this file.
"""

from chestpain.app import run

run()
