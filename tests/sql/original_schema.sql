-- The original AERIS app's tables as its initial Alembic migration creates them (SQLAlchemy model
-- PollutionGrid with GeoAlchemy2, and saved routes), with the indexes of the design document §6.2.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('3f1c2a9b7d10');

CREATE TABLE pollution_grid (
    id SERIAL NOT NULL,
    "timestamp" TIMESTAMP WITH TIME ZONE NOT NULL,
    gas_type TEXT NOT NULL,
    geom geometry(POLYGON,4326) NOT NULL,
    pollution_value DOUBLE PRECISION NOT NULL,
    severity_level INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_pollution_grid_gas_type ON pollution_grid (gas_type);
CREATE INDEX idx_pollution_grid_time_gas ON pollution_grid ("timestamp", gas_type);
CREATE INDEX idx_pollution_grid_geom ON pollution_grid USING gist (geom);

CREATE TABLE saved_routes (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    origin_lat DOUBLE PRECISION NOT NULL,
    origin_lon DOUBLE PRECISION NOT NULL,
    dest_lat DOUBLE PRECISION NOT NULL,
    dest_lon DOUBLE PRECISION NOT NULL,
    last_computed_score DOUBLE PRECISION,
    last_updated_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_saved_routes_user_id ON saved_routes (user_id);
