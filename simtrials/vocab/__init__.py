"""What a trial's words mean: intervention kinds and classes, clinical abbreviations.

Small curated tables shipped with the package (each entry with its source) and pure
functions over them; no model, no network.

- :mod:`simtrials.vocab.interventions`: each intervention of a trial as an item with its type,
  names and class ("PDE5 inhibitor", "mesenchymal stromal cells", "CAR-T cells" …) and broad
  kind ("drug", "cell therapy", "device" …), from the intervention's own name, type, other
  names and MeSH terms, and from class words in the title.
- :mod:`simtrials.vocab.abbreviations`: common clinical shorthand (T2DM, NSCLC, AIS, MSCs …)
  expanded where a record or a draft does not define it.
"""

from .abbreviations import ABBREVIATIONS, expand_common
from .interventions import (
    KINDS,
    InterventionItem,
    KindMatch,
    classify,
    intervention_classes,
    intervention_match,
    title_classes,
    trial_interventions,
)

__all__ = [
    "ABBREVIATIONS",
    "expand_common",
    "KINDS",
    "InterventionItem",
    "classify",
    "intervention_classes",
    "KindMatch",
    "intervention_match",
    "title_classes",
    "trial_interventions",
]
