-- Indexes a loaded slice after its COPY (building once is much faster than maintaining during COPY).
CREATE INDEX {table}_cell ON {table} (cell_id);
