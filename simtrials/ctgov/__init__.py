"""Fetch trials from the public ClinicalTrials.gov API v2.

>>> from simtrials.ctgov import Client
>>> client = Client(cache_dir="~/.cache/simtrials")  # doctest: +SKIP
>>> trials = client.search(cond="ischemic stroke", status="RECRUITING")  # doctest: +SKIP

Needs the optional ``requests`` package (``pip install 'simtrials[api]'``); importing this
package does not, making a :class:`Client` does.
"""

from __future__ import annotations

from .client import DEFAULT_BASE_URL, MAX_PAGE_SIZE, Client
from .query import STATUSES

__all__ = ["Client", "DEFAULT_BASE_URL", "MAX_PAGE_SIZE", "STATUSES"]
