-- The newest hour the ledger knows (the AERIS view's default window ends there).
SELECT max(obs_time) FROM ingest_log;
