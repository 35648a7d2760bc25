"""Why trials stopped: a small, documented keyword classifier of ``why_stopped`` reasons.

A terminated, withdrawn or suspended trial may give a free-text reason ("Slow accrual",
"Business decision, not related to safety."). :func:`stop_kind` puts each reason in one of
:data:`STOP_KINDS`, trying the kinds in that order and taking the first whose pattern
matches (so "lack of funding and of volunteers" is a funding reason, and "no benefit for
participants" is efficacy, not enrollment):

1. ``safety``: safety, adverse events, toxicity, side effects, deaths, tolerability, harm.
2. ``efficacy/futility``: futility, (lack of) efficacy, no benefit, ineffective, endpoint not met.
3. ``funding/business``: funding, finances, budget, business / commercial / strategic
   decisions, portfolio or priorities, the company or the sponsor's decision, contracts.
4. ``enrollment/accrual``: enrolment, accrual, recruitment, too few eligible patients,
   subjects, participants or volunteers.
5. ``other``: anything else (investigator left, design changed, COVID-19 with no word on
   recruitment, drug supply, regulatory …).

Before matching, negated mentions are removed: sponsors often write "not related to safety"
or "not due to safety or efficacy concerns", which says what the reason is *not*. The
patterns were written against the real reasons of the bundled corpus (tests check them there).
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["STOP_KINDS", "STOP_PATTERNS", "STOPPED_STATUSES", "stop_kind", "NOT_GIVEN"]

#: The statuses of a trial that stopped before its planned end.
STOPPED_STATUSES = ("TERMINATED", "WITHDRAWN", "SUSPENDED")

#: The kinds of reasons, in the order they are tried.
STOP_KINDS = ("safety", "efficacy/futility", "funding/business", "enrollment/accrual", "other")

#: A stopped trial that gives no reason (``why_stopped`` missing): counted, never guessed.
NOT_GIVEN = "reason not given"

_PEOPLE = r"(?:patients?|subjects?|participants?|volo?u?nteers?|pts|cases|candidates)"

#: The pattern of each kind but ``other`` (case-insensitive regular expressions).
STOP_PATTERNS: dict[str, str] = {
    "safety": r"safety|adverse|toxicit|side[- ]effects?|\bdeaths?\b|\bdied\b|tolerab|\bharm",
    "efficacy/futility": r"futil|efficacy|no (?:clinical )?benefit|lack of (?:benefit|effect|"
    r"response)|ineffective|not effective|(?:did not|failed to) (?:meet|reach|achieve|show|reveal|demonstrate)\b"
    r"[^.;]{0,40}(?:endpoint|efficacy|benefit|effect|difference)",
    "funding/business": r"fund|financ|budget|business|commercial|strateg|portfolio|priorit|"
    r"compan|corporate|sponsor|pipeline|\br ?(?:\\?&|and) ?d\b|contract|bankrupt|\bpaid\b|"
    r"pharmaceutical support|ceased development",
    "enrollment/accrual": r"enrol|accru|recruit|consent|" + _PEOPLE + r"\b[^.;]{0,30}\b(?:eligib"
    r"|meeting|enrolled)|(?:eligible|enough|sufficient|insufficient|adequate|few|low|small|"
    r"number of|lack of|no|zero|any|find)\s+(?:eligible\s+)?" + _PEOPLE,
}
_RES = {kind: re.compile(p, re.I) for kind, p in STOP_PATTERNS.items()}

# "not related to safety", "not due to safety or efficacy concerns", "no new safety signals",
# "(unrelated to safety)": mentions that say what the reason is not.
_NEGATED = re.compile(
    r"\b(?:not|no|nor|unrelated|without)\b[^.;()]{0,40}?\b(?:safety|efficacy)\b"
    r"(?:\s*(?:or|and|and/or|/)\s*(?:safety|efficacy)\b)?",
    re.I,
)
# A monitoring committee's name is not a reason: "Data Safety Monitoring Board (DSMB)
# recommendation … futility boundary" is a futility stop.
_COMMITTEE = re.compile(
    r"\b(?:data (?:and )?)?safety (?:and )?monitoring (?:board|committee)|\bD(?:S)?MCs?\b|\bDSMBs?\b",
    re.I,
)


def stop_kind(reason: object) -> str:
    """The kind of a ``why_stopped`` reason (one of :data:`STOP_KINDS`), or :data:`NOT_GIVEN`.

    >>> stop_kind("Slow accrual")
    'enrollment/accrual'
    >>> stop_kind("Business decision, not related to safety.")
    'funding/business'
    >>> stop_kind(None)
    'reason not given'
    """
    if reason is None or (not isinstance(reason, str) and pd.isna(reason)):
        return NOT_GIVEN
    text = _NEGATED.sub(" ", _COMMITTEE.sub(" ", str(reason))).strip()
    if not str(reason).strip():
        return NOT_GIVEN
    for kind, pattern in _RES.items():
        if pattern.search(text):
            return kind
    return "other"
