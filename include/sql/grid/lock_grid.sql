-- One lattice's cell registrations take turns, until commit.
SELECT pg_advisory_xact_lock(%(namespace)s, %(grid_id)s)
