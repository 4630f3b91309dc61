-- Ledger rows older than the cutoff (attempts still 'running' are kept: they may be live).
DELETE FROM ingest_log WHERE started_at < %(cutoff)s AND status <> 'running';
