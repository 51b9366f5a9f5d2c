"""Counts in words with the right grammar: ``1 fix``, ``2 fixes``, ``2 e-mail addresses``."""

from __future__ import annotations

_IRREGULAR = {"fix": "fixes", "address": "addresses", "match": "matches", "entry": "entries",
              "is": "are", "was": "were", "has": "have"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, inflected when count is not 1 (only the last word of ``word``)."""
    if count == 1:
        return f"{count} {word}"
    if many is None:
        head, _, last = word.rpartition(" ")
        inflected = _IRREGULAR.get(last, last + "s")
        many = f"{head} {inflected}" if head else inflected
    return f"{count} {many}"
