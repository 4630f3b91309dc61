-- Stores (or refreshes) the concept id CMR gave for a product name.
INSERT INTO cmr_collection (short_name, version, provider, concept_id)
VALUES (%(short_name)s, %(version)s, %(provider)s, %(concept_id)s)
ON CONFLICT (short_name, version, provider) DO UPDATE SET concept_id = EXCLUDED.concept_id, fetched_at = now();
