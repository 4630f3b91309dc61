-- The concept id CMR gave for a product name, with its age in seconds.
SELECT concept_id, EXTRACT(EPOCH FROM now() - fetched_at) AS age_s
FROM cmr_collection
WHERE short_name = %(short_name)s AND version = %(version)s AND provider = %(provider)s;
