-- Serialises the submit of one request: the second gas to ask waits, then finds the first one's job.
SELECT pg_advisory_lock(7341201, hashtext(%(hour)s::text || '|' || %(key)s));
