"""Harmony's /capabilities: parsing, the request shape chosen from it, the request it makes, and what
the emulator offers and refuses in each mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.harmony.capabilities import (
    GEOTIFF,
    NATIVE,
    NETCDF_SUBSET,
    Capabilities,
    CapabilitiesError,
    choose_shape,
)
from aeris_lib.harmony.errors import HarmonyError, RequestValidationError
from aeris_lib.harmony.request import BBox, RangesetRequest
from harmony_emulator.services import BEST_EFFORT, capabilities_document, select_service

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

NO2 = "C2930763263-LARC_CLOUD"
HOUR = datetime(2024, 9, 2, 16, tzinfo=UTC)

# Shaped like Harmony's version-2 document for a collection with HOSS (nasa/harmony, capabilities.ts).
HARMONY_HOSS = {
    "conceptId": "C1234208438-POCLOUD",
    "shortName": "EXAMPLE_L3",
    "variableSubset": True,
    "bboxSubset": True,
    "shapeSubset": False,
    "temporalSubset": True,
    "concatenate": False,
    "reproject": False,
    "outputFormats": ["application/netcdf", "application/x-netcdf4"],
    "services": [
        {
            "name": "sds/HOSS",
            "href": "https://cmr.earthdata.nasa.gov/search/concepts/S1234",
            "capabilities": {
                "subsetting": {"bbox": True, "variable": True, "temporal": True},
                "output_formats": ["application/netcdf", "application/x-netcdf4"],
            },
        }
    ],
    "variables": [{"name": "product/vertical_column", "href": "https://cmr…"}],
    "capabilitiesVersion": "2",
}


@pytest.mark.parametrize(
    ("mode", "shape", "fmt"),
    [
        ("tiff", GEOTIFF, "image/tiff"),
        ("netcdf", NETCDF_SUBSET, "application/x-netcdf4"),
        ("hoss", NETCDF_SUBSET, "application/netcdf"),  # HOSS for TEMPO L3: application/netcdf only
        ("native", NATIVE, None),
    ],
)
def test_best_shape_for_each_emulator_mode(mode, shape, fmt):
    capabilities = Capabilities.from_json(capabilities_document(NO2, mode))
    choice = choose_shape(capabilities)
    assert (choice.shape, choice.format) == (shape, fmt)
    assert NO2 in capabilities.summary()


def test_native_only_collection_says_why():
    capabilities = Capabilities.from_json(capabilities_document(NO2, "native"))
    assert capabilities.services == () and not capabilities.bbox_subset
    reason = choose_shape(capabilities).reason
    assert "no service subsets" in reason and "native granules" in reason


def test_harmony_document_with_a_netcdf_subsetter():
    capabilities = Capabilities.from_json(HARMONY_HOSS)
    choice = choose_shape(capabilities)
    assert choice.shape == NETCDF_SUBSET
    assert choice.format == "application/x-netcdf4"  # NetCDF-4 preferred over plain netcdf
    assert "sds/HOSS" in choice.reason


def test_one_service_must_do_both_subsets_in_the_format():
    """A bbox-only GeoTIFF service and a variable-only NetCDF service do not make a subset."""
    document = {
        "conceptId": NO2,
        "services": [
            {"name": "bbox-tiff", "capabilities": {"subsetting": {"bbox": True}, "output_formats": ["image/tiff"]}},
            {"name": "var-nc", "capabilities": {"subsetting": {"variable": True}, "output_formats": ["application/netcdf"]}},
        ],
    }  # fmt: skip
    assert choose_shape(Capabilities.from_json(document)).shape == NATIVE


def test_override_unknown_and_malformed():
    assert choose_shape(None).shape == NATIVE  # capabilities unavailable: native always works
    forced = choose_shape(Capabilities.from_json(capabilities_document(NO2, "tiff")), "native")
    assert forced.shape == NATIVE and "forced" in forced.reason
    assert choose_shape(None, "netcdf_subset").format == "application/x-netcdf4"
    with pytest.raises(CapabilitiesError, match="request_shape must be one of"):
        choose_shape(None, "zarr")
    with pytest.raises(CapabilitiesError, match="not a Harmony capabilities document"):
        Capabilities.from_json({"description": "Error: not found"})


def test_another_collections_document_is_refused():
    """A Harmony (or cache) answering for another collection must not decide, nor be cached."""
    assert Capabilities.from_json(HARMONY_HOSS, "C1234208438-POCLOUD").services[0].name == "sds/HOSS"
    with pytest.raises(
        CapabilitiesError, match="capabilities of 'C1234208438-POCLOUD' when asked for " + NO2
    ):
        Capabilities.from_json(HARMONY_HOSS, NO2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"services": {"name": "sds/HOSS"}}, "'services' must be a list"),
        ({"services": ["sds/HOSS"]}, "every entry of 'services' must be an object"),
        ({"services": [{"name": "x", "capabilities": "all"}]}, "'capabilities' must be a dict"),
        (
            {"services": [{"name": "x", "capabilities": {"subsetting": {"bbox": "yes"}}}]},
            "'bbox' must be a bool",
        ),
        ({"services": [{"name": "x", "capabilities": {"output_formats": [7]}}]}, "must be a media type"),
        ({"outputFormats": "image/tiff"}, "'outputFormats' must be a list"),
        ({"conceptId": 42}, "not a Harmony capabilities document"),
    ],
)
def test_a_document_of_the_wrong_types_is_refused(change, message):
    with pytest.raises(CapabilitiesError, match=message):
        Capabilities.from_json({**HARMONY_HOSS, **change}, HARMONY_HOSS["conceptId"])


def test_request_urls_per_shape():
    base = dict(collection_id=NO2, bbox=BBox(-100, 35, -98, 37), start=HOUR, end=HOUR + timedelta(hours=1))
    native = RangesetRequest(variables=("all",), format=None, **base).url("https://harmony.example")
    assert "/collections/all/coverage/rangeset?" in native and "format=" not in native
    assert "subset=lon(-100:-98)" in native and "subset=lat(35:37)" in native
    netcdf = RangesetRequest(variables=("product/vertical_column",), format="application/x-netcdf4", **base)
    assert "format=application/x-netcdf4" in netcdf.url("https://harmony.example")
    with pytest.raises(RequestValidationError, match="format must be one of"):
        RangesetRequest(variables=("all",), format="text/csv", **base)


@pytest.mark.parametrize(
    ("mode", "variable", "fmt", "expected"),
    [
        ("native", False, None, ("native", BEST_EFFORT)),  # harmony/download, bbox not applied
        ("native", True, "image/tiff", None),
        ("native", True, "application/x-netcdf4", None),
        ("netcdf", True, "application/x-netcdf4", ("netcdf", "")),
        ("netcdf", True, "image/tiff", None),
        ("tiff", True, "image/tiff", ("geotiff", "")),
        ("tiff", False, None, ("netcdf", "")),  # no format: the subsetter's default NetCDF-4
    ],
)
def test_emulator_selects_services_as_harmony_does(mode, variable, fmt, expected):
    choice = select_service(
        mode, NO2, variable_subset=variable, output_format=fmt, spatial=True, temporal=True
    )
    if expected is None:
        assert isinstance(choice, str) and "is unsupported" in choice and NO2 in choice
    else:
        assert choice == expected


def test_client_reads_capabilities_and_unknown_collection(harmony_client, fresh_emulator):
    document = harmony_client.capabilities(NO2)
    assert document["conceptId"] == NO2 and document["capabilitiesVersion"] == "2"
    with pytest.raises(HarmonyError) as error:
        harmony_client.capabilities("C0000000000-NOWHERE")
    assert error.value.status == 404


def test_native_only_harmony_refuses_a_geotiff_request_with_422(harmony_client, fresh_emulator):
    fresh_emulator.state.set_capabilities({"mode": "native"})
    request = RangesetRequest(
        collection_id=NO2, variables=("product/vertical_column_troposphere",), bbox=BBox(-100, 35, -98, 37),
        start=HOUR, end=HOUR + timedelta(hours=1), force_async=True,
    )  # fmt: skip
    with pytest.raises(HarmonyError) as error:
        harmony_client.submit(request)
    assert error.value.status == 422 and error.value.code == "harmony.UnsupportedOperation"
    assert "reformatting to image/tiff" in str(error.value)
