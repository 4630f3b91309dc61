-- Forgets a collection's capabilities document (Harmony refused a request shaped by it).
DELETE FROM harmony_capability WHERE collection_id = %(collection_id)s;
