-- Secrets set with `holdfast secrets set`: sealed (XChaCha20-Poly1305, the
-- name as associated data) before they get here; never plain text.
CREATE TABLE _holdfast_secrets (
    name       TEXT PRIMARY KEY,
    sealed     BYTEA NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
