"""The audit archive: COG validated by rio-cogeo, PNG map, STAC Item validated by pystac."""

from __future__ import annotations

from datetime import UTC, datetime

import pystac
import pytest

from aeris_lib import archive
from harmony_emulator.granules import render_geotiff
from harmony_emulator.scans import scans_overlapping

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

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


def test_the_png_shows_the_grid_on_the_gases_colour_scale_with_its_units(tmp_path):
    """A known grid: the west half at 0, the east half at the 'hazardous' level (the top of the scale),
    a fill block in the middle. The map's pixels carry the scale's two end colours in those shares,
    the fill is background, and the colour bar names the units."""
    import matplotlib
    import numpy as np
    import rasterio
    from matplotlib import colormaps
    from PIL import Image
    from rasterio.transform import from_origin

    from aeris_lib.thresholds import POLLUTION_THRESHOLDS, UNITS

    top = POLLUTION_THRESHOLDS["NO2"]["hazardous"]
    values = np.zeros((100, 200), dtype=np.float32)
    values[:, 100:] = top
    values[40:60, 90:110] = archive.FILL_VALUE  # fill: not coloured
    source = tmp_path / "known.tif"
    with rasterio.open(
        source,
        "w",
        driver="GTiff",
        width=200,
        height=100,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(-100, 40, 0.02, 0.02),
        nodata=archive.FILL_VALUE,
    ) as dst:
        dst.write(values, 1)  # fmt: skip
    png = archive.render_png(source, "NO2", HOUR, tmp_path / "known.png")
    image = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert 600 <= image.shape[1] <= 1700 and image.shape[0] >= 300  # a readable map, not a thumbnail

    def share(rgb) -> float:
        return float(np.mean(np.abs(image - np.array(rgb)).sum(axis=2) <= 12))

    cmap = colormaps[archive.COLORMAPS["NO2"]]
    low, high = ([round(255 * c) for c in cmap(x)[:3]] for x in (0.0, 1.0))
    # Each half of the map is about a fifth of the whole picture (title, axes and bar take the rest).
    assert 0.12 < share(low) < 0.35 and 0.12 < share(high) < 0.35
    assert abs(share(low) - share(high)) < 0.03  # the two halves, minus the same fill block

    matplotlib.use("Agg")
    figure = archive.map_figure(
        np.ma.masked_less(values, 0), rasterio.coords.BoundingBox(-100, 38, -96, 40), "NO2", HOUR
    )
    labels = [ax.get_xlabel() for ax in figure.axes]
    assert UNITS["NO2"] in labels and figure.axes[0].get_title() == "TEMPO NO2, 2024-09-01 16:00–17:00 UTC"
