"""Pictures of an index and its results, as plain matplotlib functions that return the Axes.

- :func:`neighbours_map`: every indexed trial on a 2-D PCA map, coloured by therapeutic area,
  with a query and its nearest trials highlighted and labelled.
- :func:`field_scores`: the per-field and lexical scores of each hit, as grouped bars.
- :func:`similarity_heatmap`: the fused similarity of every pair among a few trials.
- :func:`metrics`: an evaluation table (metric, value, CI) as bars with error bars.
- :func:`landscape`: the landscape of related trials (``index.landscape(q)``) as one figure
  of small panels (returns the Figure).

matplotlib is an optional extra (``pip install 'simtrials[plot]'``); it is imported when a
function is called, so ``import simtrials`` never needs it. Each function draws on ``ax`` when
given one, else on a new figure, and returns the Axes so the caller can adjust it.
"""

from ._common import AREAS, therapeutic_area
from .maps import neighbours_map
from .metrics import metrics
from .scores import field_scores, score_columns, similarity_heatmap, similarity_matrix


def landscape(land, *, figsize: tuple[float, float] | None = None):
    """The landscape of related trials as one figure of small panels (returns the Figure):
    status and why trials stopped, enrollment by phase, duration, start years, phases and
    designs, top outcomes, sponsor classes, countries (:func:`simtrials.landscape.draw`)."""
    from ..landscape.draw import draw

    return draw(land, figsize=figsize)


__all__ = [
    "neighbours_map",
    "field_scores",
    "similarity_heatmap",
    "metrics",
    "landscape",
    "therapeutic_area",
    "similarity_matrix",
    "score_columns",
    "AREAS",
]
