"""CMR's search as the emulator models it: collections by short name and version, and granules
(`/search/granules.umm_json` and `.json`) of the scans published so far."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from harmony_emulator.granules import (
    COLLECTIONS,
    TEMPO_EAST,
    TEMPO_NORTH,
    TEMPO_SOUTH,
    TEMPO_WEST,
)
from harmony_emulator.http_base import EmulatorHandler, iso, parse_time
from harmony_emulator.scans import (
    PRODUCTS,
    REGRIDDED_ON,
    Scan,
    granule_concept_id,
    granule_name,
    regridded,
)


class CmrSearch(EmulatorHandler):
    def full_url(self) -> str:
        return self.emulator.base_url + self.path

    # ---------------------------------------------------------------- CMR collection search
    def cmr_collections(self, query: str) -> None:
        """CMR's collection search (`collections.json`) by short_name, version and provider: the
        emulated TEMPO products whose fields all match what was asked."""
        self.state.stats["cmr_collection_requests"] += 1
        params = parse_qsl(query, keep_blank_values=True)
        known = {"short_name", "version", "provider", "provider_short_name", "page_size"}
        unknown = sorted({k for k, _ in params} - known)
        if unknown:
            return self.send_json(400, {"errors": [f"Parameter [{unknown[0]}] was not recognized."]})
        wanted = dict(params)
        provider = wanted.get("provider") or wanted.get("provider_short_name")
        entries = [
            {"id": concept_id, "short_name": product.short_name, "version_id": product.version,
             "data_center": "LARC_CLOUD", "title": f"{product.short_name} {product.version} (AERIS emulator)",
             "archive_center": "NASA/LARC/SD/ASDC"}
            for concept_id, product in PRODUCTS.items()
            if wanted.get("short_name", product.short_name) == product.short_name
            and wanted.get("version", product.version) == product.version
            and (provider or "LARC_CLOUD") == "LARC_CLOUD"
        ]  # fmt: skip
        body = {"feed": {"updated": datetime.now(UTC).isoformat(), "id": self.full_url(),
                         "title": "ECHO dataset metadata", "entry": entries}}  # fmt: skip
        return self.send_json(200, body, {"CMR-Hits": str(len(entries))})

    # ---------------------------------------------------------------- CMR granule search
    def cmr_granules(self, form: str, query: str) -> None:
        """CMR's granule search for the TEMPO collections: published granules overlapping `temporal`."""
        self.state.stats["cmr_requests"] += 1
        if self.state.take_service_fault("cmr_503"):
            return self.send_json(
                503, {"errors": ["Service Unavailable: the search is temporarily overloaded"]}
            )
        params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
        collection = params.get("collection_concept_id", "")
        try:
            start, end = (parse_time(t) for t in params["temporal"].split(",", 1))
            page_size = min(int(params.get("page_size", 10)), 2000)
            page_num = max(int(params.get("page_num", 1)), 1)
            bbox = (
                [float(v) for v in params["bounding_box"].split(",")] if params.get("bounding_box") else None
            )
        except (KeyError, ValueError):
            return self.send_json(
                400,
                {"errors": ["temporal must be 'start,end' (ISO 8601); page_size and bounding_box numbers"]},
            )
        scans = []
        if collection in COLLECTIONS and (bbox is None or _meets_field_of_regard(bbox)):
            scans = self.state.published_scans(collection, start, end)
        if params.get("sort_key", "start_date").startswith("-"):
            scans.reverse()
        shown = scans[(page_num - 1) * page_size : page_num * page_size]
        if form == "umm_json":
            body: dict = {"hits": len(scans), "took": 3, "items": [_umm_item(collection, s) for s in shown]}
        else:
            body = {"feed": {"id": self.full_url(), "title": "ECHO granule metadata",
                             "entry": [_json_entry(collection, s) for s in shown]}}  # fmt: skip
        return self.send_json(200, body, {"CMR-Hits": str(len(scans))})


def _meets_field_of_regard(bbox: list[float]) -> bool:
    west, south, east, north = bbox
    return (
        south < TEMPO_NORTH
        and north > TEMPO_SOUTH
        and (east < west or (west < TEMPO_EAST and east > TEMPO_WEST))
    )


def _umm_item(collection: str, scan: Scan) -> dict:
    name = granule_name(collection, scan)
    return {
        "meta": {
            "concept-type": "granule",
            "concept-id": granule_concept_id(collection, scan),
            "collection-concept-id": collection,
            "provider-id": "LARC_CLOUD",
            "native-id": name,
            "revision-id": scan.revision,
            "revision-date": iso(_revision_date(collection, scan)),
        },
        "umm": {
            "GranuleUR": name,
            "TemporalExtent": {
                "RangeDateTime": {"BeginningDateTime": iso(scan.start), "EndingDateTime": iso(scan.end)}
            },
            "SpatialExtent": {
                "HorizontalSpatialDomain": {
                    "Geometry": {
                        "BoundingRectangles": [
                            {
                                "WestBoundingCoordinate": TEMPO_WEST,
                                "SouthBoundingCoordinate": TEMPO_SOUTH,
                                "EastBoundingCoordinate": TEMPO_EAST,
                                "NorthBoundingCoordinate": TEMPO_NORTH,
                            }
                        ]
                    }
                }
            },
        },
    }


def _revision_date(collection: str, scan: Scan) -> datetime:
    if scan.revision == 2 and regridded(collection, scan):
        return REGRIDDED_ON  # NASA's overwrite of O3TOT V04 onto 0.02°
    # Republished files get a new revision a day or two after the first publication.
    return scan.end + timedelta(hours=2 if scan.revision == 1 else 24 * scan.revision)


def _json_entry(collection: str, scan: Scan) -> dict:
    name = granule_name(collection, scan)
    return {
        "id": granule_concept_id(collection, scan),
        "title": name,
        "producer_granule_id": name,
        "collection_concept_id": collection,
        "time_start": iso(scan.start),
        "time_end": iso(scan.end),
        "boxes": [f"{TEMPO_SOUTH} {TEMPO_WEST} {TEMPO_NORTH} {TEMPO_EAST}"],
    }
