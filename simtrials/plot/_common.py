"""What the plots share: matplotlib on demand, axes, therapeutic areas and their colours."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["AREAS", "OTHER", "therapeutic_area"]

_INSTALL_HINT = "simtrials.plot needs matplotlib: pip install 'simtrials[plot]'"

#: Therapeutic areas, in the order they are tried: a trial takes the first whose pattern
#: matches one of its conditions (registered names and MeSH terms), else ``"other"``.
#: Oncology comes first (prostate cancer is oncology, not urology), stroke before neurology
#: and cardiovascular (a stroke trial is "stroke").
AREAS: dict[str, str] = {
    "oncology": r"cancer|tumou?r|carcinom|neoplas|lymphom|leuka?emi|melanom|sarcom|myelom|"
    r"glioma|glioblastom|metasta|oncolog|myelodysplas|malignan",
    "stroke": r"stroke|cerebrovascular|cerebral (?:infarct|ischemi|hemorrhag)|intracerebral|"
    r"subarachnoid|brain (?:infarct|ischemi)|transient ischemic",
    "neurology": r"alzheimer|dementia|cognitive|parkinson|epilep|sclerosis|neuro|brain|"
    r"migraine|huntington|spinal cord|palsy|aphasia|tauopath|lewy|memory|nerv",
    "cardiovascular": r"hypertensi|heart|cardi|coronary|myocard|atrial|arter|vascular|"
    r"thromb|embol|blood pressure|angina|aortic|venous",
    "urology": r"urin|bladder|prostat|erectile|impotence|kidney stone|nephrolith|urolith|"
    r"incontinen|urolog|renal colic|hypogonad|sexual dysfunction|peyronie|urethr",
    "metabolic": r"diabet|obes|metabolic|insulin|glyc|lipid|cholesterol|overweight|"
    r"weight|t2dm|fatty liver",
    "mental health": r"depress|anxiety|schizo|bipolar|psychi|autis|adhd|substance|"
    r"alcohol|smok|opioid|insomnia|stress|mental",
    "respiratory": r"asthma|copd|pulmonar|lung|respirat|bronch|sleep apnea|cystic fibrosis",
    "infectious": r"hiv|covid|sars|infect|hepatitis|tubercul|sepsis|influenza|malaria|viral",
    "musculoskeletal": r"arthrit|osteo|back pain|disc|disk|fractur|spine|spinal|tendon|"
    r"muscul|joint",
}
_AREA_RES = {name: re.compile(pattern, re.I) for name, pattern in AREAS.items()}
OTHER = "other"


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    plt = _pyplot()
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def therapeutic_area(conditions: Iterable[str]) -> str:
    """The therapeutic area of a trial from its conditions (see :data:`AREAS`), or ``"other"``.

    >>> therapeutic_area(["Acute Ischemic Stroke"])
    'stroke'
    >>> therapeutic_area(["Prostate Cancer", "Erectile Dysfunction"])
    'oncology'
    """
    items = [c for c in conditions if isinstance(c, str) and c]
    for name, pattern in _AREA_RES.items():
        if any(pattern.search(c) for c in items):
            return name
    return OTHER


def _areas(trials: pd.DataFrame) -> list[str]:
    mesh = trials["condition_mesh"] if "condition_mesh" in trials else [[]] * len(trials)
    return [therapeutic_area([*c, *m]) for c, m in zip(trials["conditions"], mesh)]


def _area_colours() -> dict[str, Any]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    colours = {name: cmap(i % 10) for i, name in enumerate(AREAS)}
    colours[OTHER] = (0.6, 0.6, 0.6, 1.0)
    return colours
