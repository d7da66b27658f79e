CREATE TABLE items (
    -- BINARY collation: ordered by code point, the keyset cursor's order
    name       TEXT PRIMARY KEY NOT NULL,
    price      REAL NOT NULL CHECK (price >= 0),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
