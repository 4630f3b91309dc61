"""Which Harmony service serves a request, as Harmony chooses it (nasa/harmony, models/services).

Each capability mode gives the collection a set of services. Harmony keeps the services that can do
every requested operation; when none can, and the request asked for spatial or temporal subsetting
beside other work, it falls back to "best effort" on the required operations only (variable
subsetting, reformatting) and says so in the job message. `harmony/download` (no processing, the
native granules) serves every collection. No match is a 422 `UnsupportedOperation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from harmony_emulator.scans import SHORT_NAMES

NETCDF4 = "application/x-netcdf4"
BEST_EFFORT = "Data in output files may extend outside the spatial and temporal bounds you requested."


@dataclass(frozen=True)
class Service:
    name: str
    kind: str  # output kind: geotiff | netcdf | native
    bbox: bool
    variable: bool
    temporal: bool
    formats: tuple[str, ...]
    listed: bool = True  # associated with the collection (shown by /capabilities)

    def does(self, variable: bool, fmt: str | None, spatial: bool, temporal: bool) -> bool:
        if self.kind == "native" and fmt:
            return False  # harmony/download only lists the native granules: it never reformats
        return (
            (not variable or self.variable)
            and (not spatial or self.bbox)
            and (not temporal or self.temporal)
            and (fmt is None or fmt in self.formats)
        )


# Not associated with any collection, so /capabilities never lists it (all_collections in services.yml).
DOWNLOAD = Service("harmony/download", "native", False, False, False, ("application/netcdf",), listed=False)
HOSS = Service("sds/HOSS", "netcdf", True, True, True, (NETCDF4,))
HOSS_GEOTIFF = Service("sds/HOSS-geotiff", "geotiff", True, True, True, ("image/tiff",))
# HOSS as the public record describes it for TEMPO L3 (reference, "Harmony for TEMPO L3"): bbox,
# variable and temporal subsetting, output `application/netcdf` only, in `…_subsetted.nc4` files that
# keep the group layout and the 1-D coordinates. No GeoTIFF.
HOSS_NETCDF_ONLY = Service("sds/HOSS", "hoss", True, True, True, ("application/netcdf",))
SERVICES_BY_MODE = {
    # HOSS first: a request that names no format gets its NetCDF-4, as Harmony's default format.
    "tiff": (HOSS, HOSS_GEOTIFF, DOWNLOAD),
    "netcdf": (HOSS, DOWNLOAD),
    "hoss": (HOSS_NETCDF_ONLY, DOWNLOAD),
    "native": (DOWNLOAD,),
}


def select_service(
    mode: str,
    collection: str,
    *,
    variable_subset: bool,
    output_format: str | None,
    spatial: bool,
    temporal: bool,
) -> tuple[str, str] | str:
    """(output kind, job note) of the service Harmony would run, or the 422 message."""
    services = SERVICES_BY_MODE[mode]
    for service in services:
        if service.does(variable_subset, output_format, spatial, temporal):
            return service.kind, ""
    strict = not (spatial and temporal) and not (variable_subset or output_format)
    if (spatial or temporal) and not strict:
        for service in services:
            if service.does(variable_subset, output_format, False, False):
                return service.kind, BEST_EFFORT
    wanted = []
    if variable_subset:
        wanted.append("variable subsetting")
    if spatial:
        wanted.append("spatial subsetting")
    if temporal:
        wanted.append("temporal subsetting")
    if output_format:
        wanted.append(f"reformatting to {output_format}")
    listed = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " and " + wanted[-1]
    return f"the requested combination of operations: {listed} on {collection} is unsupported"


def capabilities_document(collection: str, mode: str) -> dict:
    """GET /capabilities for the collection (version 2 of Harmony's document)."""
    services = [s for s in SERVICES_BY_MODE[mode] if s.listed]
    formats: list[str] = []
    for service in services:
        formats += [f for f in service.formats if f not in formats]
    return {
        "conceptId": collection,
        "shortName": SHORT_NAMES.get(collection, collection),
        "variableSubset": any(s.variable for s in services),
        "bboxSubset": any(s.bbox for s in services),
        "shapeSubset": False,
        "temporalSubset": any(s.temporal for s in services),
        "concatenate": False,
        "reproject": False,
        "outputFormats": formats,
        "services": [
            {
                "name": s.name,
                "href": f"https://cmr.earthdata.nasa.gov/search/concepts/S0000000000-{s.name.split('/')[0].upper()}",
                "capabilities": {
                    "subsetting": {"bbox": s.bbox, "variable": s.variable, "temporal": s.temporal},
                    "output_formats": list(s.formats),
                    "reprojection": False,
                    "concatenation": False,
                },
            }
            for s in services
        ],
        "variables": [],
        "capabilitiesVersion": "2",
    }
