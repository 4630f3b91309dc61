"""aeris_lib.db.capabilities: Harmony's capabilities document per collection, cached in PostGIS."""

from __future__ import annotations

from aeris_lib.db.capabilities import cached_capabilities, forget_capabilities, remember_capabilities

COLLECTION = "C0000000001-AERIS_TEST"


def test_a_document_is_remembered_replaced_and_forgotten(conn):
    forget_capabilities(conn, COLLECTION)
    assert cached_capabilities(conn, COLLECTION) is None
    remember_capabilities(conn, COLLECTION, {"conceptId": COLLECTION, "services": []})
    remember_capabilities(conn, COLLECTION, {"conceptId": COLLECTION, "services": [{"name": "hoss"}]})
    document, age_s = cached_capabilities(conn, COLLECTION)
    assert document == {"conceptId": COLLECTION, "services": [{"name": "hoss"}]} and 0 <= age_s < 60
    forget_capabilities(conn, COLLECTION)
    assert cached_capabilities(conn, COLLECTION) is None
