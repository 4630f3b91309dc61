"""Concept ids the emulator serves for the catalog's products (the pipeline resolves them through CMR)."""

from __future__ import annotations

from aeris_lib.gases import DEFAULT_CATALOG
from harmony_emulator.scans import collection_for


def concept_id(gas: str, line: str = "standard") -> str:
    short_name, version, explicit = DEFAULT_CATALOG[gas].product_name(line)
    return explicit or collection_for(short_name, version)
