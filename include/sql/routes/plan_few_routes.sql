-- Few routes: the planner cannot count the cells a route crosses (generate_series) and would sort the
-- hour's millions of rows for a merge join; probe the index instead. JIT off, as for many routes.
SET LOCAL jit = off;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
