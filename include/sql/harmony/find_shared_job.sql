-- The Harmony job any gas already submitted for this request (native granules: one job per collection
-- and hour serves every gas read from it, e.g. O3 and AI from O3TOT), newest first.
SELECT job_id, job_url, submitted_at FROM harmony_job
WHERE obs_time = %(hour)s AND request_key = %(key)s
ORDER BY submitted_at DESC
LIMIT 1;
