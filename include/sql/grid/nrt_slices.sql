-- Published slices of these gases that came from a near-real-time product, since a time, oldest first.
SELECT gas_type, obs_time FROM obs_partition
WHERE product_line = 'nrt' AND gas_type = ANY(%(gases)s) AND obs_time >= %(since)s
ORDER BY obs_time, gas_type;
