-- Creates the standalone table a (gas, hour) slice is COPYed into before it is attached. DDL takes no bind parameters: {table}, {gas}, {start}, {end} are literals the loader builds from validated values.
CREATE TABLE {table} (LIKE pollution_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE {table}
    ALTER COLUMN gas_type SET DEFAULT {gas},
    ALTER COLUMN obs_time SET DEFAULT {start},
    ADD CONSTRAINT {table}_slice CHECK (gas_type = {gas} AND obs_time >= {start} AND obs_time < {end});
