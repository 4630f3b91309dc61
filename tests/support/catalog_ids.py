"""Concept ids the emulator serves for the catalog's products (the pipeline resolves them through CMR)."""

from __future__ import annotations

from aeris_lib.gases import DEFAULT_CATALOG, LATEST
from harmony_emulator.scans import PRODUCTS, collection_for


def newest_version(short_name: str) -> str:
    """The newest version the emulator publishes of a short name (what `latest` resolves to)."""
    versions = [p.version for p in PRODUCTS.values() if p.short_name == short_name]
    return max(versions, key=lambda v: int(v.lstrip("Vv")))


def concept_id(gas: str, line: str = "standard") -> str:
    short_name, version, explicit = DEFAULT_CATALOG[gas].product_name(line)
    if explicit:
        return explicit
    return collection_for(short_name, newest_version(short_name) if version == LATEST else version)
