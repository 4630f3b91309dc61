-- The Harmony job already submitted for this request, if any.
SELECT job_id, job_url, submitted_at FROM harmony_job
WHERE gas_type = %(gas)s AND obs_time = %(hour)s AND request_key = %(key)s;
