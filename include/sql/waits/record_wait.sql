-- A waiting (gas, hour), after waits/clear_wait.sql: what CMR listed, what is missing, deadline, next look.
INSERT INTO publication_wait (gas_type, obs_time, dag_id, run_id, task_id, map_index, listed, missing, reason,
                              deadline, next_check, updated_at)
VALUES (%(gas)s, %(hour)s, %(dag_id)s, %(run_id)s, %(task_id)s, %(map_index)s, %(listed)s::jsonb, %(missing)s,
        %(reason)s, %(deadline)s, %(next_check)s, now());
