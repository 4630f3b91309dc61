-- A cell's polygon is a function of its lattice (grid_spec) and its id: the loader registers it once
-- (aeris_lib.db.load.ensure_grid, which records the rectangle in grid_extent) and nothing changes it
-- afterwards. The database now holds it to that: UPDATE, DELETE and TRUNCATE of grid_cell are refused
-- unless the registration itself asked (the transaction-local setting aeris.registering_cells).
-- The slice checks rely on it: a slice whose cells lie in a registered rectangle has every polygon,
-- each a valid lattice rectangle, without validating 3.8 M polygons again for every gas-hour.
CREATE FUNCTION grid_cell_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('aeris.registering_cells', true), '') <> 'on' THEN
        RAISE EXCEPTION 'grid_cell: % refused; a cell''s polygon is derived from its lattice and registered once', TG_OP
            USING HINT = 'cells are registered by the loader (aeris_lib.db.load.ensure_grid)';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER grid_cell_registered_once
    BEFORE UPDATE OR DELETE OR TRUNCATE ON grid_cell
    FOR EACH STATEMENT EXECUTE FUNCTION grid_cell_guard();
