-- Issue 5: the tamper-evident record and signed integrity commitments (承诺书).

-- Append-only and hash-chained (docs/audit-log.md): each entry's hash covers its content and the
-- hash of the entry before it. The triggers stop the application (or a mistaken hand) from
-- changing history; a deliberate edit of the file is caught by `lianfang verify`.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    actor     INTEGER,
    subject   TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL UNIQUE
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The commission's template; every edit is a new row, the newest is in force.
CREATE TABLE commitment_templates (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    updated_at INTEGER NOT NULL
);
INSERT INTO commitment_templates (title, body, updated_by, updated_at) VALUES (
    '廉政风险防范承诺书',
    '本人{{姓名}}，现任{{单位}}{{岗位}}。经岗位廉政风险排查和逐级审核，本岗位存在以下廉政风险点，本人已知悉并承诺落实相应防控措施：

{{风险点及防控措施}}

本人郑重承诺：严格遵守党纪国法和廉洁从政各项规定，认真履行岗位职责，主动接受组织和群众监督；对上述风险点严格落实防控措施，不以权谋私、不收受财物、不违规干预和插手有关事项。如有违反，自愿接受组织处理。

承诺人：{{姓名}}
日期：{{日期}}',
    NULL,
    0
);

-- One commitment per holder and approved sheet content. Signed ones never change: a changed
-- sheet gets a new commitment. `token` is the public verification id.
CREATE TABLE commitments (
    id                 INTEGER PRIMARY KEY,
    token              TEXT    NOT NULL UNIQUE,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    post_id            INTEGER NOT NULL REFERENCES posts (id),
    sheet_id           INTEGER NOT NULL REFERENCES risk_sheets (id),
    content_hash       TEXT    NOT NULL,
    template_id        INTEGER NOT NULL REFERENCES commitment_templates (id),
    title              TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    superseded         INTEGER NOT NULL DEFAULT 0 CHECK (superseded IN (0, 1)),
    signature_kind     TEXT CHECK (signature_kind IN ('drawn', 'typed')),
    signature          TEXT,
    signer_username    TEXT,
    signer_name        TEXT,
    signed_at          INTEGER,
    seal               TEXT,
    log_seq            INTEGER REFERENCES audit_log (seq),
    reminded_at        INTEGER,
    UNIQUE (user_id, sheet_id, content_hash)
);
CREATE INDEX commitments_user ON commitments (user_id);
CREATE INDEX commitments_post ON commitments (post_id);
CREATE TRIGGER commitments_sealed_no_update BEFORE UPDATE ON commitments WHEN OLD.seal IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed commitment is immutable'); END;
CREATE TRIGGER commitments_sealed_no_delete BEFORE DELETE ON commitments WHEN OLD.seal IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed commitment is immutable'); END;
