-- Saved routes' exposure computed from a slice that retention drops: it cannot be recomputed or checked
-- once the cells are gone.
DELETE FROM route_exposure WHERE gas_type = %(gas)s AND "timestamp" = %(hour)s;
