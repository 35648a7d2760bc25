"""Interventions as kinds and classes: "both PDE5 inhibitors", "device vs drug".

Each intervention of a trial becomes an :class:`InterventionItem` with its type, its names
(the registered name, other names, MeSH terms) and the classes the curated table of
:mod:`simtrials.vocab._classes` finds in them: INN naming stems (-afil, -lutamide, -parib,
-gliflozin, -leucel …), class words ("menin inhibitor", "CAR-T", "mesenchymal"), well-known
drugs by name, and device, procedure and programme kinds. Where no class matches, the
record's intervention type gives the broad kind. Class words in the trial's title ("the
menin inhibitor SNDX-5613") count too, since most records carry no MeSH terms: code-named
products are only known by what the title or the other names say.

Two trials' interventions match (:func:`intervention_match`) by their best pair of items:

- 1.0 when they share a specific class (two PDE5 inhibitors; two MSC products);
- 0.6 when they share only a broad class ("surgery", "monoclonal antibody") or a specific
  kind ("cell therapy", "exercise or rehabilitation", "vaccine" …);
- 0 otherwise (two drugs of different or unknown classes: the embedding of the names then
  decides, see :mod:`simtrials.search.score`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..textfmt import distinct
from ._classes import CLASSES, KINDS, SPECIFIC_KINDS, TYPE_KINDS

__all__ = [
    "KINDS",
    "InterventionItem",
    "classify",
    "class_kind",
    "intervention_classes",
    "intervention_match",
    "trial_interventions",
    "tested_interventions",
    "intervention_names",
    "title_classes",
    "text_classes",
    "split_text",
    "GENERIC_CLASSES",
    "GENERIC_ARM",
    "UNINFORMATIVE_CLASSES",
    "CLASS_MATCH",
    "KIND_MATCH",
]

#: Classes too broad to mean "the same kind of intervention" on their own (a shared one
#: counts in part), and those that say nothing about what a trial studies (none at all:
#: a blood draw or an MRI is how it measures, not what it tests).
UNINFORMATIVE_CLASSES = frozenset({"sampling / assessment", "imaging / physiological measurement"})
GENERIC_CLASSES = frozenset(
    {
        *UNINFORMATIVE_CLASSES,
        "cytotoxic chemotherapy",
        "corticosteroid",
        "surgery",
        "monoclonal antibody",
        "stem / other cell therapy",
        "dietary supplement",
        "education / support / care programme",
        "digital / telehealth tool",
        "blood product",
    }
)
#: Match value of a shared specific class, and of a shared broad class or specific kind.
CLASS_MATCH = 1.0
KIND_MATCH = 0.6

#: Comparator and background arms: they say nothing about what a trial studies.
GENERIC_ARM = re.compile(
    r"^(placebo|placebos|sham|sham procedure|sham comparator|saline|normal saline|vehicle|"
    r"standard of care|standard care|usual care|best supportive care|control|control group|"
    r"no intervention|no treatment|observation|matching placebo)\b",
    re.I,
)
# Kinds whose class words may be read from a title (not "assessment", "surgery" …).
_TITLE_KINDS = frozenset(KINDS) - {"diagnostic test", "procedure"}


@dataclass(frozen=True)
class InterventionItem:
    """One intervention of a trial: its name, type, other names, classes and broad kind."""

    name: str
    type: str | None
    names: tuple[str, ...]
    classes: tuple[str, ...]
    kind: str | None

    @property
    def label(self) -> str:
        """The most specific thing known about it: a specific class, else a broad one, else the kind."""
        specific = [c for c in self.classes if c not in GENERIC_CLASSES]
        if specific:
            return specific[0]
        if self.classes:
            return self.classes[0]
        return self.kind or "unclassified"


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[re.Pattern[str], str, str, tuple[str, ...] | None], ...]:
    return tuple((re.compile(p, re.I), cls, kind, anchors(p)) for p, cls, kind, _src in CLASSES)


def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return parts + [pattern[start:]]


def _required_text(alternative: str) -> str:
    """The alternative with everything that may be absent from a match cut out: groups,
    character classes, escapes, and characters a ``?`` or ``*`` makes optional."""
    out, depth, in_class, i = [], 0, False, 0
    while i < len(alternative):
        ch = alternative[i]
        nxt = alternative[i + 1] if i + 1 < len(alternative) else ""
        if ch == "\\":
            out.append("\0")
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            out.append("\0")
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            out.append("\0")
        elif depth == 0:
            if nxt in ("?", "*", "{"):
                out.append("\0")  # an optional or repeated character
            elif ch in "?*+{}.^$":
                out.append("\0")
            else:
                out.append(ch)
        i += 1
    return "".join(out)


def anchors(pattern: str) -> tuple[str, ...] | None:
    """Lower-case strings one of which every match of ``pattern`` contains (the longest
    literal run of each top-level alternative), or ``None`` when an alternative has none of
    at least three characters: a cheap test that skips the regex for most texts."""
    found = []
    for alternative in _top_level_alternatives(pattern):
        runs = [r for r in _required_text(alternative).split("\0") if len(r.strip()) >= 3]
        if not runs:
            return None
        found.append(max(runs, key=len).lower())
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=1 << 18)
def classify(text: str) -> tuple[str, ...]:
    """The classes named in ``text`` (an intervention name, other names …), table order.

    >>> classify("Tadalafil 5 mg")
    ('PDE5 inhibitor',)
    """
    if not text.isascii():  # case-blind matching beyond ASCII ("İ") is the regex's to decide
        return classify_slowly(text)
    low = text.lower()
    found: list[str] = []
    for pattern, cls, _kind, needles in _compiled():
        if cls in found or (needles is not None and not any(n in low for n in needles)):
            continue
        if pattern.search(text):
            found.append(cls)
    return tuple(found)


def classify_slowly(text: str) -> tuple[str, ...]:
    """:func:`classify` without the anchor test (every pattern searched): the reference the
    tests compare it with."""
    found: list[str] = []
    for pattern, cls, _kind, _needles in _compiled():
        if cls not in found and pattern.search(text):
            found.append(cls)
    return tuple(found)


@functools.lru_cache(maxsize=1)
def _kind_of() -> dict[str, str]:
    return {cls: kind for _p, cls, kind, _s in CLASSES}


def class_kind(cls: str) -> str:
    """The broad kind of a class (``"PDE5 inhibitor"`` -> ``"drug"``)."""
    return _kind_of()[cls]


def _listed(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    try:
        if hasattr(value, "__len__") and not isinstance(value, str):
            return [str(v) for v in list(value) if v is not None and str(v).strip()]
    except TypeError:
        pass
    return []


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def tested_interventions(trial: Mapping | pd.Series) -> list[InterventionItem]:
    """The items that say what a trial tests: :func:`trial_interventions` without those whose
    only classes are measurements (a blood draw, an MRI, a questionnaire): how a trial
    measures is not what it tests. A diagnostic trial's tracer or device stays."""
    return [
        it
        for it in trial_interventions(trial)
        if not it.classes or not set(it.classes) <= UNINFORMATIVE_CLASSES
    ]


def intervention_names(trial: Mapping | pd.Series) -> list[str]:
    """The distinct names of a trial's tested interventions and its other names (the items of
    the set-valued ``interventions`` field, one vector each)."""
    items = tested_interventions(trial)
    names = [it.name for it in items]
    if items:
        names += _listed(trial.get("intervention_other_names"))
    return distinct(names)


def trial_interventions(trial: Mapping | pd.Series) -> list[InterventionItem]:
    """The trial's interventions as items (placebo, sham and usual-care arms left out).

    The classes of an item come from its name first; from its description only where the
    name names none. The record's other names and intervention MeSH terms belong to the
    trial, not to one arm, so their classes go to every item that has no class of its own.
    """
    get = trial.get
    names = _listed(get("interventions"))
    types = _listed(get("intervention_types"))
    descs = list(get("intervention_descriptions", None) or [])
    shared = _listed(get("intervention_other_names")) + _listed(get("intervention_mesh"))
    shared_classes = classify(" ; ".join(shared)) if shared else ()
    items: list[InterventionItem] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if GENERIC_ARM.match(name.strip()) or name.strip().lower() in seen:
            continue
        seen.add(name.strip().lower())
        itype = types[i] if i < len(types) and types[i] else None
        classes = classify(name)
        if not classes and i < len(descs) and _text(descs[i]):
            classes = classify(_text(descs[i])[:300])
        if not classes:
            classes = shared_classes
        kind = class_kind(_best(classes)) if classes else TYPE_KINDS.get(itype or "", None)
        items.append(InterventionItem(name.strip(), itype, (name.strip(), *shared), classes, kind))
    return items


def _best(classes: Sequence[str]) -> str:
    specific = [c for c in classes if c not in GENERIC_CLASSES]
    return specific[0] if specific else classes[0]


def title_classes(trial: Mapping | pd.Series) -> tuple[str, ...]:
    """Classes named in the trial's titles ("… the Menin Inhibitor SNDX-5613 …"), leaving out
    diagnostic and procedure classes (a title's "assessment" or "surgery" is rarely the
    intervention)."""
    text = " ".join(_text(trial.get(c)) for c in ("title", "official_title"))
    return tuple(
        c
        for c in classify(text)
        if c not in UNINFORMATIVE_CLASSES and class_kind(c) in _TITLE_KINDS
    )


def intervention_classes(trial: Mapping | pd.Series) -> tuple[set[str], set[str]]:
    """``(classes, kinds)`` of a trial: its items' classes and title classes, and their kinds."""
    items = tested_interventions(trial)
    classes = {c for it in items for c in it.classes} | set(title_classes(trial))
    kinds = {it.kind for it in items if it.kind} | {class_kind(c) for c in classes}
    return classes, kinds


@dataclass(frozen=True)
class KindMatch:
    """How two trials' interventions compare by class: a value in [0, 1] and the words why."""

    value: float
    reason: str
    shared: str | None = None


def intervention_match(
    a: tuple[Iterable[str], Iterable[str]], b: tuple[Iterable[str], Iterable[str]]
) -> KindMatch:
    """Compare two trials' ``(classes, kinds)`` (see :func:`intervention_classes`).

    >>> intervention_match(({"PDE5 inhibitor"}, {"drug"}), ({"PDE5 inhibitor"}, {"drug"})).reason
    'both PDE5 inhibitor'
    """
    ca, ka = set(a[0]), set(a[1])
    cb, kb = set(b[0]), set(b[1])
    both = ca & cb
    specific = sorted(c for c in both if c not in GENERIC_CLASSES)
    if specific:
        return KindMatch(CLASS_MATCH, f"both {specific[0]}", specific[0])
    broad = sorted(both - UNINFORMATIVE_CLASSES)
    if broad:
        return KindMatch(KIND_MATCH, f"both {broad[0]} (different specifics)", broad[0])
    kinds = sorted((ka & kb) & SPECIFIC_KINDS)
    if kinds:
        return KindMatch(KIND_MATCH, f"both {kinds[0]} (different classes)", kinds[0])
    if not ka or not kb:
        return KindMatch(0.0, "intervention kind unknown")
    if ka & kb:
        k = sorted(ka & kb)[0]
        return KindMatch(0.0, f"both {k}, classes differ or unknown")
    return KindMatch(0.0, f"different intervention kind: {_kinds(ka)} vs {_kinds(kb)}")


def _kinds(kinds: set[str]) -> str:
    order = {k: i for i, k in enumerate(KINDS)}
    return "/".join(sorted(kinds, key=lambda k: order.get(k, 99))[:2])


# Words that join the parts of a free text ("X for Y in Z"), and words about the design of
# a study rather than its condition or intervention.
_JOINERS = re.compile(
    r"\s*(?:[,;:.()]|\b(?:for|in|with|of|versus|vs\.?|and|or|to|on|among|after|before|"
    r"plus|compared|given|using|via|by|at)\b)\s*",
    re.I,
)
_DESIGN = re.compile(
    r"\b(?:a|an|the|phase|[0-4]|i{1,3}|iv|[1-4][ab]?|randomi[sz]ed|controlled|double|single|"
    r"blind(?:ed)?|open[- ]label|placebo|multicent(?:er|re)|pilot|trial|study|studies|"
    r"safety|efficacy|effect|effects|effectiveness|evaluation|evaluate|assess(?:ment)?|"
    r"patients?|subjects?|participants?|adults?|people|treatment|therapy|intravenous(?:ly)?|"
    r"administered|administration|dose|doses|clinical)\b",
    re.I,
)


def text_classes(text: str) -> tuple[set[str], set[str]]:
    """``(classes, kinds)`` a free text names (measurement classes left out)."""
    classes = {c for c in classify(text) if c not in UNINFORMATIVE_CLASSES}
    return classes, {class_kind(c) for c in classes}


def split_text(text: str) -> tuple[str, list[str]]:
    """A free text -> ``(condition text, intervention phrases)``.

    The text is cut at joining words ("for", "in", "with", commas …); a phrase that names an
    intervention class is an intervention phrase, the others (without design words such as
    "phase 2", "randomized", "trial") make the condition text.

    >>> split_text("umbilical cord mesenchymal stem cells for acute ischemic stroke")
    ('acute ischemic stroke', ['umbilical cord mesenchymal stem cells'])
    """
    phrases = [p.strip() for p in _JOINERS.split(text or "") if p and p.strip()]
    named, rest = [], []
    for phrase in phrases:
        (named if text_classes(phrase)[0] else rest).append(phrase)
    condition = " ".join(_DESIGN.sub(" ", " ".join(rest)).split())
    return condition, named
