-- Returns the most recent hour that has at least one loaded gas slice.
SELECT max(obs_time) FROM obs_partition WHERE row_count > 0;
