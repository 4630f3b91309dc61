-- A waiting (gas, hour): what CMR listed at the last look, what is missing, the deadline, the next look.
INSERT INTO publication_wait (gas_type, obs_time, dag_id, run_id, task_id, map_index, listed, missing, reason,
                              deadline, next_check, updated_at)
VALUES (%(gas)s, %(hour)s, %(dag_id)s, %(run_id)s, %(task_id)s, %(map_index)s, %(listed)s::jsonb, %(missing)s,
        %(reason)s, %(deadline)s, %(next_check)s, now())
ON CONFLICT (gas_type, obs_time) DO UPDATE
    SET dag_id = EXCLUDED.dag_id, run_id = EXCLUDED.run_id, task_id = EXCLUDED.task_id,
        map_index = EXCLUDED.map_index, listed = EXCLUDED.listed, missing = EXCLUDED.missing,
        reason = EXCLUDED.reason, deadline = EXCLUDED.deadline, next_check = EXCLUDED.next_check,
        updated_at = now();
