"""Scores of hits: per-field bars and the pairwise similarity heatmap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..trial_index import TrialIndex

from ._common import _axes, _pyplot

__all__ = ["score_columns", "field_scores", "similarity_matrix", "similarity_heatmap"]


def score_columns(hits: pd.DataFrame) -> list[str]:
    """The score parts of a hits table: ``score_condition`` and ``score_intervention`` (the
    rubric's parts), the ``score_<field>`` columns, then ``score_lexical`` (``score_text``,
    a mix of the fields and the lexical score, is left out)."""
    skip = {"score_lexical", "score_text"}
    cols = [c for c in hits.columns if c.startswith("score_") and c not in skip]
    if "score_lexical" in hits.columns:
        cols.append("score_lexical")
    return cols


def field_scores(
    hits: pd.DataFrame, ax: Axes | None = None, *, fused: bool = True, max_hits: int = 20
) -> Axes:
    """The per-field and lexical scores of each hit, as grouped bars (one group per hit).

    Parameters
    ----------
    hits
        A result of :meth:`TrialIndex.similar` or :meth:`~TrialIndex.search` (any DataFrame
        with ``nct_id`` and ``score_*`` columns).
    ax
        Axes to draw on (default: a new figure).
    fused
        Also mark each hit's fused ``score`` with a black dot.
    max_hits
        Draw at most this many hits (the first ones).

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per score column, labelled with the column's name; x tick labels
        are the hits' NCT IDs. A field one of the two trials lacks (NaN) is a bar of height 0.
    """
    plt = _pyplot()
    if "nct_id" not in hits.columns:
        raise ValueError("hits needs an 'nct_id' column (a result of TrialIndex.similar/search)")
    cols = score_columns(hits)
    if not cols:
        raise ValueError("hits has no score_<field> or score_lexical columns to draw")
    shown = hits.head(max_hits)
    n = len(shown)
    ax = _axes(ax, (max(6.0, 0.75 * n + 2), 4.5))
    x = np.arange(n)
    width = 0.8 / len(cols)
    cmap = plt.get_cmap("Set2")
    for i, col in enumerate(cols):
        values = pd.to_numeric(shown[col], errors="coerce").to_numpy(dtype=float)
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            np.nan_to_num(values, nan=0.0),
            width,
            label=col.removeprefix("score_"),
            color=cmap(i % 8),
            edgecolor="white",
            linewidth=0.5,
        )
    if fused and "score" in shown.columns:
        ax.plot(x, shown["score"].to_numpy(dtype=float), "o", color="black", label="fused score")
    ax.set_xticks(x, list(shown["nct_id"]), rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 1.22)  # room for the legend above the bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("similarity")
    query = getattr(hits, "query", None)
    ax.set_title("Per-field scores of each hit" + (f" (query {query})" if query else ""))
    ax.legend(fontsize=8, ncols=min(len(cols) + int(fused), 6), loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    return ax


# ---------------------------------------------------------------------- heatmap


def similarity_matrix(index: TrialIndex, ids: Sequence[str]) -> pd.DataFrame:
    """Fused similarity of every ordered pair among ``ids`` (row = query, column = candidate).

    Computed with ``index.similar(a, candidates=ids)`` for each ``a``; the diagonal is NaN
    (a trial is never its own hit).
    """
    ids = list(ids)
    if len(ids) < 2:
        raise ValueError(f"a similarity heatmap needs at least 2 trials, got {len(ids)}")
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"ids must be distinct; repeated: {', '.join(dup)}")
    out = pd.DataFrame(np.nan, index=pd.Index(ids, name="query"), columns=ids, dtype=float)
    for a in ids:
        hits = index.similar(a, k=None, candidates=ids)
        out.loc[a, hits["nct_id"].tolist()] = hits["score"].to_numpy(dtype=float)
    return out


def similarity_heatmap(
    index: TrialIndex,
    ids: Sequence[str],
    ax: Axes | None = None,
    *,
    annotate: bool | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Axes:
    """A heatmap of the fused similarity between every pair of ``ids``.

    Parameters
    ----------
    index
        The index holding the trials.
    ids
        NCT IDs of indexed trials (at least 2), e.g. a query and its top hits.
    ax
        Axes to draw on (default: a new figure).
    annotate
        Write the score in each cell (default: when there are at most 15 trials).
    vmin, vmax
        Ends of the colour scale (default: the lowest and highest score shown, so that
        differences among close trials stay visible; pass 0 and 1 for an absolute scale).

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap is ``ax.images[0]`` (its array is the ``len(ids) x len(ids)`` matrix of
        :func:`similarity_matrix`, NaN on the diagonal); both axes are labelled with the NCT
        IDs, rows being the query of each comparison.
    """
    plt = _pyplot()
    matrix = similarity_matrix(index, ids)
    n = len(matrix)
    ax = _axes(ax, (max(5.0, 0.55 * n + 2.5), max(4.0, 0.5 * n + 1.5)))
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")
    values = np.ma.masked_invalid(matrix.to_numpy())
    low, high = float(values.min()), float(values.max())
    image = ax.imshow(
        values,
        cmap=cmap,
        vmin=low if vmin is None else vmin,
        vmax=max(high, low + 1e-6) if vmax is None else vmax,
    )
    ax.set_xticks(np.arange(n), matrix.columns.tolist(), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(np.arange(n), matrix.index.tolist(), fontsize=8)
    ax.set_xlabel("candidate")
    ax.set_ylabel("query")
    if annotate is None:
        annotate = n <= 15
    if annotate:
        for i in range(n):
            for j in range(n):
                v = matrix.iat[i, j]
                if v == v:
                    ax.text(
                        j,
                        i,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if image.norm(v) < 0.6 else "black",
                    )
    ax.figure.colorbar(image, ax=ax, label="fused similarity", shrink=0.8)
    ax.set_title("Pairwise similarity")
    return ax
