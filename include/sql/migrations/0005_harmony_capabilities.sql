-- What Harmony offers per collection (GET /capabilities), kept for a TTL so every gas-hour does not
-- ask again; operators can read why a request shape was chosen.
CREATE TABLE harmony_capability (
    collection_id text PRIMARY KEY,
    document      jsonb NOT NULL,
    fetched_at    timestamptz NOT NULL DEFAULT now()
);
