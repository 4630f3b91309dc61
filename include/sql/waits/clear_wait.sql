-- The hour no longer waits (ready, skipped, or failed for good).
DELETE FROM publication_wait WHERE gas_type = %(gas)s AND obs_time = %(hour)s;
