-- Remembers the Harmony job of a request (a newer job replaces one that failed or expired).
INSERT INTO harmony_job (gas_type, obs_time, request_key, job_id, job_url)
VALUES (%(gas)s, %(hour)s, %(key)s, %(job_id)s, %(job_url)s)
ON CONFLICT (gas_type, obs_time, request_key) DO UPDATE
    SET job_id = EXCLUDED.job_id, job_url = EXCLUDED.job_url, submitted_at = now();
