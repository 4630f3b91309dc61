-- The aggregation cap a load used: a rerun of the same source file is "unchanged" only with the same cap.
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS max_cells integer;
