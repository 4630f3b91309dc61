"""AERIS domain code: Harmony client, raster normalisation, loading, thresholds. No Airflow imports."""
