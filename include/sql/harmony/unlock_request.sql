SELECT pg_advisory_unlock(7341201, hashtext(%(hour)s::text || '|' || %(key)s));
