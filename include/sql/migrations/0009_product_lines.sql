-- Products by name and product lines (README "Gas catalog"): concept ids resolved through CMR are
-- cached here; every slice and ledger row says which line (nrt or standard) it came from; a standard
-- slice is never replaced by a near-real-time one ('kept_standard'); an upgrade is recorded as such.
CREATE TABLE cmr_collection (
    short_name text NOT NULL,
    version    text NOT NULL,
    provider   text NOT NULL,
    concept_id text NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (short_name, version, provider)
);

-- Slices loaded before product lines came from the standard V03 products.
ALTER TABLE obs_partition ADD COLUMN product_line text NOT NULL DEFAULT 'standard'
    CHECK (product_line IN ('nrt', 'standard'));
ALTER TABLE ingest_log ADD COLUMN product_line text CHECK (product_line IN ('nrt', 'standard'));
ALTER TABLE ingest_log ADD COLUMN upgraded_from text;

ALTER TABLE ingest_log DROP CONSTRAINT IF EXISTS ingest_log_status_check;
ALTER TABLE ingest_log ADD CONSTRAINT ingest_log_status_check CHECK (status IN (
    'running', 'success', 'unchanged', 'failed', 'no_data', 'skipped', 'not_published', 'no_scan',
    'no_product', 'circuit_open', 'harmony_failed', 'quality_failed', 'kept_standard'));
CREATE INDEX obs_partition_line ON obs_partition (product_line, obs_time) WHERE product_line = 'nrt';
