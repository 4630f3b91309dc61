-- Stores (or refreshes) the capabilities document of a collection.
INSERT INTO harmony_capability (collection_id, document) VALUES (%(collection_id)s, %(document)s)
ON CONFLICT (collection_id) DO UPDATE SET document = EXCLUDED.document, fetched_at = now();
