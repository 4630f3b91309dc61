-- Creates the standalone table a (gas, hour) slice is COPYed into before it is attached. DDL takes no
-- bind parameters: {table} and {slice_check} are identifiers quoted by the driver, {start} and {end}
-- literals the loader builds from validated values.
-- The columns and CHECK constraints (same names) repeat the gas's parent table's (migration 0008), as
-- ATTACH PARTITION requires. Spelled out rather than `LIKE {parent}`: LIKE takes a lock on the parent
-- that the later DROP/ATTACH must upgrade, and two loaders of the same gas doing that deadlock.
CREATE TABLE {table} (
    obs_time     timestamptz NOT NULL DEFAULT {start},
    cell_id      bigint NOT NULL,
    value        real NOT NULL,
    severity     smallint NOT NULL CONSTRAINT pollution_obs_severity_check CHECK (severity BETWEEN 0 AND 4),
    quality_flag smallint NOT NULL DEFAULT 0,
    CONSTRAINT {slice_check} CHECK (obs_time >= {start} AND obs_time < {end})
);
