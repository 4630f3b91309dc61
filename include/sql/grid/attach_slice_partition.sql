-- Attaches a loaded, indexed slice table as the (gas, hour) partition of pollution_obs (literals as in create_slice_table.sql).
ALTER TABLE pollution_obs ATTACH PARTITION {table} FOR VALUES FROM ({gas}, {start}) TO ({gas}, {end});
