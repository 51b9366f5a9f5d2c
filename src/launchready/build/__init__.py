"""The clean production build: what to run (``detect``), where (``workspace``), with which
environment (``environment``), how (``session``), and what the output and the migrations hold
(``output``, ``migrations``, ``rollback``)."""
