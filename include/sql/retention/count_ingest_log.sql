-- How many ledger rows purge_ingest_log.sql would delete.
SELECT count(*) FROM ingest_log WHERE started_at < %(cutoff)s AND status <> 'running';
