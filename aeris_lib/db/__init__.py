"""Database access that works with any DB-API connection (psycopg2 from PostgresHook or direct)."""
