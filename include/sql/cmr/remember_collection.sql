-- Stores (or refreshes) the concept id CMR gave for a product name (version `latest`: the version it is now).
INSERT INTO cmr_collection (short_name, version, provider, concept_id, resolved_version)
VALUES (%(short_name)s, %(version)s, %(provider)s, %(concept_id)s, %(resolved_version)s)
ON CONFLICT (short_name, version, provider) DO UPDATE
    SET concept_id = EXCLUDED.concept_id, resolved_version = EXCLUDED.resolved_version, fetched_at = now();
