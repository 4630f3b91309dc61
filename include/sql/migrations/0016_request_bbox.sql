-- The bbox a load asked Harmony for (west, south, east, north): with the granules' revisions, the product
-- and the cell cap, it says what a published slice was loaded from, so an hour asked again from the same
-- source is `unchanged` at once (the hourly DAG as the reconcile of the event path). NULL before this.
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS request_bbox double precision[];
