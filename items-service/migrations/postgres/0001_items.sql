CREATE TABLE items (
    -- "C" collation: ordered by code point, as on SQLite, for the keyset cursor
    name       TEXT COLLATE "C" PRIMARY KEY,
    price      DOUBLE PRECISION NOT NULL CHECK (price >= 0),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
