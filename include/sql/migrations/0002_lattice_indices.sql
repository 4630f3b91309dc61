-- lattice_indices(u): the lattice indices i whose closed cell [i, i + 1] contains the coordinate u
-- (in cell units): one index, or two when u lies on a grid line. "On" allows 1e-9 of a cell for
-- floating-point noise, so a route entered as lon -98.0 / lat 35.5 counts the cells on both sides of
-- that line, as ST_Intersects does with the stored cell polygons. Used by the route recompute.
CREATE OR REPLACE FUNCTION lattice_indices(u double precision) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN abs(u - round(u)) < 1e-9
                THEN ARRAY[round(u)::bigint - 1, round(u)::bigint]
                ELSE ARRAY[floor(u)::bigint] END;
