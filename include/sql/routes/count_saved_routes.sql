-- How many saved routes a recompute covers (one, or all): it chooses between index probes and one pass.
SELECT count(*) FROM saved_routes WHERE %(route_id)s::bigint IS NULL OR id = %(route_id)s::bigint;
