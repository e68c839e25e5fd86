"""The statistics of the reports: spikes (a one-sided Poisson test) and trends (Mann-Kendall).

Spikes: a one-sided Poisson test per tag and period
    The count of a period is compared with the previous :data:`SPIKE_HISTORY` (8) periods of the
    same tag: with ``baseline`` the mean of those counts, the p-value is
    ``P(X >= latest)`` for ``X ~ Poisson(max(baseline, 0.5))``, computed exactly with ``math``.
    A period is flagged when ``p < 0.01`` **and** ``latest >= 3``.

    Why this test: ticket arrivals are the textbook Poisson process, and counts per tag are small
    (0-5 a week is typical), where a z-score or "mean + 3 sd" misfires: with a history of zeros the
    standard deviation is 0 and a single thread becomes an infinite z-score. The Poisson tail is
    exact for small counts. The floor of 0.5 threads per period keeps a tag that went from nothing
    to one or two from being flagged (0 -> 3 gives p = 0.014, not flagged; 0 -> 4 gives
    p = 0.0018, flagged), and ``latest >= 3`` is a second guard against noise. The test needs at
    least :data:`MIN_HISTORY` (4) previous periods that lie after the first thread in the cache,
    so a freshly synced mailbox does not "spike" against empty weeks that were never fetched.
    A period that is still running (the current week on a Tuesday) is compared like for like: the
    previous periods are counted only up to the same offset into each period (Monday 00:00 to
    Tuesday 10:00 of each earlier week), which also respects weekday patterns. The baseline
    overdisperses in real life (bursty weeks), so the test leans towards flagging; 1 % per tag and
    period is the accepted false-alarm rate.

Trend: Mann-Kendall
    Over the window's complete periods (the running one is left out: it is short by design),
    Kendall's S with the tie-corrected variance and a continuity correction gives a two-sided
    p-value from the normal approximation; ``rising``/``falling`` when ``p < 0.05``, else
    ``steady``; None with fewer than 6 periods. A rank test suits counts: it needs no normality,
    treats the many ties (weeks with 0 or 1) properly, and one outlier week (the spike itself)
    cannot make a trend alone, where a least-squares slope would follow it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from supportmail.storage.models import (
    SpikeTest,
    Trend,
)

SPIKE_HISTORY = 8
"""Previous periods a period is compared with."""
MIN_HISTORY = 4
"""Fewer previous periods with data than this: no spike test."""
SPIKE_P = 0.01
SPIKE_MIN_COUNT = 3
BASELINE_FLOOR = 0.5
"""Threads per period assumed at least, so 0 -> 1 or 2 is never a spike."""
TREND_P = 0.05
TREND_MIN_PERIODS = 6


def poisson_sf(k: int, lam: float) -> float:
    """``P(X >= k)`` for ``X ~ Poisson(lam)``, exact to double precision for any k and lam."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_lam = math.log(lam)
    if k > lam:
        # Upper tail: terms fall from the first one on; sum until they stop counting.
        term = math.exp(-lam + k * log_lam - math.lgamma(k + 1))
        total, i = 0.0, k
        while term > total * 1e-17:
            total += term
            i += 1
            term *= lam / i
        return min(1.0, total)
    # Lower tail P(X <= k-1): sum downwards from its largest term.
    term = math.exp(-lam + (k - 1) * log_lam - math.lgamma(k))
    lower, i = 0.0, k - 1
    while i >= 0 and term > lower * 1e-17:
        lower += term
        term *= i / lam
        i -= 1
    return min(1.0, max(0.0, 1.0 - lower))


def spike_test(latest: int, history: Sequence[int], *, partial: bool = False) -> SpikeTest | None:
    """Test ``latest`` against the counts of previous periods; None with too little history."""
    if len(history) < MIN_HISTORY:
        return None
    baseline = sum(history) / len(history)
    p = poisson_sf(latest, max(baseline, BASELINE_FLOOR))
    return SpikeTest(
        latest=latest,
        baseline=baseline,
        p=p,
        flagged=p < SPIKE_P and latest >= SPIKE_MIN_COUNT,
        history=len(history),
        partial=partial,
    )


def mann_kendall(values: Sequence[float]) -> tuple[int, float]:
    """Kendall's S and the two-sided p-value (normal approximation, ties and continuity
    corrected) for a monotonic trend in ``values``."""
    n = len(values)
    s = 0
    for i in range(n - 1):
        xi = values[i]
        for xj in values[i + 1 :]:
            s += (xj > xi) - (xj < xi)
    ties = sum(t * (t - 1) * (2 * t + 5) for t in Counter(values).values())
    variance = (n * (n - 1) * (2 * n + 5) - ties) / 18
    if variance <= 0 or s == 0:
        return s, 1.0
    z = (s - 1 if s > 0 else s + 1) / math.sqrt(variance)
    return s, math.erfc(abs(z) / math.sqrt(2))


def trend(values: Sequence[float]) -> Trend | None:
    """``rising``/``falling`` when Mann-Kendall finds a trend at p < 0.05, else ``steady``."""
    if len(values) < TREND_MIN_PERIODS:
        return None
    s, p = mann_kendall(values)
    if p >= TREND_P:
        return "steady"
    return "rising" if s > 0 else "falling"
