-- OAuth2 token state per connection: the tokens sealed (XChaCha20-Poly1305,
-- `token:<connection>` as associated data) before they get here, never plain
-- text; beside them the status `holdfast status` shows.
CREATE TABLE _holdfast_tokens (
    connection           TEXT PRIMARY KEY,
    sealed               BLOB NOT NULL,
    auth_type            TEXT NOT NULL,
    expires_at           TEXT,
    last_refresh_at      TEXT,
    last_outcome         TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    needs_reauth         INTEGER NOT NULL DEFAULT 0,
    updated_at           TEXT NOT NULL
);
