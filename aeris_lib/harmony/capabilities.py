"""What Harmony can do for a collection (`GET /capabilities`), and the request shape chosen from it.

Harmony answers `/capabilities?collectionId=…` with the collection's summary flags (`bboxSubset`,
`variableSubset`, `outputFormats`, …) and the `services` that can transform it, each with its own
`capabilities` (`subsetting.bbox`, `subsetting.variable`, `output_formats`). A subset in a format
needs one service that does all of it, so the choice reads the services, not the summary.

Shapes, best first:
- `geotiff`: GeoTIFF with a bbox and variable subset (the smallest download, loaded as is);
- `netcdf_subset`: NetCDF-4 with a bbox and variable subset, read locally;
- `native`: no transformation: Harmony lists the native granules (whole field of regard, every
  variable), the bbox window is read locally. Harmony serves this for any collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GEOTIFF, NETCDF_SUBSET, NATIVE = "geotiff", "netcdf_subset", "native"
SHAPES = (GEOTIFF, NETCDF_SUBSET, NATIVE)
AUTO = "auto"
TIFF_FORMATS = ("image/tiff",)
# Harmony's NetCDF media types, preferred first.
NETCDF_FORMATS = ("application/x-netcdf4", "application/netcdf", "application/x-netcdf")
SHAPE_FORMATS = {GEOTIFF: TIFF_FORMATS, NETCDF_SUBSET: NETCDF_FORMATS, NATIVE: ()}


class CapabilitiesError(ValueError):
    """The capabilities document cannot be understood, or the override names an unknown shape."""


@dataclass(frozen=True)
class Service:
    name: str
    bbox: bool
    variable: bool
    formats: tuple[str, ...]

    def subsets_to(self, formats: tuple[str, ...]) -> str | None:
        """The first of `formats` this service writes with a bbox and variable subset, or None."""
        if not (self.bbox and self.variable):
            return None
        return next((f for f in formats if f in self.formats), None)


@dataclass(frozen=True)
class Capabilities:
    collection_id: str
    short_name: str
    bbox_subset: bool
    variable_subset: bool
    output_formats: tuple[str, ...]
    services: tuple[Service, ...] = field(default=())

    @classmethod
    def from_json(cls, body: Any, collection_id: str | None = None) -> Capabilities:
        """The document, type-checked field by field; `CapabilitiesError` when it is not a capabilities
        document, or (with `collection_id`) describes another collection than the one asked for: a
        wrong answer must not be cached under the id that was asked."""
        if not isinstance(body, dict) or not isinstance(body.get("conceptId"), str):
            raise CapabilitiesError(f"not a Harmony capabilities document: {str(body)[:200]}")
        if collection_id is not None and body["conceptId"] != collection_id:
            raise CapabilitiesError(
                f"Harmony answered the capabilities of {body['conceptId'][:80]!r} when asked for {collection_id}"
            )
        raw_services = _typed(body, "services", list, [])
        if not all(isinstance(raw, dict) for raw in raw_services):
            raise CapabilitiesError("capabilities: every entry of 'services' must be an object")
        return cls(
            collection_id=body["conceptId"],
            short_name=_typed(body, "shortName", str, ""),
            bbox_subset=_typed(body, "bboxSubset", bool, False),
            variable_subset=_typed(body, "variableSubset", bool, False),
            output_formats=_formats(body.get("outputFormats"), "outputFormats"),
            services=tuple(_service(raw) for raw in raw_services),
        )

    def summary(self) -> str:
        """One line for the task log: what Harmony offers for the collection."""
        services = "; ".join(
            f"{s.name} (bbox {'yes' if s.bbox else 'no'}, variable {'yes' if s.variable else 'no'}, "
            f"{', '.join(s.formats) or 'no formats'})"
            for s in self.services
        )
        return (
            f"{self.short_name or self.collection_id} ({self.collection_id}): bbox subset "
            f"{'yes' if self.bbox_subset else 'no'}, variable subset {'yes' if self.variable_subset else 'no'}, "
            f"output formats {', '.join(self.output_formats) or 'none'}; services: {services or 'none'}"
        )


@dataclass(frozen=True)
class ShapeChoice:
    shape: str
    format: str | None  # the media type to ask for; None for native granules
    reason: str


def choose_shape(capabilities: Capabilities | None, override: str = AUTO) -> ShapeChoice:
    """The best request shape Harmony can serve for the collection (or the catalog's override)."""
    override = (override or AUTO).strip().lower()
    if override not in (AUTO, *SHAPES):
        raise CapabilitiesError(f"request_shape must be one of {AUTO}, {', '.join(SHAPES)}; got {override!r}")
    if override != AUTO:
        formats = SHAPE_FORMATS[override]
        found = _subsetter(capabilities, formats)
        fmt = found[1] if found else (formats[0] if formats else None)
        return ShapeChoice(override, fmt, "forced by the catalog's request_shape")
    if capabilities is None:
        return ShapeChoice(NATIVE, None, "Harmony's capabilities are unknown; native granules always work")
    for shape in (GEOTIFF, NETCDF_SUBSET):
        if found := _subsetter(capabilities, SHAPE_FORMATS[shape]):
            service, fmt = found
            return ShapeChoice(shape, fmt, f"service {service.name} subsets bbox and variable to {fmt}")
    offered = ", ".join(s.name for s in capabilities.services) or "none"
    return ShapeChoice(
        NATIVE,
        None,
        f"no service subsets {capabilities.collection_id} by bbox and variable to GeoTIFF or NetCDF-4 "
        f"(services: {offered}); asking for the native granules and reading the bbox locally",
    )


def _typed(body: dict, key: str, kind: type, default: Any) -> Any:
    """`body[key]` when it has the type the protocol gives it (absent or null: `default`)."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise CapabilitiesError(
            f"capabilities: '{key}' must be a {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _formats(raw: Any, key: str) -> tuple[str, ...]:
    """Media types, as strings or `{"mimeType": …}` objects."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CapabilitiesError(f"capabilities: '{key}' must be a list, got {type(raw).__name__}")
    formats = [f.get("mimeType") if isinstance(f, dict) else f for f in raw]
    media_types = tuple(f for f in formats if isinstance(f, str))
    if len(media_types) != len(formats):
        raise CapabilitiesError(f"capabilities: every entry of '{key}' must be a media type")
    return media_types


def _service(raw: dict) -> Service:
    caps = _typed(raw, "capabilities", dict, {})
    subsetting = _typed(caps, "subsetting", dict, {})
    key = "output_formats" if "output_formats" in caps else "outputFormats"
    return Service(
        name=_typed(raw, "name", str, "?"),
        bbox=_typed(subsetting, "bbox", bool, False),
        variable=_typed(subsetting, "variable", bool, False),
        formats=_formats(caps.get(key), key),
    )


def _subsetter(capabilities: Capabilities | None, formats: tuple[str, ...]) -> tuple[Service, str] | None:
    """The first service that subsets bbox and variable to one of `formats`, with that format."""
    for service in capabilities.services if capabilities else ():
        if fmt := service.subsets_to(formats):
            return service, fmt
    return None
