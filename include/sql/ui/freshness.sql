-- Every slice published for an hour in [start, end): minutes from the hour's end to its publication.
SELECT gas_type, coalesce(product_line, 'standard'), obs_time,
       extract(epoch FROM published_at - (obs_time + interval '1 hour')) / 60,
       upgraded_from IS NOT NULL
FROM ingest_log
WHERE status = 'success' AND published_at IS NOT NULL AND obs_time >= %(start)s AND obs_time < %(end)s
ORDER BY obs_time, gas_type;
