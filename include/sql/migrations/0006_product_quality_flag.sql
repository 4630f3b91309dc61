-- TEMPO's own quality flag beside the project's outlier flag, in the same smallint (no new storage):
-- quality_flag bit 0 = physically implausible (the project's check), bits 1-2 = the product's
-- main_data_quality_flag (0 good, 1 suspect, 2 bad; 0 where the product has none). The view spells
-- both out for readers; its existing columns keep their names, types and order.
CREATE OR REPLACE VIEW pollution_grid AS
SELECT o.id,
       o.obs_time        AS "timestamp",
       o.gas_type,
       c.geom,
       o.value           AS pollution_value,
       o.severity::int   AS severity_level,
       o.created_at,
       o.quality_flag,
       (o.quality_flag & 1) = 1                  AS implausible,
       ((o.quality_flag >> 1) & 3)::smallint     AS product_quality
FROM pollution_obs o
JOIN grid_cell c ON c.cell_id = o.cell_id;
COMMENT ON COLUMN pollution_grid.quality_flag IS
    'bit 0: physically implausible (AERIS check); bits 1-2: the product''s quality flag (0 good, 1 suspect, 2 bad)';
COMMENT ON COLUMN pollution_grid.product_quality IS
    'TEMPO main_data_quality_flag: 0 good, 1 suspect (kept, marked), 2 bad (never used by route exposure)';
