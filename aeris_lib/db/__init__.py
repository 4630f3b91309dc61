"""Database access that works with any DB-API connection (psycopg 3, from PostgresHook or direct)."""
