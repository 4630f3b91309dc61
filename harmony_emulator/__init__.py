"""The Harmony emulator: NASA Harmony's OGC Coverages API, jobs and capabilities, Earthdata Login
tokens, CMR's collection and granule search, and a DAAC serving TEMPO-like NetCDF-4 granules, over real
HTTP (`python -m harmony_emulator.server`). The local stack and the tests use it through the same code
path production uses against harmony.earthdata.nasa.gov. Not part of the pipeline: nothing under
dags/, plugins/ or aeris_lib/ imports it."""
