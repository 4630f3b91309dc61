-- Recomputes route_exposure (all routes x all gases) for one hour and each route's 0-100 score, set-based.
--
-- Which cells a route touches is worked out from the lattice arithmetic instead of a GIST probe per
-- route piece: a cell intersects a straight segment when it contains one of the segment's end points
-- or one of the points where the segment crosses a grid line (a crossing point lies on the boundary
-- of the cells on both sides of its line, and cells are closed, as in ST_Intersects). Those points are
-- enumerated with generate_series, turned into (row, col) and cell_id with the schema's formula, and
-- joined to the hour's observations. A route along a grid line or through a corner counts the cells
-- on every side, as ST_Intersects does.
-- tests/load checks that the cells found equal ST_Intersects(pollution_grid.geom, route).
-- Score = 25 x the mean over gases of each gas's mean severity (0-4), so 0-100, recomputable by hand.
-- route_exposure keeps every hour (history); a route's current score only moves forward: an hour older
-- than the one its score came from (score_hour) adds history and leaves the score alone.
-- Returns (routes with exposure rows for the hour, routes whose current score changed).
WITH routes AS (
    SELECT r.id,
           COALESCE(r.geom, ST_MakeLine(ST_SetSRID(ST_MakePoint(r.origin_lon, r.origin_lat), 4326),
                                        ST_SetSRID(ST_MakePoint(r.dest_lon, r.dest_lat), 4326))) AS geom
    FROM saved_routes r
    WHERE %(route_id)s::bigint IS NULL OR r.id = %(route_id)s::bigint
),
segments AS (
    SELECT id, ST_X(ST_StartPoint(s.geom)) AS x0, ST_Y(ST_StartPoint(s.geom)) AS y0,
               ST_X(ST_EndPoint(s.geom)) AS x1, ST_Y(ST_EndPoint(s.geom)) AS y1
    FROM routes, LATERAL ST_DumpSegments(routes.geom) AS s
),
-- Segment coordinates in lattice units of each grid: u grows east (columns), v grows south (rows).
lattice AS (
    SELECT s.id, g.grid_id,
           (s.x0 - g.x_origin) / g.dx AS u0, (g.y_origin - s.y0) / g.dy AS v0,
           (s.x1 - g.x_origin) / g.dx AS u1, (g.y_origin - s.y1) / g.dy AS v1
    FROM segments s CROSS JOIN grid_spec g
),
-- Cells touched by each segment: the cells containing its end points, and for every grid-line crossing
-- the two cells on either side of that line. Cells are closed (see lattice_indices): a crossing that
-- also lies on the other family of grid lines (a cell corner) touches the cells on both sides of that
-- one too; those rare points get their own, filtered branches so the common case stays cheap.
candidate_cells AS (
    SELECT l.id, l.grid_id, c AS col_index, r AS row_index
    FROM lattice l, unnest(lattice_indices(l.u0)) AS c, unnest(lattice_indices(l.v0)) AS r
    UNION ALL
    SELECT l.id, l.grid_id, c, r
    FROM lattice l, unnest(lattice_indices(l.u1)) AS c, unnest(lattice_indices(l.v1)) AS r
    UNION ALL
    SELECT l.id, l.grid_id, k + side, floor(x.v)::bigint
    FROM lattice l,
         generate_series(ceil(least(l.u0, l.u1) - 1e-9)::bigint, floor(greatest(l.u0, l.u1) + 1e-9)::bigint) AS k,
         LATERAL (SELECT l.v0 + (k - l.u0) / (l.u1 - l.u0) * (l.v1 - l.v0) AS v) AS x,
         (VALUES (-1), (0)) AS sides(side)
    WHERE l.u1 <> l.u0
    UNION ALL
    SELECT l.id, l.grid_id, k + side, round(x.v)::bigint + other
    FROM lattice l,
         generate_series(ceil(least(l.u0, l.u1) - 1e-9)::bigint, floor(greatest(l.u0, l.u1) + 1e-9)::bigint) AS k,
         LATERAL (SELECT l.v0 + (k - l.u0) / (l.u1 - l.u0) * (l.v1 - l.v0) AS v) AS x,
         (VALUES (-1), (0)) AS sides(side), (VALUES (-1), (0)) AS others(other)
    WHERE l.u1 <> l.u0 AND abs(x.v - round(x.v)) < 1e-9
    UNION ALL
    SELECT l.id, l.grid_id, floor(x.u)::bigint, k + side
    FROM lattice l,
         generate_series(ceil(least(l.v0, l.v1) - 1e-9)::bigint, floor(greatest(l.v0, l.v1) + 1e-9)::bigint) AS k,
         LATERAL (SELECT l.u0 + (k - l.v0) / (l.v1 - l.v0) * (l.u1 - l.u0) AS u) AS x,
         (VALUES (-1), (0)) AS sides(side)
    WHERE l.v1 <> l.v0
    UNION ALL
    SELECT l.id, l.grid_id, round(x.u)::bigint + other, k + side
    FROM lattice l,
         generate_series(ceil(least(l.v0, l.v1) - 1e-9)::bigint, floor(greatest(l.v0, l.v1) + 1e-9)::bigint) AS k,
         LATERAL (SELECT l.u0 + (k - l.v0) / (l.v1 - l.v0) * (l.u1 - l.u0) AS u) AS x,
         (VALUES (-1), (0)) AS sides(side), (VALUES (-1), (0)) AS others(other)
    WHERE l.v1 <> l.v0 AND abs(x.u - round(x.u)) < 1e-9
),
route_cells AS (
    SELECT DISTINCT id AS route_id, (grid_id::bigint << 40) | (row_index << 20) | col_index AS cell_id
    FROM candidate_cells
    WHERE col_index BETWEEN 0 AND 1048575 AND row_index BETWEEN 0 AND 1048575
),
exposure AS (
    SELECT rc.route_id, o.gas_type,
           count(*)                   AS cell_count,
           avg(o.value)               AS avg_value,
           max(o.severity)            AS max_severity,
           avg(o.severity::float8)    AS mean_severity
    FROM route_cells rc
    -- The cell_id >> 6 term lets each lookup probe the slices' index (see migration 0008).
    JOIN pollution_obs o ON o.cell_id = rc.cell_id AND o.cell_id >> 6 = rc.cell_id >> 6
                        AND o.obs_time = %(hour)s::timestamptz
    -- The product's own "bad" cells (quality_flag bits 1-2 = 2) never count; suspect ones do.
    WHERE (o.quality_flag >> 1) & 3 <> 2
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
),
current_scores AS (
    UPDATE saved_routes s
    SET last_computed_score = sc.score, last_updated_at = now(), score_hour = %(hour)s::timestamptz
    FROM scores sc
    WHERE sc.route_id = s.id AND (s.score_hour IS NULL OR s.score_hour <= %(hour)s::timestamptz)
    RETURNING s.id
)
SELECT (SELECT count(DISTINCT route_id) FROM upserted), (SELECT count(*) FROM current_scores);
