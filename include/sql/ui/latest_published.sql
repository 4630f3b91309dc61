-- Each gas's newest published hour (the current lag; pollution_freshness says the same to the app).
SELECT DISTINCT ON (gas_type) gas_type, obs_time
FROM ingest_log
WHERE status = 'success'
ORDER BY gas_type, obs_time DESC;
