"""The audit archive: COG validated by rio-cogeo, PNG map, STAC Item validated by pystac."""

from __future__ import annotations

from datetime import UTC, datetime

import pystac

from aeris_lib import archive
from aeris_lib.emulator.granules import render_geotiff
from aeris_lib.emulator.scans import scans_overlapping

HOUR = datetime(2024, 9, 1, 16, tzinfo=UTC)


def test_cog_png_and_stac_from_a_tempo_like_granule(tmp_path):
    source = tmp_path / "granule.tif"
    source.write_bytes(
        render_geotiff(
            "C2930764281-LARC_CLOUD",
            "product/column_amount_o3",
            (-110, 30, -100, 40),
            scans_overlapping(HOUR, HOUR)[0],
        )
    )
    assert archive.is_cog(source)[0] is False  # Harmony's plain GeoTIFF
    cog = archive.to_cog(source, tmp_path / "cog.tif")
    assert archive.is_cog(cog) == (True, [])
    png = archive.render_png(cog, "O3", HOUR, tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    item = archive.stac_item(
        gas="O3", hour=HOUR, bbox=(-110, 30, -100, 40), cog_href="s3://b/a.tif", png_href="s3://b/a.png",
        collection_id="C2930764281-LARC_CLOUD", variable="product/column_amount_o3", source_sha256="ab" * 32,
    )  # fmt: skip
    parsed = pystac.Item.from_dict(item)
    assert parsed.validate()
    assert parsed.properties["start_datetime"] == "2024-09-01T16:00:00+00:00"
    assert parsed.assets["data"].media_type == pystac.MediaType.COG
