"""Checks of what the API sent: a problem as a short text, or ``None`` when it is fine."""

from __future__ import annotations

from typing import Any

__all__ = ["nct_problem", "study_problem", "page_problem"]


def nct_problem(study: Any) -> str | None:
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        return "not an API v2 study (no 'protocolSection')"
    ident = study["protocolSection"].get("identificationModule")
    if not isinstance(ident, dict) or not isinstance(ident.get("nctId"), str):
        return "a study without protocolSection.identificationModule.nctId"
    return None


def study_problem(data: Any) -> str | None:
    return nct_problem(data)


def page_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"not a page of studies (a JSON {type(data).__name__})"
    if not isinstance(data.get("studies"), list):
        keys = ", ".join(list(data)[:6]) or "(none)"
        return f"not a page of studies: no 'studies' list (keys: {keys})"
    token = data.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        return f"nextPageToken is a {type(token).__name__}, not a string"
    for pos, study in enumerate(data["studies"]):
        problem = nct_problem(study)
        if problem:
            return f"study {pos}: {problem}"
    return None
