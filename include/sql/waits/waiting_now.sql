-- Every waiting (gas, hour), the longest-waiting first (the AERIS view checks each against its task).
SELECT gas_type, obs_time, dag_id, run_id, task_id, map_index, listed, missing, reason, deadline, next_check,
       updated_at
FROM publication_wait
ORDER BY obs_time, gas_type;
