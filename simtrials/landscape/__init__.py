"""The landscape of a set of related trials: what they tell someone designing a new one.

How many patients similar trials enrolled, how long they ran, which endpoints they chose, how
many stopped early and why, who sponsored them, where they ran and whether results were
posted. :func:`summarize` computes it from the trials' normalized records; every figure says
how many of the k trials it is computed on, since registry fields are often missing.

- :mod:`.summarize`: :func:`summarize`, the entry point.
- :mod:`.result`: :class:`Landscape`, the tidy tables, ``summary()`` and ``to_dict()``.
- :mod:`.figures`: one function per figure (status, enrollment, duration, designs …).
- :mod:`.stopped`: the keyword classifier of ``why_stopped`` reasons.
- :mod:`.outcomes`: primary outcome measures with near-duplicates grouped.
- :mod:`.stats`: counting helpers (known values only).
- :mod:`.text`: the text summary.
- :mod:`.draw`: :func:`draw`, one matplotlib figure of small panels (needs the plot extra).
- :mod:`.related`: :func:`of_index` (``TrialIndex.landscape``) and :func:`of_hits`
  (``Hits.landscape``).
"""

from __future__ import annotations

from .draw import draw
from .outcomes import group_outcomes, text_key
from .related import of_hits, of_index
from .result import Landscape
from .stopped import STOP_KINDS, STOPPED_STATUSES, stop_kind
from .summarize import FIELDS, summarize

__all__ = [
    "summarize",
    "of_index",
    "of_hits",
    "Landscape",
    "draw",
    "stop_kind",
    "STOP_KINDS",
    "STOPPED_STATUSES",
    "group_outcomes",
    "text_key",
    "FIELDS",
]
