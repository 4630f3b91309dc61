-- The product line each gas's published slice of an hour came from.
SELECT gas_type, product_line FROM obs_partition WHERE obs_time = %(hour)s;
