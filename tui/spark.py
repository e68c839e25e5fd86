"""The one sparkline scale, shared by the TUI's report screen and the CLI's ``report`` table.

No Textual import: the CLI draws plain text with it. An empty period is the lowest block, any
thread at all is at least the second, and the largest count of the line is the full block.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SPARK_BLOCKS", "spark_level", "sparkline_text"]

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
"""Eight levels; an empty period is the lowest block, any thread at least the second."""


def spark_level(value: int, peak: int) -> int:
    """0..7: 0 for an empty period, else at least 1, 7 for the peak."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, min(7, round(value / peak * 7)))


def sparkline_text(values: Sequence[int]) -> str:
    """One block per period, scaled to the largest value."""
    peak = max(values, default=0)
    return "".join(SPARK_BLOCKS[spark_level(v, peak)] for v in values)
