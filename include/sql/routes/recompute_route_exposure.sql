-- Recomputes route_exposure (all routes x all gases) for one hour and each route's 0-100 score, set-based.
-- Routes are cut into <= 0.05 degree segments first so each GIST probe covers a small box instead of
-- the bounding box of a 1,000 km diagonal; a cell counts once per route when ST_Intersects(cell, route).
-- Score = 25 x the mean over gases of each gas's mean severity (0-4), so 0-100, recomputable by hand.
WITH routes AS (
    SELECT r.id,
           COALESCE(r.geom, ST_MakeLine(ST_SetSRID(ST_MakePoint(r.origin_lon, r.origin_lat), 4326),
                                        ST_SetSRID(ST_MakePoint(r.dest_lon, r.dest_lat), 4326))) AS geom
    FROM saved_routes r
    WHERE %(route_id)s::bigint IS NULL OR r.id = %(route_id)s::bigint
),
segments AS (
    SELECT id, (ST_DumpSegments(ST_Segmentize(geom, 0.05))).geom AS geom FROM routes
),
route_cells AS (
    SELECT DISTINCT s.id AS route_id, c.cell_id
    FROM segments s
    JOIN grid_cell c ON ST_Intersects(c.geom, s.geom)
),
exposure AS (
    SELECT rc.route_id, o.gas_type,
           count(*)                   AS cell_count,
           avg(o.value)               AS avg_value,
           max(o.severity)            AS max_severity,
           avg(o.severity::float8)    AS mean_severity
    FROM route_cells rc
    JOIN pollution_obs o ON o.cell_id = rc.cell_id AND o.obs_time = %(hour)s::timestamptz
    GROUP BY rc.route_id, o.gas_type
),
upserted AS (
    INSERT INTO route_exposure AS e
        (route_id, gas_type, "timestamp", cell_count, avg_value, max_severity, mean_severity, computed_at)
    SELECT route_id, gas_type, %(hour)s::timestamptz, cell_count, avg_value, max_severity, mean_severity, now()
    FROM exposure
    ON CONFLICT (route_id, gas_type, "timestamp") DO UPDATE
        SET cell_count = EXCLUDED.cell_count, avg_value = EXCLUDED.avg_value,
            max_severity = EXCLUDED.max_severity, mean_severity = EXCLUDED.mean_severity,
            computed_at = EXCLUDED.computed_at
    RETURNING e.route_id
),
stale AS (
    DELETE FROM route_exposure e
    WHERE e."timestamp" = %(hour)s::timestamptz
      AND e.route_id IN (SELECT id FROM routes)
      AND NOT EXISTS (SELECT 1 FROM exposure x WHERE x.route_id = e.route_id AND x.gas_type = e.gas_type)
    RETURNING e.route_id
),
scores AS (
    SELECT route_id, 25 * avg(mean_severity) AS score FROM exposure GROUP BY route_id
)
UPDATE saved_routes s
SET last_computed_score = sc.score, last_updated_at = now()
FROM scores sc
WHERE sc.route_id = s.id
RETURNING s.id;
