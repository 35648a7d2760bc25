"""``draw``: the landscape as one matplotlib figure of small panels.

Panels, each titled with its "n of k" and tagged with a gid (the name in brackets):
status [status], why trials stopped [stopped], enrollment by phase [enrollment], duration
[duration], start years [timeline], phases / designs / results as stacked shares [design],
top primary outcomes [outcomes], sponsor classes [sponsors] and countries [countries]. A
panel without data says "not available (0 of k)" instead of drawing anything.

matplotlib is the optional ``plot`` extra; it is imported when :func:`draw` is called, so the
figure can be drawn with any backend (Agg included) and is returned, not shown.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..textfmt import clip
from .figures import phase_order
from .stopped import NOT_GIVEN

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .result import Landscape

__all__ = ["draw", "PANELS"]

#: The gids of the panels, in drawing order (row by row).
PANELS = (
    "status",
    "stopped",
    "enrollment",
    "duration",
    "timeline",
    "design",
    "outcomes",
    "sponsors",
    "countries",
)

_INSTALL_HINT = "simtrials.plot needs matplotlib: pip install 'simtrials[plot]'"
_TYPE_COLOURS = {"ACTUAL": "tab:blue", "ESTIMATED": "tab:orange", "type not given": "0.55"}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return plt


def _title(ax: Axes, land: Landscape, title: str, n: int) -> None:
    ax.set_title(f"{title} ({n} of {land.k})", fontsize=10, loc="left")


def _empty(ax: Axes, land: Landscape, title: str, message: str = "not available") -> None:
    ax.set_title(title, fontsize=10, loc="left")
    ax.text(
        0.5,
        0.5,
        f"{message} (0 of {land.k})",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="0.4",
        gid="not-available",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _barh(ax: Axes, labels, values, colours=None, *, label: str | None = None) -> None:
    y = np.arange(len(labels))
    ax.barh(y, values, color=colours if colours is not None else "tab:blue", label=label)
    ax.set_yticks(y, [clip(str(v), 38) for v in labels], fontsize=8)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    _integer_ticks(ax.xaxis)


def _integer_ticks(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _status(ax: Axes, land: Landscape) -> None:
    table = land.status
    if table.empty:
        return _empty(ax, land, "Status")
    colours = ["tab:red" if s else "tab:blue" for s in table["stopped"]]
    _barh(ax, table["overall_status"], table["n"], colours)
    _title(ax, land, "Status", land.n_of("overall_status"))
    ax.set_xlabel("trials (red: stopped early)", fontsize=8)


def _stopped(ax: Axes, land: Landscape) -> None:
    reasons = land.stop_reasons
    n_stopped = len(land.stopped)
    if not n_stopped:
        return _empty(ax, land, "Why trials stopped", "no trial stopped early")
    colours = ["0.7" if k == NOT_GIVEN else "tab:red" for k in reasons["kind"]]
    _barh(ax, reasons["kind"], reasons["n"], colours)
    given = int(reasons.loc[reasons["kind"] != NOT_GIVEN, "n"].sum())
    title = f"Why trials stopped ({n_stopped} stopped of {land.k}; {given} give a reason)"
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("stopped trials", fontsize=8)


def _enrollment(ax: Axes, land: Landscape) -> None:
    per = land.trials.dropna(subset=["enrollment"])
    if per.empty:
        return _empty(ax, land, "Enrollment by phase")
    phases = per["phase"].astype("object").where(per["phase"].notna(), "phase not given")
    order = [*phase_order(p for p in phases if p != "phase not given")]
    order += ["phase not given"] if (phases == "phase not given").any() else []
    values = [per.loc[phases == p, "enrollment"].astype(float).clip(lower=0.5) for p in order]
    ax.boxplot(
        values,
        positions=np.arange(len(order)),
        widths=0.5,
        showfliers=False,
        medianprops={"color": "black"},
    )
    rng = np.random.default_rng(0)
    types = (
        per["enrollment_type"]
        .astype("object")
        .where(per["enrollment_type"].notna(), "type not given")
    )
    for kind, colour in _TYPE_COLOURS.items():
        mask = (types == kind).to_numpy()
        if mask.any():
            x = np.array([order.index(p) for p in phases[mask]], dtype=float)
            x += rng.uniform(-0.18, 0.18, len(x))
            y = per.loc[mask, "enrollment"].astype(float).clip(lower=0.5)
            ax.scatter(x, y, s=12, color=colour, alpha=0.7, label=kind.lower(), zorder=3)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(order)), [textwrap.fill(p, 10) for p in order], fontsize=7)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylabel("participants", fontsize=8)
    ax.legend(fontsize=7, loc="upper left")
    _title(ax, land, "Enrollment by phase", len(per))


def _duration(ax: Axes, land: Landscape) -> None:
    per = land.trials
    title, xlabel = "Start to primary completion", "months"
    months = per["months_to_primary_completion"].dropna()
    if months.empty:
        title, xlabel = "Start to completion", "months (no primary completion dates given)"
        months = per["months_to_completion"].dropna()
    if months.empty:
        return _empty(ax, land, "Duration")
    ax.hist(months, bins=min(20, max(5, len(months) // 2)), color="tab:green", alpha=0.8)
    ax.axvline(months.median(), color="black", lw=1, label=f"median {months.median():.0f}")
    ax.legend(fontsize=7)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(labelsize=8)
    _integer_ticks(ax.yaxis)
    _title(ax, land, title, len(months))


def _timeline(ax: Axes, land: Landscape) -> None:
    years = land.start_years
    if years.empty:
        return _empty(ax, land, "Start year")
    ax.bar(years["year"], years["n"], color="tab:purple", width=0.8)
    ax.set_xlabel("start year", fontsize=8)
    _integer_ticks(ax.xaxis)
    _integer_ticks(ax.yaxis)
    ax.tick_params(labelsize=8)
    _title(ax, land, "Start year", land.n_of("start_date"))


def _design_rows(land: Landscape) -> list[tuple[str, pd.DataFrame]]:
    rows = [("phase", land.phases.rename(columns={"phase": "value"}))]
    for field, part in land.designs.groupby("field", sort=False):
        rows.append((field.replace("_", " "), part))
    rows.append(("results posted", land.results.rename(columns={"has_results": "value"})))
    return [(name, table) for name, table in rows if not table.empty]


def _design(ax: Axes, land: Landscape) -> None:
    rows = _design_rows(land)
    if not rows:
        return _empty(ax, land, "Phases, designs, results")
    cmap = _pyplot().get_cmap("tab20")
    for y, (_, table) in enumerate(rows):
        left = 0.0
        for i, (value, share) in enumerate(table[["value", "share"]].values):
            ax.barh(y, share, left=left, color=cmap(i % 20), edgecolor="white", label=None)
            if share >= 0.12:
                ax.text(
                    left + share / 2,
                    y,
                    clip(str(value), 14),
                    ha="center",
                    va="center",
                    fontsize=6,
                )
            left += share
    n = {"phase": land.n_of("phases"), "results posted": land.n_of("has_results")}
    labels = [f"{name} ({n.get(name, table['n'].sum())})" for name, table in rows]
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the trials that give the field (n in brackets)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(f"Phases, designs, results (of {land.k})", fontsize=10, loc="left")


def _outcomes(ax: Axes, land: Landscape) -> None:
    table = land.outcomes.head(8)
    if table.empty:
        return _empty(ax, land, "Top primary outcomes")
    _barh(ax, table["measure"], table["n"], "tab:cyan")
    ax.set_xlabel("trials (near-duplicate wordings grouped)", fontsize=8)
    _title(ax, land, "Top primary outcomes", land.n_of("primary_outcomes"))


def _counts_panel(ax: Axes, land: Landscape, table, name, field, title, colour) -> None:
    table = table.head(10)
    if table.empty:
        return _empty(ax, land, title)
    _barh(ax, table[name], table["n"], colour)
    ax.set_xlabel("trials", fontsize=8)
    _title(ax, land, title, land.n_of(field))


def draw(land: Landscape, *, figsize: tuple[float, float] | None = None) -> Figure:
    """One figure of small panels of a landscape (see the module's docstring).

    Parameters
    ----------
    land
        A :class:`~simtrials.landscape.Landscape` from :func:`~simtrials.landscape.summarize`.
    figsize
        Figure size in inches (default ``(17, 13)``).

    Returns
    -------
    matplotlib.figure.Figure
        Nine axes, one per panel, with ``gid`` set to the panel's name (:data:`PANELS`).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(3, 3, figsize=figsize or (17, 13), layout="constrained")
    drawers = (_status, _stopped, _enrollment, _duration, _timeline, _design, _outcomes)
    for ax, gid, drawer in zip(axes.flat, PANELS, drawers):
        ax.set_gid(gid)
        drawer(ax, land)
    sponsors, countries = axes.flat[7], axes.flat[8]
    sponsors.set_gid("sponsors")
    countries.set_gid("countries")
    _counts_panel(
        sponsors,
        land,
        land.sponsor_classes,
        "sponsor_class",
        "sponsor_class",
        "Sponsor classes",
        "tab:olive",
    )
    _counts_panel(countries, land, land.countries, "country", "countries", "Countries", "tab:brown")
    about = f" related to {land.query}" if land.query else ""
    fig.suptitle(f"Landscape of {land.k} trials{about}", fontsize=13, fontweight="bold")
    return fig
