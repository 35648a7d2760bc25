"""The reasons of a hit in a designer's words: which part of "same condition AND same kind
of intervention" matched ("same condition: ischemic stroke", "both mesenchymal stromal
cells", "different intervention kind: device vs drug")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..vocab import intervention_match

__all__ = ["condition_words", "intervention_words", "split_labels"]


def condition_words(condition: float, shared: Sequence[str]) -> str:
    """The condition part of a hit: ``condition`` is its score in [0, 1]."""
    if condition >= 0.999:
        return f"same condition: {shared[0]}" if shared else "same condition"
    if condition > 0:
        return f"related condition: {shared[0]}" if shared else "related condition"
    return "different condition"


def split_labels(labels: Iterable[str]) -> tuple[set[str], set[str]]:
    """A :class:`~simtrials.index.kinds.KindIndex` row's labels -> ``(classes, kinds)``."""
    classes, kinds = set(), set()
    for label in labels:
        (kinds.add(label[5:]) if label.startswith("kind:") else classes.add(label))
    return classes, kinds


def intervention_words(
    query_kinds: tuple[Iterable[str], Iterable[str]],
    hit_labels: Iterable[str],
    intervention: float,
    kind: float,
    shared: Sequence[str],
) -> str:
    """The intervention part of a hit: by class when the class match decided it, else by the
    names ("similar interventions: tadalafil"), else how the kinds differ."""
    match = intervention_match(query_kinds, split_labels(hit_labels))
    if kind > 0 and kind >= intervention - 1e-6:
        return match.reason
    if intervention >= 0.999:
        return f"same intervention: {shared[0]}" if shared else "same intervention"
    if intervention > 0:
        return f"similar interventions: {shared[0]}" if shared else "similar intervention names"
    return match.reason
