-- The capabilities document fetched for a collection, with its age in seconds.
SELECT document, EXTRACT(EPOCH FROM now() - fetched_at) AS age_s
FROM harmony_capability WHERE collection_id = %(collection_id)s;
