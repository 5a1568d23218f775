/** A SQLite fixture exercising the engine type mapping and schema objects (built fresh per test run). */
import Database from "better-sqlite3";
export function buildFixture(path: string): void {
  const db = new Database(path);
  db.exec(`
  PRAGMA journal_mode = WAL;
  CREATE TABLE "User Accounts" (
    id CHAR(32) PRIMARY KEY,
    email VARCHAR(20) NOT NULL UNIQUE,
    settings JSON,
    prefs TEXT CHECK (JSON_VALID(prefs) OR prefs IS NULL),
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    seen_ms DATETIME,
    birthday DATE,
    wake TIME,
    active BOOLEAN NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    legacy_flag boolean,
    balance NUMERIC(10,2) DEFAULT 0,
    ratio REAL,
    avatar BLOB,
    note text nocase,
    "select" INTEGER DEFAULT "0",
    hash CHAR(32)
  );
  CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id CHAR(32) REFERENCES "User Accounts"(id) ON DELETE CASCADE,
    amount DECIMAL(12,4) NOT NULL,
    qty INTEGER NOT NULL DEFAULT 1,
    total REAL GENERATED ALWAYS AS (amount * qty) VIRTUAL,
    status TEXT DEFAULT 'new' CHECK (status IN ('new', 'paid')),
    parent_id INTEGER REFERENCES orders(id)
  );
  CREATE INDEX orders_status_partial ON orders(status) WHERE status = 'new';
  CREATE INDEX orders_lower_status ON orders(lower(status));
  CREATE TABLE kv (k TEXT, v ANY, PRIMARY KEY (k)) STRICT, WITHOUT ROWID;
  CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b(id) DEFERRABLE INITIALLY DEFERRED);
  CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));
  CREATE TABLE line (order_id INTEGER, n INTEGER, label TEXT, PRIMARY KEY (order_id, n), FOREIGN KEY (order_id) REFERENCES orders(id) ON UPDATE CASCADE);
  CREATE TABLE nokey (x, y);
  CREATE VIRTUAL TABLE docs USING fts5(title, body);
  CREATE VIEW paid AS SELECT id, amount FROM orders WHERE status = 'paid';
  CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN SELECT 1; END;
  `);
  const u = db.prepare(`INSERT INTO "User Accounts" (id, email, settings, prefs, created_at, seen_ms, birthday, wake, active, legacy_flag, balance, ratio, avatar, note, "select", hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  u.run("0123456789abcdef0123456789abcdef", "a@x.io", '{"a": [1, 2, "x"], "b": null}', '{"z":1}', "2024-03-15 12:05:57.105542", 1710504357105, "2024-03-15", "12:05:57.105542", 1, "t", 1234.56, 9445.83867930103, Buffer.from([0, 1, 2, 255]), "Tab\there\nnewline \\ back", 7, "d41d8cd98f00b204e9800998ecf8427e");
  u.run("fedcba9876543210fedcba9876543210", "b@x.io", "[]", null, "2024-03-15T12:05:57Z", 0, "1999-12-31 00:00:00", "2000-01-01 08:00:00", 0, "f", 3, -0.1, null, "ünïcödé 🎉", null, "aa");
  u.run("00000000000000000000000000000001", "c@x.io", null, null, "2020-01-01", null, null, null, 1, null, null, 1e300, Buffer.alloc(0), "", -9007199254740993n, null);
  const o = db.prepare("INSERT INTO orders (user_id, amount, qty, status, parent_id) VALUES (?,?,?,?,?)");
  o.run("0123456789abcdef0123456789abcdef", 10.5, 2, "new", null);
  o.run("0123456789abcdef0123456789abcdef", 0.1, 3, "paid", 1);
  o.run("fedcba9876543210fedcba9876543210", 99999999.9999, 1, "paid", 2);
  db.exec("DELETE FROM orders WHERE id = 3; INSERT INTO orders (user_id, amount, qty) VALUES (NULL, 1, 1)");
  db.prepare("INSERT INTO kv VALUES (?, ?)").run("k1", 5);
  db.prepare("INSERT INTO kv VALUES (?, ?)").run("K0", 6);
  db.exec("INSERT INTO a VALUES (1, NULL); INSERT INTO b VALUES (10, 1); UPDATE a SET b_id = 10 WHERE id = 1;");
  db.exec("INSERT INTO line VALUES (1, 1, 'x'), (1, 2, 'y'), (2, 1, NULL)");
  db.exec("INSERT INTO nokey VALUES (1, 'a'), (1, 'a'), (2.5, NULL)");
  db.exec("INSERT INTO docs (title, body) VALUES ('Hello', 'the quick brown fox'), ('Bye', 'lazy dog')");
  db.close();
}
