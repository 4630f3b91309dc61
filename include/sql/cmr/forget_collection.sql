-- Drops a cached product name, so the next run asks CMR again (e.g. a newer version has appeared).
DELETE FROM cmr_collection WHERE short_name = %(short_name)s AND version = %(version)s AND provider = %(provider)s;
