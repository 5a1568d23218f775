/**
 * Issue 16: a source whose schema names a collation SQLite does not have here, like an Anki
 * collection (`COLLATE unicase`, registered by Anki at run time). better-sqlite3 cannot register
 * one, so SQLite alone cannot compare those columns, check the file, or even walk a WITHOUT ROWID
 * table keyed by one ("no such collation sequence"). The engine reads a private copy with a
 * built-in stand-in and maps the collation to a nondeterministic ICU one, with a warning; the
 * migrated columns then compare without case in PostgreSQL as they did in SQLite.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { buildPlan, migrate, verify } from "../../migrate/index";
import { withPostgres } from "../support/postgres";

/**
 * An Anki-like collection: made with NOCASE (which this SQLite has), then the schema text is
 * switched to `unicase`, exactly what a file written by Anki looks like to a process without it.
 */
function buildAnkiLike(path: string): void {
  const db = new Database(path);
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL COLLATE NOCASE, mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
    CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
    CREATE TABLE tags (tag text NOT NULL PRIMARY KEY COLLATE NOCASE, usn integer NOT NULL, collapsed boolean NOT NULL, config blob NULL) WITHOUT ROWID;
    CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL, kind text);
    CREATE INDEX idx_decks_name ON decks (name COLLATE NOCASE);
  `);
  const nt = db.prepare("INSERT INTO notetypes VALUES (?, ?, ?, ?, ?)");
  nt.run(1, "Basic", 1, 0, Buffer.from([1]));
  nt.run(2, "Cloze", 2, -1, Buffer.from([2, 0]));
  nt.run(3, "Ünïcode Typ", 3, 0, Buffer.alloc(0));
  db.prepare("INSERT INTO tags VALUES (?, ?, ?, ?)").run("Vocab", 0, 0, null);
  db.prepare("INSERT INTO tags VALUES (?, ?, ?, ?)").run("grammar", 0, 1, Buffer.from("x"));
  db.prepare("INSERT INTO decks VALUES (?, ?, ?)").run(1, "Default", null);
  db.prepare("INSERT INTO decks VALUES (?, ?, ?)").run(2, "Japanese::Kanji", "normal");
  db.unsafeMode(true);
  db.pragma("writable_schema = ON");
  db.exec("UPDATE sqlite_schema SET sql = replace(sql, 'NOCASE', 'unicase') WHERE sql LIKE '%NOCASE%'");
  db.pragma("writable_schema = OFF");
  db.close();
}

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describe("an Anki-like collection with COLLATE unicase", () => {
  const server = withPostgres();
  let dir: string;
  let file: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "s2p-anki-"));
    file = join(dir, "collection.anki2");
    buildAnkiLike(file);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is what the issue describes: SQLite alone cannot read it", () => {
    const db = new Database(file, { readonly: true });
    try {
      assert.throws(() => db.prepare("SELECT * FROM tags").all(), /no such collation sequence: unicase|no query solution/);
      assert.throws(() => db.prepare("PRAGMA quick_check").all(), /no such collation sequence: unicase/);
    } finally {
      db.close();
    }
  });

  it("plans with the collation mapped to a nondeterministic ICU collation, with a warning", () => {
    const plan = buildPlan(file);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.collations, [{ name: "unicase", sqlite: "unicase", provider: "icu", locale: "und-u-ks-level2", deterministic: false }]);
    const col = (t: string, c: string) => plan.tables.find((x) => x.source === t)!.columns.find((x) => x.source === c)!;
    for (const [t, c] of [["notetypes", "name"], ["tags", "tag"]]) {
      assert.equal(col(t, c).collation, "unicase", `${t}.${c}`);
      assert.equal(col(t, c).pgCollation, "unicase", `${t}.${c}`);
      assert.match(col(t, c).warnings.join("\n"), /COLLATE unicase is the application's own.*stand-in NOCASE.*nondeterministic ICU/);
    }
    assert.equal(col("decks", "name").pgCollation, undefined, "the column itself is BINARY");
    const ix = plan.tables.find((t) => t.source === "decks")!.indexes.find((i) => i.source === "idx_decks_name")!;
    assert.equal(ix.action, "create");
    assert.equal(ix.keys, `"name" COLLATE "public"."unicase"`, "the index key names the collation");
  });

  it("migrates and verifies; the columns compare without case as in SQLite; the file and no copy are left behind", async () => {
    const before = sha(file);
    const db = await server.createDatabase("anki");
    const logs: string[] = [];
    const report = await migrate({ from: file, to: server.url(db), log: (l) => logs.push(l) });
    assert.equal(report.verified, true);
    assert.ok(report.tables.some((t) => t.warnings.some((w) => /COLLATE unicase .*nondeterministic ICU/.test(w))), JSON.stringify(report.tables.map((t) => t.warnings)));
    const copyLine = logs.find((l) => /reading a private copy/.test(l));
    assert.ok(copyLine, logs.join("\n"));
    const copyPath = /\((\/[^)]+)\) with stand-in/.exec(copyLine)![1];
    assert.equal(existsSync(copyPath), false, "the private copy is removed");
    assert.equal(sha(file), before, "the source file is untouched");

    const q = async (sql: string) => (await server.query(sql, [], db)).map((r) => Object.values(r));
    assert.deepEqual(await q("SELECT name FROM notetypes WHERE name = 'BASIC'"), [["Basic"]]);
    assert.deepEqual(await q("SELECT name FROM notetypes WHERE name = 'üNÏCODE TYP'"), [["Ünïcode Typ"]]);
    assert.deepEqual(await q("SELECT tag FROM tags WHERE tag = 'vocab'"), [["Vocab"]]);
    assert.deepEqual(await q("SELECT tag FROM tags ORDER BY tag"), [["grammar"], ["Vocab"]], "ordered without case, as unicase does");
    // The unique index is case-insensitive, as in Anki.
    await assert.rejects(server.query("INSERT INTO notetypes (name, mtime_secs, usn, config) VALUES ('cloze', 4, 0, '')", [], db), /duplicate key value violates unique constraint "idx_notetypes_name"/);
    const [{ def }] = await server.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'idx_decks_name'", [], db);
    assert.match(def, /\(name COLLATE unicase\)/);
    const v = await verify({ from: file, to: server.url(db) });
    assert.equal(v.equal, true, JSON.stringify(v.mismatches));
  });
});
