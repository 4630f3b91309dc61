-- The concept id (and resolved version) CMR gave for a product name, with its age in seconds.
SELECT concept_id, coalesce(resolved_version, version), EXTRACT(EPOCH FROM now() - fetched_at) AS age_s
FROM cmr_collection
WHERE short_name = %(short_name)s AND version = %(version)s AND provider = %(provider)s;
