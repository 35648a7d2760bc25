"""Readers: ClinicalTrials.gov files in the formats people have -> the normalized trial table."""

from .archive import MAX_MEMBER_BYTES
from .content import detect_format
from .read import TrialFormatWarning, read_ctgov

__all__ = ["read_ctgov", "TrialFormatWarning", "detect_format", "MAX_MEMBER_BYTES"]
