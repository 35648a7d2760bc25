"""The neighbours map: every indexed trial on a 2-D PCA map, a query and its hits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..trial_index import TrialIndex

from ..search.query import is_nct_id
from ..textfmt import clip
from ._common import AREAS, OTHER, _area_colours, _areas, _axes, _pyplot

__all__ = ["neighbours_map"]


def neighbours_map(
    index: TrialIndex,
    query: Any,
    k: int = 10,
    ax: Axes | None = None,
    *,
    where: dict | None = None,
    label_neighbours: bool = True,
) -> Axes:
    """Every indexed trial on a 2-D PCA map, with ``query`` and its ``k`` best hits highlighted.

    Each trial is the weighted mean of its field vectors (:meth:`TrialIndex.trial_vectors`),
    projected on the first two principal components of all of them (scikit-learn ``PCA``).
    Trials are coloured by therapeutic area (:func:`therapeutic_area` of their conditions);
    the query is a star and its hits are ringed points labelled with their NCT IDs. The hits
    are the fused ranking of :meth:`TrialIndex.similar` (or :meth:`~TrialIndex.search` for a
    free text), so a hit need not be the nearest point on the map: two dimensions keep only
    part of the distances, and the score also reads the conditions and the words.

    Parameters
    ----------
    index
        The index to draw.
    query
        An indexed NCT ID, a trial record or study dict (drawn at its own vector), or a
        free text.
    k
        How many hits to highlight.
    ax
        Axes to draw on (default: a new figure).
    where
        Filters for the hits, as in :meth:`TrialIndex.similar`.
    label_neighbours
        Write each hit's NCT ID next to it.

    Returns
    -------
    matplotlib.axes.Axes
        Scatter collections are labelled: one per area (``"stroke (79)"``), ``"hits"`` and
        ``"query"``.
    """
    _pyplot()
    if len(index) < 3:
        raise ValueError(f"a map needs at least 3 indexed trials, the index has {len(index)}")
    free_text = isinstance(query, str) and query.strip() not in index and not is_nct_id(query)
    hits, xy, qxy, pca = _positions(index, query, free_text, k, where)
    trials = index.trials
    row = {n: i for i, n in enumerate(trials["nct_id"])}

    ax = _axes(ax, (10, 7))
    areas = np.array(_areas(trials))
    colours = _area_colours()
    _draw_areas(ax, xy, areas, colours)
    hit_rows = [row[n] for n in hits["nct_id"]]
    hxy = xy[hit_rows] if hit_rows else np.zeros((0, 2))
    hit_colours = [colours[a] for a in areas[hit_rows]] if hit_rows else []
    _draw_hits_and_query(ax, hxy, hit_colours, qxy)
    right = True
    if label_neighbours and len(hxy):
        right = _label_column(ax, hxy, list(hits["nct_id"]), qxy)
    label = _query_label(query, hits, free_text)
    ax.annotate(  # on the side away from the column of hit labels
        label,
        qxy,
        xytext=(-10, 10) if right else (10, 10),
        textcoords="offset points",
        ha="right" if right else "left",
        fontsize=10,
        fontweight="bold",
        gid="query-label",
        zorder=6,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
    )
    var = pca.explained_variance_ratio_ * 100
    ax.set_xlabel(f"PC1 ({var[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC2 ({var[1]:.0f}% of variance)")
    ax.set_title(f"{label} and its {len(hits)} most similar trials among {len(index):,}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=8)
    return ax


def _positions(index: TrialIndex, query: Any, free_text: bool, k: int, where: dict | None):
    """``(hits, every trial's point, the query's point, the PCA)``; the query resolved once
    and placed by the index's own recipe (:meth:`TrialIndex.query_vector`)."""
    from sklearn.decomposition import PCA

    q = index.text_query(query) if free_text else index.query(query)
    hits = index.similar(q, k=k, where=where)
    vectors = index.trial_vectors()
    pca = PCA(n_components=2, svd_solver="full")
    xy = pca.fit_transform(vectors)
    if isinstance(query, str) and not free_text:  # an indexed trial: its own point
        qvec = vectors[index.trials["nct_id"].tolist().index(q.nct_id)]
    else:
        qvec = index.query_vector(q)
    return hits, xy, pca.transform(qvec[None, :])[0], pca


def _draw_areas(ax: Axes, xy: np.ndarray, areas: np.ndarray, colours: dict) -> None:
    """Every trial, one labelled scatter per therapeutic area."""
    for name in [a for a in [*AREAS, OTHER] if (areas == a).any()]:
        pts = xy[areas == name]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=12,
            alpha=0.45 if name != OTHER else 0.3,
            color=colours[name],
            linewidths=0,
            label=f"{name} ({len(pts)})",
            zorder=1,
        )


def _draw_hits_and_query(ax: Axes, hxy: np.ndarray, hit_colours: list, qxy: np.ndarray) -> None:
    """The hits as ringed points joined to the query, and the query as a star."""
    for x, y in hxy:
        ax.plot([qxy[0], x], [qxy[1], y], color="0.4", lw=0.6, alpha=0.6, zorder=2)
    ax.scatter(
        hxy[:, 0],
        hxy[:, 1],
        s=60,
        c=hit_colours or None,
        edgecolors="black",
        linewidths=1.2,
        label="hits",
        zorder=3,
    )
    ax.scatter(
        [qxy[0]],
        [qxy[1]],
        s=260,
        marker="*",
        color="gold",
        edgecolors="black",
        linewidths=1.2,
        label="query",
        zorder=4,
    )


def _label_column(ax: Axes, points: np.ndarray, labels: list[str], query: np.ndarray) -> bool:
    """Label points in a column beside their cluster, evenly spaced, with leader lines.

    Hits crowd around the query, so labels written next to each point overlap; a column
    ordered by height keeps every label readable and the leader lines from crossing much.
    Returns whether the column is on the right of the cluster.
    """
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    n = len(points)
    step = 0.045 * height
    centre = float(np.mean(points[:, 1]))
    span = step * (n - 1)
    top = min(max(centre + span / 2, y0 + span + 0.03 * height), y1 - 0.03 * height)
    slots = top - step * np.arange(n)
    cluster = np.vstack([points, query[None, :]])
    right = float(np.mean(cluster[:, 0])) < x0 + 0.62 * width
    if right:
        x_text = min(float(cluster[:, 0].max()) + 0.08 * width, x1 - 0.16 * width)
    else:
        x_text = max(float(cluster[:, 0].min()) - 0.08 * width, x0 + 0.16 * width)
    order = np.argsort(-points[:, 1], kind="stable")  # highest point gets the highest slot
    slot_of = np.empty(n, dtype=int)
    slot_of[order] = np.arange(n)
    for i, ((x, y), text) in enumerate(zip(points, labels)):
        ax.annotate(
            text,
            (x, y),
            xytext=(x_text, slots[slot_of[i]]),
            textcoords="data",
            ha="left" if right else "right",
            va="center",
            fontsize=7.5,
            gid="hit-label",
            zorder=5,
            bbox={
                "boxstyle": "round,pad=0.15",
                "fc": "white",
                "ec": "0.7",
                "lw": 0.5,
                "alpha": 0.9,
            },
            arrowprops={"arrowstyle": "-", "color": "0.35", "lw": 0.6, "shrinkA": 0, "shrinkB": 3},
        )
    return right


def _query_label(query: Any, hits: pd.DataFrame, free_text: bool) -> str:
    if isinstance(query, str):
        text = query.strip()
        return clip(text, 40) if free_text else text
    return str(getattr(hits, "query", None) or "query")
