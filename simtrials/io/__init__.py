"""Readers: ClinicalTrials.gov files in the formats people have -> the normalized trial table."""

from .read import TrialFormatWarning, read_ctgov

__all__ = ["read_ctgov", "TrialFormatWarning"]
