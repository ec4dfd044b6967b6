-- nova-ve gateway store, SQLite. Keep in step with ../postgres/0001_initial_schema.sql: same tables,
-- columns, constraints and indexes; only the type names differ (a test compares the two).
-- Timestamps are unix milliseconds (BIGINT). AUTOINCREMENT: ids of deleted rows are never reused,
-- so an audit row's user_id keeps meaning "that user" after the user is gone.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    display_name  TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    -- argon2id PHC string
    password_hash TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE CHECK (disabled IN (0, 1)),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
-- Usernames are unique regardless of case ("Admin" and "admin" are one user).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- sha256 (hex) of the secret in the cookie; the secret itself is never stored
    token_hash      TEXT    NOT NULL UNIQUE,
    csrf_token      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    last_seen_at    BIGINT  NOT NULL,
    -- NULL: no idle timeout
    idle_timeout_ms BIGINT,
    remote_addr     TEXT,
    user_agent      TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    -- sha256 (hex) of the secret; the secret itself is never stored
    token_hash   TEXT   NOT NULL UNIQUE,
    -- the secret's first characters, to tell tokens apart in a list
    prefix       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Who owns a lab (by lab id) or a folder (by path relative to the labs root).
-- A deleted owner leaves the resource without owner (admins can still reassign it).
CREATE TABLE resources (
    kind        TEXT   NOT NULL CHECK (kind IN ('lab', 'folder')),
    resource_id TEXT   NOT NULL,
    owner_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, resource_id)
);
CREATE INDEX resources_owner ON resources (owner_id);

-- Shares follow their resource: forgotten with it, renamed with it (folder renames).
CREATE TABLE shares (
    kind        TEXT   NOT NULL,
    resource_id TEXT   NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    level       TEXT   NOT NULL CHECK (level IN ('viewer', 'editor')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, resource_id, user_id),
    FOREIGN KEY (kind, resource_id) REFERENCES resources (kind, resource_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX shares_user ON shares (user_id);

-- The audit log. No foreign key on user_id: entries are history and stay as written when the
-- user is deleted (username keeps the name; ids are never reused).
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    user_id     BIGINT,
    username    TEXT   NOT NULL,
    remote_addr TEXT,
    action      TEXT   NOT NULL,
    lab_id      TEXT,
    node_id     TEXT,
    target      TEXT,
    result      TEXT   NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    detail      TEXT
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_user ON audit (user_id, id);
CREATE INDEX audit_lab ON audit (lab_id, id);
CREATE INDEX audit_action ON audit (action, id);
