-- Issue 14: signing a commitment offline.
--
-- Each account's offline signing key: random, issued at an online sign-in through the app, kept on
-- the device only sealed under the password, and used there to prove that whoever signed offline
-- knew the password (domain::commitment::offline_proof). Revoked (deleted) when an administrator
-- resets the password or deactivates the account; the next sign-in issues a new one.
CREATE TABLE offline_keys (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    key        TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- For a commitment signed offline: the signing device's clock when the signer signed. The
-- server's own time stays in signed_at.
ALTER TABLE commitments ADD COLUMN device_signed_at INTEGER;
