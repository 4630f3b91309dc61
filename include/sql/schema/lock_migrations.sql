-- "Schema migration in progress": concurrent callers (every DAG run) take turns, until commit.
SELECT pg_advisory_xact_lock(%(lock_key)s)
