-- Production timing: every outcome of a (gas, hour) in the ledger with the granules used, route scores
-- that only move forward, one Harmony job per request, and slices the quality checks rejected.
ALTER TABLE ingest_log DROP CONSTRAINT IF EXISTS ingest_log_status_check;
ALTER TABLE ingest_log ADD CONSTRAINT ingest_log_status_check CHECK (status IN (
    'running', 'success', 'unchanged', 'failed', 'no_data', 'skipped',
    'not_published', 'no_scan', 'no_product', 'circuit_open', 'harmony_failed', 'quality_failed'));
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS granules text[];

-- The hour the route's current score was computed from: an older hour adds history, not a new score.
ALTER TABLE saved_routes ADD COLUMN IF NOT EXISTS score_hour timestamptz;

-- The Harmony job of each request, so a retry or clear reuses it while Harmony holds its results.
CREATE TABLE harmony_job (
    gas_type      text NOT NULL,
    obs_time      timestamptz NOT NULL,
    request_key   text NOT NULL,   -- bbox, collection, variable and granules: see aeris_lib/db/jobs.py
    job_id        text NOT NULL,
    job_url       text NOT NULL,
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gas_type, obs_time, request_key)
);

-- Slice tables that failed a data-quality check: never attached, kept for inspection, dropped by retention.
CREATE TABLE rejected_slice (
    table_name    text PRIMARY KEY,
    gas_type      text NOT NULL,
    obs_time      timestamptz NOT NULL,
    ingest_log_id bigint,
    failed_checks text NOT NULL,
    rejected_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_slice_time ON rejected_slice (rejected_at);
