-- Removes a dropped slice from the partition registry (only if no loader replaced it meanwhile).
DELETE FROM obs_partition WHERE gas_type = %(gas)s AND obs_time = %(hour)s AND table_name = %(table)s;
