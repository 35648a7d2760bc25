"""ClinicalTrials.gov classic XML (``<clinical_study>``): one study file -> one normalized record.

This is the format of the registry's pre-2024 bulk download ``AllPublicXML.zip`` (one
``NCTxxxx/NCTxxxxxxxx.xml`` member per study) and of the old ``?displayxml=true`` pages.
Coded values are written in words ("Parallel Assignment", "Anticipated", "U.S. Fed"); they
are read as the API v2 codes JSON carries (see :mod:`simtrials.io.codes`).

Parsing uses :mod:`defusedxml` with document type declarations refused: entity expansion
("billion laughs", quadratic blow-up) and external entities or DTDs (which could read local
files or the network) are refused with a :class:`~simtrials.errors.TrialFormatError` before
anything is expanded. Registry files never declare a DTD.

Free-text blocks (``<textblock>``: summaries, descriptions, eligibility criteria) are the
registry's plain-text rendering, wrapped at about 100 characters and indented; they are read
dedented, with line ends normalized, so their words are those of the API v2 JSON text but the
line breaks and list bullets ("-  " instead of "* ") may differ.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as DET

from ..errors import TrialFormatError
from ..schema import NCT_ID_RE
from . import codes, values

__all__ = ["parse_clinical_study", "looks_like_xml"]

_ROOT = "clinical_study"


def looks_like_xml(text: bytes) -> bool:
    """Whether ``text`` (the start of a file, BOM and blanks allowed) is XML markup."""
    head = text.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head == b"<"


def _parse_tree(data: bytes, source: str | None, position: int | None) -> Element:
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise TrialFormatError(
            "XML with a document type declaration (DTD) is refused: it can expand entities "
            "or fetch external files; ClinicalTrials.gov files have none",
            source=source,
            position=position,
        ) from None
    except defusedxml.EntitiesForbidden as exc:
        raise TrialFormatError(
            f"XML entity declarations are refused (entity {exc.name!r}): they can expand "
            "without bound",
            source=source,
            position=position,
        ) from None
    except defusedxml.DefusedXmlException as exc:  # external references, not-supported
        raise TrialFormatError(
            f"unsafe XML refused ({type(exc).__name__})", source=source, position=position
        ) from None
    except ET.ParseError as exc:
        line, col = exc.position
        raise TrialFormatError(
            f"invalid XML at line {line}, column {col + 1}: {str(exc).split(':')[0]}",
            source=source,
            position=position,
        ) from None
    return root


class _Study:
    """Text access to one ``<clinical_study>`` element, with errors that name the field."""

    def __init__(self, root: Element, source: str | None, position: int | None) -> None:
        self.root = root
        self.source = source
        self.position = position
        self.nct_id: str | None = None

    def error(self, path: str, message: str) -> TrialFormatError:
        return TrialFormatError(
            message,
            source=self.source,
            position=self.position,
            nct_id=self.nct_id,
            field=f"{_ROOT}/{path}",
        )

    def text(self, path: str, node: Element | None = None) -> str | None:
        """The stripped text of the first element at ``path``; ``None`` when absent or blank."""
        el = (self.root if node is None else node).find(path)
        return _text(el)

    def texts(self, path: str, node: Element | None = None) -> list[str]:
        """The texts of every element at ``path``, blanks left out."""
        out = []
        for el in (self.root if node is None else node).findall(path):
            t = _text(el)
            if t:
                out.append(t)
        return out

    def block(self, path: str) -> str | None:
        """A ``<textblock>`` as plain text: dedented, line ends normalized."""
        el = self.root.find(path)
        if el is None or el.text is None:
            return None
        text = el.text.replace("\r\n", "\n").replace("\r", "\n")
        text = textwrap.dedent(text)
        text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
        return text or None

    def parsed(self, path: str, parser, value: Any) -> Any:
        try:
            return parser(value)
        except ValueError as exc:
            raise self.error(path, str(exc)) from None


def _text(el: Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def parse_clinical_study(
    data: bytes, *, source: str | None = None, position: int | None = None
) -> dict:
    """Turn one classic XML study file into a normalized record (a dict of schema columns).

    Parameters
    ----------
    data
        The bytes of one ``<clinical_study>`` document.
    source, position
        Where it came from, for error messages.

    Raises
    ------
    TrialFormatError
        For XML that is malformed or unsafe (a DTD or entity declarations), a root element
        other than ``<clinical_study>``, a missing or malformed NCT ID, or a value that cannot
        be read (naming the element path, e.g. ``clinical_study/enrollment``).
    """
    root = _parse_tree(data, source, position)
    s = _Study(root, source, position)
    if root.tag != _ROOT:
        raise TrialFormatError(
            f"XML is not a ClinicalTrials.gov study: expected a <{_ROOT}> root element, "
            f"found <{root.tag}>",
            source=source,
            position=position,
            field=root.tag,
        )
    nct = s.text("id_info/nct_id")
    if nct is None:
        raise s.error("id_info/nct_id", "the study has no NCT ID")
    if not NCT_ID_RE.fullmatch(nct):
        raise s.error(
            "id_info/nct_id", f"invalid NCT ID {nct!r}; expected 'NCT' followed by 8 digits"
        )
    s.nct_id = nct

    rec: dict[str, Any] = {"nct_id": nct, "source": source}
    rec["title"] = s.text("brief_title")
    rec["official_title"] = s.text("official_title")
    rec["acronym"] = s.text("acronym")
    rec["brief_summary"] = s.block("brief_summary/textblock")
    rec["detailed_description"] = s.block("detailed_description/textblock")
    rec["conditions"] = s.texts("condition")
    rec["keywords"] = s.texts("keyword")
    rec["condition_mesh"] = s.texts("condition_browse/mesh_term")
    rec["intervention_mesh"] = s.texts("intervention_browse/mesh_term")
    _interventions(s, rec)
    _arms(s, rec)
    _design(s, rec)
    _dates_and_sponsors(s, rec)
    _eligibility(s, rec)
    rec["primary_outcomes"] = _outcomes(s, "primary_outcome")
    rec["secondary_outcomes"] = _outcomes(s, "secondary_outcome")
    _locations(s, rec)
    return rec


def _interventions(s: _Study, rec: dict) -> None:
    names, types, descs, others = [], [], [], []
    for iv in s.root.findall("intervention"):
        name = s.text("intervention_name", iv)
        if not name:
            continue
        names.append(name)
        types.append(values.parse_code(s.text("intervention_type", iv)) or "")
        descs.append(s.text("description", iv) or "")
        others.extend(s.texts("other_name", iv))
    rec["interventions"] = names
    rec["intervention_types"] = types
    rec["intervention_descriptions"] = descs
    rec["intervention_other_names"] = others


def _arms(s: _Study, rec: dict) -> None:
    labels, types, descs = [], [], []
    for arm in s.root.findall("arm_group"):
        label = s.text("arm_group_label", arm)
        if not label:
            continue
        labels.append(label)
        types.append(values.parse_code(s.text("arm_group_type", arm)) or "")
        descs.append(s.text("description", arm) or "")
    rec["arm_group_labels"] = labels
    rec["arm_group_types"] = types
    rec["arm_group_descriptions"] = descs


def _design(s: _Study, rec: dict) -> None:
    rec["phases"] = s.parsed("phase", values.parse_phases, s.text("phase"))
    rec["study_type"] = codes.study_type_code(s.text("study_type"))
    rec["overall_status"] = values.parse_status(s.text("overall_status"))
    rec["why_stopped"] = s.text("why_stopped")
    # The bulk download carries posted results in the same file: no <clinical_results>, none.
    rec["has_results"] = s.root.find("clinical_results") is not None
    for field in ("allocation", "intervention_model", "masking", "primary_purpose"):
        rec[field] = values.design_code(field, s.text(f"study_design_info/{field}"))
    el = s.root.find("enrollment")
    count = _text(el)
    if count is not None:
        try:
            n = float(count)
        except ValueError:
            n = float("nan")
        if not (n == n and 0 <= n < 2**63 and n == int(n)):
            raise s.error("enrollment", f"expected a whole number >= 0, got {count!r}")
        rec["enrollment"] = int(n)
        rec["enrollment_type"] = s.parsed(
            "enrollment/@type", codes.parse_enrollment_type, el.get("type")
        )


def _dates_and_sponsors(s: _Study, rec: dict) -> None:
    for col, path in (
        ("start_date", "start_date"),
        ("primary_completion_date", "primary_completion_date"),
        ("completion_date", "completion_date"),
        ("last_update", "last_update_posted"),
    ):
        rec[col] = s.parsed(path, values.parse_date, s.text(path))
    if rec["last_update"] is None:
        path = "last_update_submitted"
        rec["last_update"] = s.parsed(path, values.parse_date, s.text(path))
    rec["sponsor"] = s.text("sponsors/lead_sponsor/agency")
    rec["sponsor_class"] = codes.parse_sponsor_class(s.text("sponsors/lead_sponsor/agency_class"))
    rec["collaborators"] = s.texts("sponsors/collaborator/agency")


_HEALTHY = {"YES": True, "ACCEPTS_HEALTHY_VOLUNTEERS": True, "NO": False}


def _eligibility(s: _Study, rec: dict) -> None:
    rec["eligibility_criteria"] = s.block("eligibility/criteria/textblock")
    rec["sex"] = values.parse_code(s.text("eligibility/gender"))
    for col, path in (
        ("minimum_age_years", "eligibility/minimum_age"),
        ("maximum_age_years", "eligibility/maximum_age"),
    ):
        rec[col] = s.parsed(path, values.parse_age_years, s.text(path))
    healthy = values.parse_code(s.text("eligibility/healthy_volunteers"))
    if healthy is not None:
        if healthy not in _HEALTHY:
            raise s.error(
                "eligibility/healthy_volunteers",
                f"expected 'Accepts Healthy Volunteers' or 'No', got {healthy!r}",
            )
        rec["healthy_volunteers"] = _HEALTHY[healthy]


def _outcomes(s: _Study, tag: str) -> list[str]:
    """Outcome measures as "measure, description, time frame" (the JSON reader's form)."""
    out = []
    for o in s.root.findall(tag):
        parts = [s.text(k, o) or "" for k in ("measure", "description", "time_frame")]
        if parts[0]:
            out.append(", ".join(p for p in parts if p))
    return out


def _locations(s: _Study, rec: dict) -> None:
    countries: list[str] = []
    n = 0
    for loc in s.root.findall("location"):
        if _text(loc) is None:
            continue
        n += 1
        c = s.text("facility/address/country", loc)
        if c and c not in countries:
            countries.append(c)
    if not n:  # older records list the countries without the sites
        countries = list(dict.fromkeys(s.texts("location_countries/country")))
    rec["countries"] = countries
    rec["location_count"] = n or None
