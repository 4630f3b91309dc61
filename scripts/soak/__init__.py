"""`make soak`: simulated days of production against the Harmony emulator, invariants checked.

The real Airflow components (api-server, scheduler, dag-processor, triggerer; LocalExecutor) run the
project's four DAGs as production does, on recent days, a small bbox, CONUS off:
- the hours through `airflow backfill create` (the older part first, then the recent part), and a
  third backfill over two hours the second already loaded (`--reprocess-behavior completed`);
- `aeris_retention` every `retention_every_s` of wall time while the backfills run (its schedule is
  every 6 hours), `aeris_tempo_reprocess` once the hours are in (daily), then `aeris_gap_report` with
  refill on, as its daily run does;
- a fault schedule in the emulator (plan.py): S001 listed after S002, a granule republished, the NRT
  line aged out for the older part, an hour published after its deadline, a failed Harmony job, CMR 503s
  (the first ones at a deadline), DAAC throttling and S3 SlowDown.
Then checks.py reads the database, the bucket and Airflow and prints
`SOAK days=… gas_hours=… lost=0 double_loads=0 invariants=ok wall_s=…`.
"""
