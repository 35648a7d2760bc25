"""An evaluation table (metric, value, CI) as bars with error bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes


from ._common import _axes, _pyplot

__all__ = ["metrics"]


def _long_metrics(table: pd.DataFrame) -> pd.DataFrame:
    """``st.compare``'s wide table (system x (metric, stat)) -> one row per system and metric."""
    cols = table.columns
    if isinstance(cols, pd.MultiIndex) and "stat" in (cols.names or []):
        long = table.stack(level="metric", future_stack=True)
        long = long.reset_index()
        long.columns.name = None
        if "system" not in long.columns:
            long = long.rename(columns={long.columns[0]: "system"})
        return long
    return table


def metrics(
    eval_table: pd.DataFrame, ax: Axes | None = None, *, metric_order: Sequence[str] | None = None
) -> Axes:
    """Bars of an evaluation table, with confidence intervals as error bars.

    Parameters
    ----------
    eval_table
        A long DataFrame with columns ``metric, value, ci_low, ci_high`` and, to compare
        several systems, ``system``; without ``system`` (as ``st.evaluate`` returns) it is one
        system. The wide table of ``st.compare`` (index ``system``, columns ``(metric,
        stat)``) is accepted too. Missing CI bounds draw no error bar.
    ax
        Axes to draw on (default: a new figure).
    metric_order
        Which metrics to draw, in this order (default: all, in the order they first appear).

    Returns
    -------
    matplotlib.axes.Axes
        One group per metric (x tick labels), one ``BarContainer`` per system (legend label),
        whose ``errorbar`` holds its CI bars.
    """
    plt = _pyplot()
    level = eval_table.attrs.get("level", 0.95)
    eval_table = _long_metrics(eval_table)
    missing = [c for c in ("metric", "value") if c not in eval_table.columns]
    if missing:
        raise ValueError(
            f"eval_table lacks the column(s) {', '.join(missing)}; expected metric, value, "
            "ci_low, ci_high (and system to compare several)"
        )
    table = eval_table.copy()
    if "system" not in table.columns:
        table["system"] = "simtrials"
    for col in ("ci_low", "ci_high"):
        if col not in table.columns:
            table[col] = np.nan
    names = list(dict.fromkeys(table["metric"].astype(str)))
    if metric_order is not None:
        unknown = [m for m in metric_order if m not in names]
        if unknown:
            raise ValueError(
                f"metric(s) not in the table: {', '.join(unknown)}; it has {', '.join(names)}"
            )
        names = list(metric_order)
    systems = list(dict.fromkeys(table["system"].astype(str)))
    ax = _axes(ax, (max(6.0, 1.1 * len(names) * max(1, len(systems)) ** 0.5 + 2), 4.5))
    x = np.arange(len(names))
    width = 0.8 / len(systems)
    cmap = plt.get_cmap("tab10")
    for i, system in enumerate(systems):
        rows = table[table["system"].astype(str) == system].drop_duplicates("metric")
        rows = rows.set_index(rows["metric"].astype(str)).reindex(names)
        value = rows["value"].to_numpy(dtype=float)
        low = value - rows["ci_low"].to_numpy(dtype=float)
        high = rows["ci_high"].to_numpy(dtype=float) - value
        yerr = np.vstack([np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=0.0)])
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            np.nan_to_num(value, nan=0.0),
            width,
            yerr=np.clip(yerr, 0.0, None),
            capsize=3,
            label=system,
            color=cmap(i % 10),
            error_kw={"elinewidth": 1, "ecolor": "0.2"},
        )
    ax.set_xticks(x, names)
    top = np.nanmax(table[["value", "ci_high"]].to_numpy(dtype=float))
    ax.set_ylim(0, 1.05 if top <= 1.0 else top * 1.1)
    ax.set_ylabel(f"value (error bars: {level:.0%} CI)")
    ax.grid(axis="y", alpha=0.3)
    if len(systems) > 1 or "system" in eval_table.columns:
        ax.legend(fontsize=8, loc="lower right")
    return ax
