"""ClinicalTrials.gov API v2 JSON: one study dict -> one normalized record.

A study looks like ``{"protocolSection": {"identificationModule": {"nctId": …}, …},
"derivedSection": {…}}``. Only the fields of the normalized schema are read; a field of the
wrong type raises :class:`~simtrials.errors.TrialFormatError` naming its JSON path.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import TrialFormatError
from ..schema import NCT_ID_RE
from ..textfmt import clip
from . import codes, values

__all__ = ["parse_study", "is_study"]


def is_study(obj: Any) -> bool:
    """Whether ``obj`` looks like one API v2 study."""
    return isinstance(obj, dict) and "protocolSection" in obj


class _Reader:
    """Typed access to nested JSON with errors that name the path."""

    def __init__(self, study: dict, source: str | None, position: int | None) -> None:
        self.study = study
        self.source = source
        self.position = position
        self.nct_id: str | None = None

    def error(self, path: str, message: str) -> TrialFormatError:
        return TrialFormatError(
            message, source=self.source, position=self.position, nct_id=self.nct_id, field=path
        )

    def get(
        self, path: str, kind: type | tuple[type, ...], root: Any = None, at: str | None = None
    ) -> Any:
        """The value at ``path`` (from the study, or from ``root``, whose own path is ``at``)."""
        node = self.study if root is None else root
        label = path if at is None else f"{at}.{path}"
        for part in path.split("."):
            if node is None:
                return None
            if not isinstance(node, dict):
                raise self.error(
                    label, f"expected an object at {part!r}, got {type(node).__name__}"
                )
            node = node.get(part)
        if node is None:
            return None
        if not isinstance(node, kind) or (isinstance(node, bool) and bool not in _as_tuple(kind)):
            raise self.error(
                label, f"expected {_kind_name(kind)}, got {type(node).__name__} {_repr(node)}"
            )
        return node

    def text(self, path: str, root: Any = None, at: str | None = None) -> str | None:
        return self.get(path, str, root, at)

    def text_list(self, path: str, root: Any = None, at: str | None = None) -> list[str]:
        """A list of strings; ``null`` items are missing values and left out."""
        items = self.get(path, list, root, at) or []
        for item in items:
            if item is not None and not isinstance(item, str):
                raise self.error(
                    path if at is None else f"{at}.{path}",
                    f"expected a list of strings, found {type(item).__name__} {_repr(item)}",
                )
        return [item for item in items if item is not None]

    def objects(self, path: str) -> list[dict]:
        """A list of objects; a ``null`` item reads as an empty object (positions are kept)."""
        items = self.get(path, list) or []
        for item in items:
            if item is not None and not isinstance(item, dict):
                raise self.error(path, f"expected a list of objects, found {type(item).__name__}")
        return [{} if item is None else item for item in items]

    def parsed(self, path: str, parser, value: Any) -> Any:
        try:
            return parser(value)
        except ValueError as exc:
            raise self.error(path, str(exc)) from None


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        list: "a list",
        dict: "an object",
        int: "an integer",
        bool: "true/false",
        float: "a number",
    }
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def parse_study(study: Any, *, source: str | None = None, position: int | None = None) -> dict:
    """Turn one API v2 study dict into a normalized record (a dict of schema columns).

    Raises
    ------
    TrialFormatError
        When the study has no ``protocolSection`` or ``nctId``, a malformed NCT ID, or a
        field of the wrong type.
    """
    r = _Reader(study, source, position)
    if not isinstance(study, dict):
        raise r.error(
            "protocolSection",
            f"expected a study object, got {type(study).__name__} {_repr(study)}",
        )
    if "protocolSection" not in study:
        raise r.error("protocolSection", "not an API v2 study: it has no 'protocolSection'")
    ps = r.get("protocolSection", dict)
    if ps is None:
        raise r.error("protocolSection", "'protocolSection' is empty")
    nct = r.get("protocolSection.identificationModule.nctId", str)
    if nct is None:
        raise r.error("protocolSection.identificationModule.nctId", "the study has no NCT ID")
    nct = nct.strip()
    if not NCT_ID_RE.fullmatch(nct):
        raise r.error(
            "protocolSection.identificationModule.nctId",
            f"invalid NCT ID {nct!r}; expected 'NCT' followed by 8 digits",
        )
    r.nct_id = nct
    rec: dict[str, Any] = {"nct_id": nct, "source": source}
    for part in (_texts, _interventions, _design, _dates_and_sponsors, _eligibility, _locations):
        part(r, "protocolSection.", rec)
    return rec


def _texts(r: _Reader, p: str, rec: dict[str, Any]) -> None:
    """Titles, summaries, conditions, keywords and MeSH terms."""
    rec["title"] = r.text(p + "identificationModule.briefTitle")
    rec["official_title"] = r.text(p + "identificationModule.officialTitle")
    rec["acronym"] = r.text(p + "identificationModule.acronym")
    rec["brief_summary"] = r.text(p + "descriptionModule.briefSummary")
    rec["detailed_description"] = r.text(p + "descriptionModule.detailedDescription")
    rec["conditions"] = r.text_list(p + "conditionsModule.conditions")
    rec["keywords"] = r.text_list(p + "conditionsModule.keywords")
    rec["condition_mesh"] = [
        m["term"]
        for m in r.objects("derivedSection.conditionBrowseModule.meshes")
        if isinstance(m.get("term"), str)
    ]
    rec["intervention_mesh"] = [
        m["term"]
        for m in r.objects("derivedSection.interventionBrowseModule.meshes")
        if isinstance(m.get("term"), str)
    ]


def _interventions(r: _Reader, p: str, rec: dict[str, Any]) -> None:
    """Interventions and arm groups, as parallel lists."""
    names, types, descs, others = [], [], [], []
    path = p + "armsInterventionsModule.interventions"
    for i, iv in enumerate(r.objects(path)):
        at = f"{path}[{i}]"
        name = r.text("name", iv, at)
        if name is None or not name.strip():
            continue
        names.append(name)
        itype = r.text("type", iv, at)
        types.append(values.parse_code(itype) or "")
        descs.append(r.text("description", iv, at) or "")
        others.extend(r.text_list("otherNames", iv, at))
    rec["interventions"] = names
    rec["intervention_types"] = types
    rec["intervention_descriptions"] = descs
    rec["intervention_other_names"] = others
    (
        rec["arm_group_labels"],
        rec["arm_group_types"],
        rec["arm_group_descriptions"],
    ) = _arm_groups(r, p + "armsInterventionsModule.armGroups")


def _design(r: _Reader, p: str, rec: dict[str, Any]) -> None:
    """Phases, type, status, results, design and enrollment."""
    rec["phases"] = r.parsed(
        p + "designModule.phases", values.parse_phases, r.text_list(p + "designModule.phases")
    )
    rec["study_type"] = values.parse_code(r.text(p + "designModule.studyType"))
    rec["overall_status"] = values.parse_status(r.text(p + "statusModule.overallStatus"))
    rec["why_stopped"] = r.text(p + "statusModule.whyStopped")
    rec["has_results"] = r.get("hasResults", bool)
    rec["allocation"] = values.parse_code(r.text(p + "designModule.designInfo.allocation"))
    rec["intervention_model"] = values.parse_code(
        r.text(p + "designModule.designInfo.interventionModel")
    )
    rec["masking"] = values.parse_code(r.text(p + "designModule.designInfo.maskingInfo.masking"))
    rec["primary_purpose"] = values.parse_code(r.text(p + "designModule.designInfo.primaryPurpose"))
    path = p + "designModule.enrollmentInfo.count"
    count = r.get(path, (int, float))
    if count is not None and not (math.isfinite(count) and 0 <= count < 2**63):
        raise r.error(path, f"expected a whole number >= 0, got {count!r}")
    rec["enrollment"] = int(count) if count is not None else None
    path = p + "designModule.enrollmentInfo.type"
    rec["enrollment_type"] = r.parsed(path, codes.parse_enrollment_type, r.text(path))


def _dates_and_sponsors(r: _Reader, p: str, rec: dict[str, Any]) -> None:
    """Dates (the last update falls back to its submit date) and sponsors."""
    for col, field in (
        ("start_date", "statusModule.startDateStruct.date"),
        ("primary_completion_date", "statusModule.primaryCompletionDateStruct.date"),
        ("completion_date", "statusModule.completionDateStruct.date"),
        ("last_update", "statusModule.lastUpdatePostDateStruct.date"),
    ):
        rec[col] = r.parsed(p + field, values.parse_date, r.text(p + field))
    if rec["last_update"] is None:
        field = p + "statusModule.lastUpdateSubmitDate"
        rec["last_update"] = r.parsed(field, values.parse_date, r.text(field))

    rec["sponsor"] = r.text(p + "sponsorCollaboratorsModule.leadSponsor.name")
    rec["sponsor_class"] = codes.parse_sponsor_class(
        r.text(p + "sponsorCollaboratorsModule.leadSponsor.class")
    )
    rec["collaborators"] = [
        c["name"]
        for c in r.objects(p + "sponsorCollaboratorsModule.collaborators")
        if isinstance(c.get("name"), str)
    ]


def _eligibility(r: _Reader, p: str, rec: dict[str, Any]) -> None:
    """Sex, ages, healthy volunteers, criteria and outcome measures."""
    rec["sex"] = values.parse_code(r.text(p + "eligibilityModule.sex"))
    rec["std_ages"] = r.text_list(p + "eligibilityModule.stdAges")
    for col, field in (("minimum_age_years", "minimumAge"), ("maximum_age_years", "maximumAge")):
        path = p + "eligibilityModule." + field
        rec[col] = r.parsed(path, values.parse_age_years, r.text(path))
    rec["healthy_volunteers"] = r.get(p + "eligibilityModule.healthyVolunteers", bool)
    rec["eligibility_criteria"] = r.text(p + "eligibilityModule.eligibilityCriteria")
    rec["primary_outcomes"] = _outcomes(r, p + "outcomesModule.primaryOutcomes")
    rec["secondary_outcomes"] = _outcomes(r, p + "outcomesModule.secondaryOutcomes")


def _locations(r: _Reader, p: str, rec: dict[str, Any]) -> None:
    """Countries (distinct, in order) and the number of sites."""
    countries: list[str] = []
    n_locations = 0
    path = p + "contactsLocationsModule.locations"
    for i, loc in enumerate(r.objects(path)):
        at = f"{path}[{i}]"
        parts = [r.text(k, loc, at) for k in ("facility", "city", "state", "zip", "country")]
        n_locations += any(t and t.strip() for t in parts)  # a location with no text is none
        c = (parts[-1] or "").strip()
        if c and c not in countries:
            countries.append(c)
    rec["countries"] = countries
    rec["location_count"] = n_locations or None


def _outcomes(r: _Reader, path: str) -> list[str]:
    """Outcome measures at ``path``: "measure, description, time frame" each."""
    outcomes = []
    for i, o in enumerate(r.objects(path)):
        parts = [r.text(k, o, f"{path}[{i}]") for k in ("measure", "description", "timeFrame")]
        parts = [(t or "").strip() for t in parts]
        if parts[0]:  # an outcome is its measure; whitespace is no measure
            outcomes.append(", ".join(t for t in parts if t))
    return outcomes


def _arm_groups(r: _Reader, path: str) -> tuple[list[str], list[str], list[str]]:
    """Arm groups at ``path`` as parallel lists (labels, types, descriptions)."""
    labels, types, descs = [], [], []
    for i, arm in enumerate(r.objects(path)):
        at = f"{path}[{i}]"
        label = (r.text("label", arm, at) or "").strip()
        if not label:
            continue
        labels.append(label)
        types.append(values.parse_code(r.text("type", arm, at)) or "")
        descs.append((r.text("description", arm, at) or "").strip())
    return labels, types, descs


def _repr(value: Any) -> str:
    """A value as an error message shows it: its repr, clipped to 60 characters."""
    return clip(repr(value), 60)
