-- One (gas, hour) slice's loaders and retention take turns, until commit.
SELECT pg_advisory_xact_lock(%(namespace)s, hashtext(%(slice)s))
