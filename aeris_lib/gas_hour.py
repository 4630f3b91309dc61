"""`GasHour`: one gas's product for one hour, as the plan hands it to every per-gas task (an XCom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from aeris_lib.gases import STANDARD, TEMPO_PIXEL_DEGREES, GasProduct


@dataclass(frozen=True)
class GasHour:
    """
    :param entry: the gas's catalog entry (variable, quality variable, pixel size, verified, note...).
    :param hour: start of the hour, timezone-aware UTC.
    :param bbox: (west, south, east, north) in degrees.
    :param collection_id: the CMR concept id resolved for `line`.
    :param line: the product line asked for (`nrt` or `standard`).
    :param short_name: the product's CMR short name ("" when only a concept id names it).
    :param version: the product's version as resolved ("V04" for the catalog's `latest`).
    :param upgraded_from: what this load replaces (reprocess DAG): `nrt`, or an older standard version
        ("TEMPO_O3TOT_L3 V03").
    :param publication: CMR's listing when already known (`{"granules": [...], "complete": bool}`).
    :param line_reason: why the plan asked for `line` (the ledger records it): e.g. the hour is older
        than NASA's NRT window, or the NRT line lists nothing for it while the standard line does.
    :param companions: the other gases of the run read from the same collection, as (gas, variable,
        quality variable): one read of a native granule serves them all (O3 and AI from O3TOT).
    """

    entry: GasProduct
    hour: datetime
    bbox: tuple[float, float, float, float]
    collection_id: str
    line: str = STANDARD
    short_name: str = ""
    version: str = ""
    upgraded_from: str | None = None
    publication: dict[str, Any] | None = field(default=None, compare=False)
    companions: tuple[tuple[str, str, str], ...] = ()
    line_reason: str = ""

    def __post_init__(self) -> None:
        if self.hour.tzinfo is None:
            raise ValueError(f"GasHour.hour must be timezone-aware, got {self.hour.isoformat()}")
        if len(self.bbox) != 4:
            raise ValueError(f"GasHour.bbox must be (west, south, east, north), got {self.bbox!r}")

    @property
    def gas(self) -> str:
        return self.entry.gas

    @property
    def pixel(self) -> float:
        """The product's grid in degrees (TEMPO's 0.02° unless the catalog says otherwise)."""
        return self.entry.pixel_degrees or TEMPO_PIXEL_DEGREES

    @property
    def product_name(self) -> str:
        """ "short_name version", e.g. "TEMPO_O3TOT_L3 V04"; "" when only a concept id names it."""
        return f"{self.short_name} {self.version}".strip()

    @property
    def label(self) -> str:
        """What the slice comes from, for logs: the product's name, else its line."""
        return self.product_name or self.line

    def to_xcom(self) -> dict[str, Any]:
        """JSON values only; `gas` and `hour` first, as the UI shows them."""
        return {
            "gas": self.gas,
            "hour": self.hour.isoformat(),
            "bbox": [float(v) for v in self.bbox],
            "collection_id": self.collection_id,
            "line": self.line,
            "short_name": self.short_name,
            "version": self.version,
            "upgraded_from": self.upgraded_from,
            "publication": self.publication,
            "companions": [list(c) for c in self.companions],
            "line_reason": self.line_reason,
            "entry": asdict(self.entry),
        }

    @classmethod
    def from_xcom(cls, value: dict[str, Any]) -> GasHour:
        known = {f.name for f in fields(GasProduct)}
        return cls(
            entry=GasProduct(**{k: v for k, v in value["entry"].items() if k in known}),
            hour=datetime.fromisoformat(value["hour"]),
            bbox=tuple(float(v) for v in value["bbox"]),  # type: ignore[arg-type]
            collection_id=value["collection_id"],
            line=value.get("line") or STANDARD,
            short_name=value.get("short_name") or "",
            version=value.get("version") or "",
            upgraded_from=value.get("upgraded_from"),
            publication=value.get("publication"),
            companions=tuple(tuple(c) for c in value.get("companions") or ()),
            line_reason=value.get("line_reason") or "",
        )
