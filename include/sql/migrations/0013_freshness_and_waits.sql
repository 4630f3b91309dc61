-- How fresh the data is, and what each waiting hour waits for (the AERIS view's "Waiting now").
--
-- Each ledger row now says when CMR listed what it read (the newest CMR revision date of its
-- granules), when its slice was published, and how it was asked for and what moved. The hour ended
-- at obs_time + 1 hour, by definition.
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS listed_at timestamptz;
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS published_at timestamptz;
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS request_shape text;
ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS bytes_moved bigint;
-- Rows before this migration: a successful load published its slice when it finished.
UPDATE ingest_log SET published_at = finished_at WHERE status = 'success' AND published_at IS NULL;
CREATE INDEX IF NOT EXISTS ingest_log_published ON ingest_log (published_at) WHERE status = 'success';

-- One row per (gas, hour) whose publication sensor is waiting: what CMR listed at its last look, what
-- is missing, its deadline and next look. The sensor writes it at its first look, the trigger at each
-- later one; the hour's end (ready, skipped, failed) removes it.
CREATE TABLE IF NOT EXISTS publication_wait (
    gas_type     text NOT NULL,
    obs_time     timestamptz NOT NULL,
    dag_id       text NOT NULL,
    run_id       text NOT NULL,
    task_id      text NOT NULL,
    map_index    integer NOT NULL,
    listed       jsonb NOT NULL DEFAULT '[]',   -- [{"name", "start", "end"}] of the hour, as CMR lists them
    missing      text NOT NULL,                 -- e.g. "15:42-16:00 UTC (18 min)"
    reason       text NOT NULL,                 -- the sensor's own words (its task log says the same)
    deadline     timestamptz NOT NULL,
    next_check   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gas_type, obs_time)
);

-- For the app (read contract): each gas's newest published hour (pollution_latest's), the product it
-- came from, when CMR listed it and when it was published (from the ledger row that published it), how
-- long after the hour's end that was, and how far behind the clock the gas is now.
CREATE OR REPLACE VIEW pollution_freshness AS
SELECT p.gas_type,
       p.obs_time                                        AS latest_hour,
       p.product_line,
       p.short_name,
       p.version,
       l.listed_at,
       coalesce(l.published_at, p.loaded_at)             AS published_at,
       coalesce(l.published_at, p.loaded_at) - (p.obs_time + interval '1 hour') AS publication_lag,
       now() - (p.obs_time + interval '1 hour')          AS behind
FROM obs_partition p
JOIN (SELECT gas_type, max(obs_time) AS obs_time FROM obs_partition WHERE row_count > 0 GROUP BY gas_type) latest
  USING (gas_type, obs_time)
LEFT JOIN LATERAL (
    SELECT listed_at, published_at FROM ingest_log i
    WHERE i.gas_type = p.gas_type AND i.obs_time = p.obs_time AND i.status = 'success'
    ORDER BY i.id DESC LIMIT 1
) l ON true;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aeris_view') THEN
        GRANT SELECT ON publication_wait TO aeris_view;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aeris_reader') THEN
        GRANT SELECT ON pollution_freshness TO aeris_reader;
    END IF;
END
$$;
