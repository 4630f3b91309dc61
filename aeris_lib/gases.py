"""The gas catalog: AERIS gas name -> TEMPO product by name (CMR short name + version) + variable.

Each gas names its standard product (reprocessed, published later) and, where TEMPO has one, its
near-real-time (NRT) product; the concept ids are resolved through CMR at run time (tasks.catalog),
never hard-coded. A standard product's version defaults to `latest`: the newest version CMR has of
the short name (V04 today; V03 forward processing has ended). A pinned version ("V03") wins.
`line` picks which one the hourly run asks for: `auto` (NRT where there is one, else
standard), `nrt` or `standard`. An explicit `collection_id` / `nrt_collection_id` wins over the name.
Facts and their sources: README "Gas catalog". TEMPO publishes no PM product: PM keeps the collection
id from the original design, marked unverified, so it fails on its own.
Override without code changes with JSON of the same shape (an Airflow Variable `aeris_gas_catalog`,
or a file named by `AERIS_GAS_CATALOG_FILE`): entries given replace the defaults gas by gas, field by
field. `request_shape` is `auto` (chosen from Harmony's capabilities) or forces `geotiff`,
`netcdf_subset` or `native` (see aeris_lib.harmony.capabilities).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from aeris_lib import defaults
from aeris_lib.harmony.capabilities import AUTO, SHAPES

GAS_NAMES = defaults.GAS_NAMES  # re-exported, as CONUS below
TEMPO_PIXEL_DEGREES = 0.02
# TEMPO's main data quality flag in the NO2 and HCHO L3 products (reference table).
QUALITY_FLAG = "product/main_data_quality_flag"
CONUS = defaults.CONUS  # the default region (re-exported: the DAG and tests take it from here)
# Hours (UTC) with a TEMPO east-west scan over North America: daylight, about 10:00 to 01:00 UTC (a
# summer day's last scan ends near 00:52 UTC; it keeps the observing day's scan number).
TEMPO_SCAN_HOURS_UTC = frozenset((*range(10, 24), 0))


NRT, STANDARD, AUTO_LINE = "nrt", "standard", "auto"
# O3TOT L3 V04 first shipped on 0.04° of latitude x 0.02° of longitude; NASA regridded it to 0.02° in
# April 2026 and overwrote the files under the same names (reference "Overwrites under the same name").
O3TOT_FORMER_GRIDS = ((TEMPO_PIXEL_DEGREES, 2 * TEMPO_PIXEL_DEGREES),)
# A version that means "the newest version CMR has of the short name" (README "Versions and publication").
LATEST = "latest"
# ASDC keeps NRT granules 14 days, and standard ones come out 8-40 h after an observation (reference:
# "NRT is kept 14 days", "Latency"). An hour within a day of the window's edge is asked of the standard
# line: its granules are out by then, and the NRT ones may go while the run waits.
NRT_WINDOW_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class GasProduct:
    gas: str
    variable: str
    units: str
    # The standard product's CMR name; "" when only `collection_id` names it.
    short_name: str = ""
    version: str = ""
    # The near-real-time product's CMR name; "" when TEMPO has none for this gas.
    nrt_short_name: str = ""
    nrt_version: str = ""
    line: str = AUTO_LINE
    # Explicit concept ids: win over the names (e.g. a pinned collection, or a product CMR cannot name).
    collection_id: str = ""
    nrt_collection_id: str = ""
    verified: bool = True
    note: str = ""
    request_shape: str = AUTO
    # The product's grid: a raster from Harmony with another pixel size is refused before reading.
    pixel_degrees: float = TEMPO_PIXEL_DEGREES
    # The product's own quality flag (0 good, 1 suspect, 2 bad), read beside the value; "" = none.
    quality_variable: str = ""
    # Grids the product's files were once on, (longitude step, latitude step) in degrees, each a whole
    # multiple of `pixel_degrees`: a file on one is split onto the product's grid (aeris_lib.regrid).
    former_grids: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        # JSON (an override, an XCom) gives lists: keep the entry hashable and comparable.
        grids = tuple(tuple(grid) for grid in self.former_grids or ())
        object.__setattr__(self, "former_grids", grids)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def has_nrt(self) -> bool:
        return bool(self.nrt_short_name or self.nrt_collection_id)

    def chosen_line(self) -> str:
        """The line the hourly run asks for."""
        if self.line == AUTO_LINE:
            return NRT if self.has_nrt else STANDARD
        return self.line

    def line_for_hour(self, hour: datetime, now: datetime, nrt_window_days: float) -> tuple[str, str]:
        """(line, why) for the hour: the catalog's choice, except that an hour NASA no longer keeps on
        the near-real-time line (older than `nrt_window_days` less NRT_WINDOW_MARGIN; 0: no window) is
        asked of the standard line."""
        if self.line != AUTO_LINE:
            return self.line, f"the catalog asks for the {self.line} line"
        if not self.has_nrt:
            return STANDARD, "TEMPO has no near-real-time product of this gas"
        if nrt_window_days and now - hour >= timedelta(days=nrt_window_days) - NRT_WINDOW_MARGIN:
            return STANDARD, (
                f"the hour is older than NASA's {nrt_window_days:g}-day near-real-time window "
                f"(less {NRT_WINDOW_MARGIN.days} day's margin): its NRT granules are gone from CMR"
            )
        return NRT, "near-real-time first; the reprocess DAG upgrades it to the standard line"

    def product_name(self, line: str) -> tuple[str, str, str]:
        """(short name, version, explicit concept id) of the line's product."""
        if line == NRT:
            return self.nrt_short_name, self.nrt_version, self.nrt_collection_id
        return self.short_name, self.version, self.collection_id


DEFAULT_CATALOG: dict[str, GasProduct] = {
    "NO2": GasProduct(
        "NO2", "product/vertical_column_troposphere", "molecules/cm²",
        short_name="TEMPO_NO2_L3", version=LATEST, nrt_short_name="TEMPO_NO2_L3_NRT", nrt_version="V02",
        quality_variable=QUALITY_FLAG,
    ),
    "CH2O": GasProduct(
        "CH2O", "product/vertical_column", "molecules/cm²",
        short_name="TEMPO_HCHO_L3", version=LATEST, nrt_short_name="TEMPO_HCHO_L3_NRT", nrt_version="V02",
        quality_variable=QUALITY_FLAG,
    ),
    "AI": GasProduct(
        "AI", "product/uv_aerosol_index", "unitless", short_name="TEMPO_O3TOT_L3", version=LATEST,
        former_grids=O3TOT_FORMER_GRIDS,
    ),
    "PM": GasProduct(
        "PM", "product/pm25", "µg/m³", collection_id="C2930763266-LARC_CLOUD", verified=False,
        note="unverified: TEMPO publishes no PM product; id and variable come from the original design",
    ),
    "O3": GasProduct(
        "O3", "product/column_amount_o3", "DU", short_name="TEMPO_O3TOT_L3", version=LATEST,
        former_grids=O3TOT_FORMER_GRIDS,
    ),
}  # fmt: skip


class CatalogError(ValueError):
    """The catalog override is malformed; the message says which gas and field."""


def _field_problems(gas: str, entry: Mapping[str, Any]) -> list[str]:
    """Every field of one entry with the wrong type or value (`"verified": "no"` is not a bool)."""
    problems = []
    for key in ("variable", "units"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            problems.append(f"{gas}.{key}: must be a non-empty string, got {entry[key]!r}")
    names = ("short_name", "version", "nrt_short_name", "nrt_version", "collection_id", "nrt_collection_id")
    for key in names:
        if not isinstance(entry[key], str):
            problems.append(f"{gas}.{key}: must be a string, got {entry[key]!r}")
    if problems:
        return problems
    if not (entry["short_name"] and entry["version"]) and not entry["collection_id"]:
        problems.append(f"{gas}: name the standard product by short_name and version, or give collection_id")
    if bool(entry["nrt_short_name"]) != bool(entry["nrt_version"]):
        problems.append(f"{gas}: nrt_short_name and nrt_version go together")
    if entry["line"] not in (AUTO_LINE, NRT, STANDARD):
        problems.append(f"{gas}.line: must be one of {AUTO_LINE}, {NRT}, {STANDARD}, got {entry['line']!r}")
    elif entry["line"] == NRT and not (entry["nrt_short_name"] or entry["nrt_collection_id"]):
        problems.append(f"{gas}.line: nrt, but the entry names no near-real-time product")
    if not isinstance(entry["quality_variable"], str):
        problems.append(
            f"{gas}.quality_variable: must be a variable name or empty, got {entry['quality_variable']!r}"
        )
    if not isinstance(entry["note"], str):
        problems.append(f"{gas}.note: must be a string, got {entry['note']!r}")
    if not isinstance(entry["verified"], bool):
        problems.append(f"{gas}.verified: must be true or false, got {entry['verified']!r}")
    if entry["request_shape"] not in (AUTO, *SHAPES):
        problems.append(f"{gas}.request_shape: must be one of {AUTO}, {', '.join(SHAPES)}")
    pixel = entry["pixel_degrees"]
    if isinstance(pixel, bool) or not isinstance(pixel, int | float) or not 0 < pixel <= 10:
        problems.append(f"{gas}.pixel_degrees: must be a number in (0, 10], got {pixel!r}")
    else:
        problems += _former_grid_problems(gas, entry["former_grids"], pixel)
    return problems


def _former_grid_problems(gas: str, grids: Any, pixel: float) -> list[str]:
    """A former grid is a [longitude step, latitude step] pair of whole multiples of the pixel."""
    if not isinstance(grids, list | tuple):
        return [f"{gas}.former_grids: must be a list of [longitude step, latitude step], got {grids!r}"]
    problems = []
    for grid in grids:
        steps = list(grid) if isinstance(grid, list | tuple) else []
        numbers = len(steps) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in steps
        )
        if not numbers or not all(v >= pixel and abs(v / pixel - round(v / pixel)) < 1e-6 for v in steps):
            problems.append(
                f"{gas}.former_grids: {grid!r} is not a [longitude step, latitude step] pair of whole "
                f"multiples of the pixel ({pixel:g}°)"
            )
    return problems


def build_catalog(override: str | Mapping[str, Any] | None = None) -> dict[str, GasProduct]:
    """Defaults, with `override` (JSON text or a mapping gas -> fields) applied gas by gas."""
    catalog = dict(DEFAULT_CATALOG)
    if not override:
        return catalog
    if isinstance(override, str):
        try:
            override = json.loads(override)
        except json.JSONDecodeError as error:
            raise CatalogError(f"gas catalog override is not valid JSON: {error}") from None
    if not isinstance(override, Mapping):
        raise CatalogError("gas catalog override must be a JSON object keyed by gas name")
    problems = []
    for gas, fields in override.items():
        if gas not in GAS_NAMES:
            problems.append(f"{gas}: unknown gas (expected one of {', '.join(GAS_NAMES)})")
            continue
        if not isinstance(fields, Mapping):
            problems.append(f"{gas}: entry must be an object")
            continue
        merged = {**catalog[gas].to_dict(), **fields, "gas": gas}
        unknown = set(merged) - set(GasProduct.__dataclass_fields__)
        if unknown:
            problems.append(f"{gas}: unknown field(s) {', '.join(sorted(unknown))}")
            continue
        found = _field_problems(gas, merged)
        if found:
            problems += found
            continue
        catalog[gas] = GasProduct(**merged)
    if problems:
        raise CatalogError("gas catalog override: " + "; ".join(problems))
    return catalog
