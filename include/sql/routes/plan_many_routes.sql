-- Many routes: one big hash aggregate over every route's cells, memory instead of temp files.
-- JIT off: its compile time (~0.9 s measured) exceeds what it saves here.
SET LOCAL jit = off;
SET LOCAL work_mem = '256MB';
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
