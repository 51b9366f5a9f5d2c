"""Reading the environment contract: env files, platform exports and what the code reads.

* :mod:`.envfiles` — dotenv files (python-dotenv's parser), platform exports (JSON and dotenv)
  and the process environment, as :class:`~.facts.EnvSnapshot` values whose repr never shows
  a value.
* :mod:`.sourcetree` — which files of the project are source code, and which are skipped
  (binary, too large, symlinks, dependencies, tests).
* :mod:`.pyscan` — Python via :mod:`ast`: env reads and outbound HTTP calls.
* :mod:`.jsscan` — JavaScript/TypeScript via tree-sitter: the same facts.
* :mod:`.scan` — runs both scanners over a source tree.

Everything here returns frozen facts; judging them is the job of ``launchready.checks.env``.
"""
