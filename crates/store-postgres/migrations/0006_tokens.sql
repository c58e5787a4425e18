-- OAuth2 token state per connection: the tokens sealed (XChaCha20-Poly1305,
-- `token:<connection>` as associated data) before they get here, never plain
-- text; beside them the status `holdfast status` shows.
CREATE TABLE _holdfast_tokens (
    connection           TEXT PRIMARY KEY,
    sealed               BYTEA NOT NULL,
    auth_type            TEXT NOT NULL,
    expires_at           TIMESTAMPTZ,
    last_refresh_at      TIMESTAMPTZ,
    last_outcome         TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    needs_reauth         BOOLEAN NOT NULL DEFAULT false,
    updated_at           TIMESTAMPTZ NOT NULL
);
