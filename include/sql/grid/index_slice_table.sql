-- Indexes a loaded slice after its COPY (building once is much faster than maintaining during COPY).
-- 64 neighbouring cells share a key, so the B-tree deduplicates to about 7 bytes per row; the slice
-- is immutable once attached, hence fillfactor 100. It matches the parent's index (migration 0008).
CREATE INDEX {index} ON {table} ((cell_id >> 6)) WITH (fillfactor = 100);
