"""A log-linear latency histogram with a declared precision and constant memory.

Values are recorded as whole microseconds. Like HdrHistogram, the value range is split into
power-of-two buckets, each cut into ``SUB_BUCKETS`` equal slots: every value up to
``2 * SUB_BUCKETS`` µs has its own slot, and a larger value shares its slot only with values
within ``1 / SUB_BUCKETS`` of it. With ``SUB_BUCKETS = 1024`` that is a relative error of at most
0.098 % (three significant decimal digits) above 2.048 ms and exactly 1 µs below it, for any
number of samples: memory is one counter per slot (about 23,000 slots up to one hour), never one
per sample.

A percentile is answered with the largest value its slot can hold (HdrHistogram's
"highest equivalent value"), so a reported p99 is never lower than the true p99; ``max`` is
tracked exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: slots per power-of-two bucket; sets the precision (see the module docstring)
SUB_BUCKETS = 1024
_SUB_BITS = SUB_BUCKETS.bit_length() - 1  # 10
#: values at or above this (one hour in µs) are clamped into the last slot
MAX_TRACKABLE_US = 3_600_000_000
#: the declared relative precision of every percentile above the 1 µs floor
RELATIVE_PRECISION = 1.0 / SUB_BUCKETS


def _index(value_us: int) -> int:
    # bucket b holds [2^(b+_SUB_BITS), 2^(b+_SUB_BITS+1)) in slots of width 2^b; bucket 0 also
    # holds everything below 2^(_SUB_BITS+1), one slot per microsecond
    bucket = max(0, value_us.bit_length() - _SUB_BITS - 1)
    return (bucket << _SUB_BITS) + (value_us >> bucket)


def _highest_in_slot(index: int) -> int:
    bucket = max(0, (index >> _SUB_BITS) - 1)
    sub = index - (bucket << _SUB_BITS)
    return ((sub + 1) << bucket) - 1


_SLOTS = _index(MAX_TRACKABLE_US) + 1


@dataclass(frozen=True, kw_only=True)
class Percentiles:
    """Summary of one histogram in milliseconds."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class LatencyHistogram:
    """Counts latencies in log-linear slots; ``record`` is O(1), memory is fixed."""

    __slots__ = ("_counts", "count", "max_us")

    def __init__(self) -> None:
        self._counts = [0] * _SLOTS
        self.count = 0
        self.max_us = 0

    def record_us(self, value_us: int) -> None:
        """Add one latency in microseconds (negative values count as 0)."""
        # the hot path of the load engine: _index() inlined, no function calls
        v = 0 if value_us < 0 else min(value_us, MAX_TRACKABLE_US)
        bucket = v.bit_length() - _SUB_BITS - 1
        if bucket < 0:  # noqa: PLR1730 - a compare is cheaper than max() on this hot path
            bucket = 0
        self._counts[(bucket << _SUB_BITS) + (v >> bucket)] += 1
        self.count += 1
        if v > self.max_us:  # noqa: PLR1730 - as above
            self.max_us = v

    def merge(self, other: LatencyHistogram) -> None:
        """Add every sample of ``other`` to this histogram."""
        if other.count == 0:
            return
        counts = self._counts
        for i, c in enumerate(other._counts):
            if c:
                counts[i] += c
        self.count += other.count
        self.max_us = max(self.max_us, other.max_us)

    def value_at_us(self, percentile: float) -> int:
        """The latency (µs) at or below which ``percentile`` % of samples fall; 0 when empty."""
        if self.count == 0:
            return 0
        if percentile >= 100.0:
            return self.max_us
        # the rank of the sample that answers: ceil(p/100 * n), at least the first sample
        wanted = max(1, -(-round(percentile * self.count * 1000) // 100_000))
        seen = 0
        for i, c in enumerate(self._counts):
            if c:
                seen += c
                if seen >= wanted:
                    return min(_highest_in_slot(i), self.max_us)
        return self.max_us

    def value_at_ms(self, percentile: float) -> float:
        """``value_at_us`` in milliseconds."""
        return self.value_at_us(percentile) / 1000.0

    def curve_ms(self, percentiles: Sequence[float]) -> tuple[tuple[float, float], ...]:
        """``((percentile, latency_ms), ...)`` for charting."""
        return tuple((p, self.value_at_ms(p)) for p in percentiles)

    def summary(self) -> Percentiles:
        """p50/p95/p99/max in milliseconds."""
        return Percentiles(count=self.count, p50_ms=self.value_at_ms(50),
                           p95_ms=self.value_at_ms(95), p99_ms=self.value_at_ms(99),
                           max_ms=self.max_us / 1000.0)

    @classmethod
    def of_ms(cls, values_ms: Iterable[float]) -> LatencyHistogram:
        """A histogram of the given latencies in milliseconds (for tests and tools)."""
        h = cls()
        for v in values_ms:
            h.record_us(round(v * 1000))
        return h
