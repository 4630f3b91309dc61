-- Which product line an attempt asked for is in `product_line`; `line_reason` says why (README "Product
-- lines"): near-real-time first, the standard line for an hour older than NASA's NRT window or one the
-- NRT line lists nothing for, a slice already upgraded. NULL for attempts from before this migration.
ALTER TABLE ingest_log ADD COLUMN line_reason text;
