"""The smoke flow: login → dashboard → core action → logout, over HTTP or in a browser.

:mod:`.runner` runs a ``[smoke]`` flow over HTTP (``run_flow``), :mod:`.captures` is the small
capture language, :mod:`.masking` keeps credentials out of results and :mod:`.browser` runs
browser steps in headless Chromium. This package imports nothing from its submodules so that the
config models can use :mod:`.captures` without an import cycle.
"""
