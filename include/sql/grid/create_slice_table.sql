-- Creates the standalone table a (gas, hour) slice is COPYed into before it is attached. DDL takes no bind parameters: {table}, {gas}, {start}, {end} are literals the loader builds from validated values.
-- The columns and CHECK constraints (same names) repeat pollution_obs's, as ATTACH PARTITION requires.
-- Spelled out rather than `LIKE pollution_obs`: LIKE takes a lock on the parent that the later
-- DROP/ATTACH must upgrade, and two loaders of different gases doing that deadlock.
CREATE TABLE {table} (
    id           bigint NOT NULL DEFAULT nextval('pollution_obs_id_seq'),
    gas_type     text NOT NULL DEFAULT {gas}
                 CONSTRAINT pollution_obs_gas_type_check CHECK (gas_type IN ('NO2', 'CH2O', 'AI', 'PM', 'O3')),
    obs_time     timestamptz NOT NULL DEFAULT {start},
    cell_id      bigint NOT NULL,
    value        double precision NOT NULL,
    severity     smallint NOT NULL CONSTRAINT pollution_obs_severity_check CHECK (severity BETWEEN 0 AND 4),
    quality_flag smallint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT {table}_slice CHECK (gas_type = {gas} AND obs_time >= {start} AND obs_time < {end})
);
