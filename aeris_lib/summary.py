"""Prints the short summary of README command 1: rows per gas, routes updated, audit files."""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timedelta

import psycopg2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logical-date", required=True, help="the run's logical date (end of its hour)")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    hour = datetime.fromisoformat(args.logical_date) - timedelta(hours=1)
    with psycopg2.connect(os.environ["AERIS_DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT ON (gas_type) gas_type, status, rows_written, coalesce(error_message, '')"
            " FROM ingest_log WHERE obs_time = %s ORDER BY gas_type, started_at DESC",
            (hour,),
        )
        ledger = cur.fetchall()
        cur.execute("SELECT count(*) FROM saved_routes WHERE last_updated_at > now() - interval '1 hour'")
        routes = cur.fetchone()[0]
    print(f"\nAERIS hourly run for {hour:%Y-%m-%d %H}:00-{hour + timedelta(hours=1):%H}:00 UTC")
    for gas, status, rows, error in ledger:
        print(f"  {gas:5} {status:8} {rows or 0:>10,} rows  {error[:100]}")
    if not ledger:
        print("  no gas was loaded (night hour, or every gas skipped/failed before loading)")
    print(f"  saved routes updated: {routes}")
    print(
        f"  audit files: s3://{os.environ.get('AERIS_S3_BUCKET')}/audit/geotiff/{hour:%Y-%m-%d}/<gas>_{hour:%H}.tif"
        f" at {os.environ.get('AERIS_S3_ENDPOINT_URL')}"
    )
    print(f"  full Airflow log: {args.log}")


if __name__ == "__main__":
    main()
