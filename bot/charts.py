"""The /stats chart: questions per day as a PNG, drawn with matplotlib when it is installed.

matplotlib is an optional extra (``pip install -e ".[charts]"``); without it ``questions_chart``
returns None and /stats shows the same days as text bars. Blocking (tens of ms, more on the first
call while matplotlib loads): call it from a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.core.curation import DayCount

CHART_FILENAME = "questions-per-day.png"
# Colours of the three outcomes; Discord's blurple for confident answers.
COLOURS = {"answered": "#5865F2", "low confidence": "#FEE75C", "declined": "#99AAB5"}


def questions_chart(days: Sequence[DayCount]) -> bytes | None:
    """A stacked bar chart of answered, low-confidence and declined questions per day (PNG).

    None when matplotlib is not installed. Uses the object API only (no pyplot, so no global
    state): safe in a worker thread.
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    figure = Figure(figsize=(8, 3), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    x = list(range(len(days)))
    bottom = [0] * len(days)
    for label, values in (
        ("answered", [d.answered for d in days]),
        ("low confidence", [d.low_confidence for d in days]),
        ("declined", [d.declined for d in days]),
    ):
        axes.bar(x, values, bottom=bottom, color=COLOURS[label], label=label, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(days) // 8)
    axes.set_xticks(x[::step], [d.day[5:] for d in days][::step])  # MM-DD
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("questions")
    axes.set_title("Questions per day (UTC)", loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    figure.legend(loc="outside upper right", frameon=False, ncols=3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
