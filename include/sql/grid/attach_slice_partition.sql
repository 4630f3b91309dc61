-- Attaches a loaded, indexed slice table as the hour's partition of its gas's table (literals as in create_slice_table.sql).
ALTER TABLE {parent} ATTACH PARTITION {table} FOR VALUES FROM ({start}) TO ({end});
