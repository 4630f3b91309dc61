-- Versions and publication (README "Versions and publication"): a catalog version `latest` is cached
-- with the version CMR resolved it to; every slice and ledger row says which product (short name,
-- version) it came from; each load records its granules' CMR revisions, so the reprocess DAG can
-- reload a slice whose granules were republished under the same names.
ALTER TABLE cmr_collection ADD COLUMN resolved_version text;
UPDATE cmr_collection SET resolved_version = version WHERE resolved_version IS NULL;

-- Slices and attempts from before this migration: their product is not known (NULL), not guessed.
ALTER TABLE obs_partition ADD COLUMN short_name text;
ALTER TABLE obs_partition ADD COLUMN version text;
ALTER TABLE ingest_log ADD COLUMN short_name text;
ALTER TABLE ingest_log ADD COLUMN version text;
-- {granule name: CMR meta.revision-id} of the granules a load read.
ALTER TABLE ingest_log ADD COLUMN granule_revisions jsonb;

-- wrong_version: the product asked for lists no granule for the hour while another version of the same
-- short name does (a gap that an operator fixes by choosing the version).
ALTER TABLE ingest_log DROP CONSTRAINT IF EXISTS ingest_log_status_check;
ALTER TABLE ingest_log ADD CONSTRAINT ingest_log_status_check CHECK (status IN (
    'running', 'success', 'unchanged', 'failed', 'no_data', 'skipped', 'not_published', 'no_scan',
    'no_product', 'circuit_open', 'harmony_failed', 'quality_failed', 'kept_standard', 'wrong_version'));
