-- The Merkle tree over the audit log and its signed heads (issue 17; docs/audit-log.md).
--
-- audit_tree keeps the root of every perfect subtree of the tree (RFC 9162 hashing): level 0 is
-- the leaf of entry seq = idx + 1, level L node idx covers the 2^L leaves from idx * 2^L. A proof
-- then reads O(log n) nodes instead of every entry. It is kept in the transaction of each append,
-- and filled in for a log written before it on the next append or start.
CREATE TABLE audit_tree (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit_tree is append-only'); END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit_tree is append-only'); END;

-- Signed tree heads: the tree's size and root at a moment, signed with the server's Ed25519 key
-- (kept in a key file outside the database). The public key is stored with each head, so the
-- history stays checkable after a key is replaced.
CREATE TABLE tree_heads (
    id         INTEGER PRIMARY KEY,
    size       INTEGER NOT NULL CHECK (size >= 0),
    root       TEXT    NOT NULL CHECK (length(root) = 64),
    issued_at  INTEGER NOT NULL,
    public_key TEXT    NOT NULL CHECK (length(public_key) = 64),
    signature  TEXT    NOT NULL CHECK (length(signature) = 128)
);
CREATE INDEX tree_heads_by_size ON tree_heads (size);
CREATE TRIGGER tree_heads_no_update BEFORE UPDATE ON tree_heads
BEGIN SELECT RAISE(ABORT, 'tree_heads is append-only'); END;
CREATE TRIGGER tree_heads_no_delete BEFORE DELETE ON tree_heads
BEGIN SELECT RAISE(ABORT, 'tree_heads is append-only'); END;
