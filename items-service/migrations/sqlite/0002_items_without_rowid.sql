-- The name is the key every read looks up: keyed on it directly (WITHOUT
-- ROWID), a lookup is one b-tree search instead of the name index and then
-- the table.
CREATE TABLE items_by_name (
    -- BINARY collation: ordered by code point, the keyset cursor's order
    name       TEXT PRIMARY KEY NOT NULL,
    price      REAL NOT NULL CHECK (price >= 0),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO items_by_name (name, price, created_by, created_at, updated_at)
    SELECT name, price, created_by, created_at, updated_at FROM items;
DROP TABLE items;
ALTER TABLE items_by_name RENAME TO items;
