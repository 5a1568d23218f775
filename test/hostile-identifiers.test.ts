/**
 * Hostile identifiers survive a migration exactly: reserved words, spaces,
 * both quote characters, unicode, mixed case, dots, PostgreSQL system column
 * names, and names over 63 bytes (shortened deterministically, every
 * shortening and collision reported), in tables, columns, indexes and FKs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { buildPlan, migrate, verify, type MigrationReport } from "../migrate/index";
import { relationsIn } from "./support/catalog-snapshot";
import { withPostgres } from "./support/postgres";
import { runCli } from "./support/run-cli";

const LONG = `t_${"x".repeat(70)}`; // 72 bytes
const LONG2 = `${LONG}2`;
const COL_A = `c_${"y".repeat(61)}_a`; // 66 bytes; shares 63 bytes with COL_B
const COL_B = `c_${"y".repeat(61)}_b`;
const MULTIBYTE = "é".repeat(40); // 80 bytes: must not be cut inside a character
const LONG_INDEX = `uq_${"z".repeat(70)}`;

const server = withPostgres();
let work: string;
let source: string;
let shortenedLong: string;

function qi(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "s2p-hostile-"));
  source = join(work, "hostile.sqlite");
  // The name PostgreSQL-side shortening gives LONG; a table already called that forces a real collision.
  shortenedLong = buildPlanFor(`CREATE TABLE ${qi(LONG)} (id INTEGER PRIMARY KEY)`).tables[0].target;
  const db = new Database(source);
  db.exec(`
    CREATE TABLE "select" ("from" INTEGER PRIMARY KEY, "user" TEXT, "order" INTEGER, "group" TEXT);
    CREATE TABLE "My Table" (id INTEGER PRIMARY KEY, "Column With Spaces" TEXT DEFAULT 'it''s "x"', "it's" INTEGER CHECK ("it's" >= 0), "quote""d" TEXT,
                             "parent ref" INTEGER REFERENCES "select"("from") ON DELETE CASCADE,
                             "twice it's" INTEGER GENERATED ALWAYS AS ("it's" * 2) STORED);
    CREATE TABLE "Ünïcödé_表" ("ключ" INTEGER PRIMARY KEY, "名前" TEXT NOT NULL, "émoji_🎉" TEXT);
    CREATE TABLE "MixedCase" ("CamelCol" INTEGER REFERENCES "My Table"(id), "lower" INTEGER, "UPPER" TEXT, PRIMARY KEY ("CamelCol", "lower"));
    CREATE TABLE "order" ("Camel" INTEGER, "low" INTEGER, FOREIGN KEY ("Camel", "low") REFERENCES "MixedCase"("CamelCol", "lower"));
    CREATE TABLE ${qi(LONG)} (id INTEGER PRIMARY KEY, ${qi(COL_A)} TEXT, ${qi(COL_B)} TEXT, ${qi(MULTIBYTE)} TEXT);
    CREATE TABLE ${qi(LONG2)} (id INTEGER PRIMARY KEY, ref INTEGER REFERENCES ${qi(LONG)}(id));
    CREATE TABLE ${qi(shortenedLong)} (id INTEGER PRIMARY KEY, note TEXT);
    CREATE TABLE "a.b" ("x.y" INTEGER, "xmin" INTEGER, "ctid" TEXT);
    CREATE INDEX "idx ""quoted"" name" ON "My Table"("it's");
    CREATE UNIQUE INDEX ${qi(LONG_INDEX)} ON "select"("user");
    CREATE INDEX "partial order" ON "select"("order") WHERE "order" > 0;
    CREATE INDEX "expr lower user" ON "select"(lower("user"));
    CREATE INDEX "select_pkey" ON "select"("group");
    CREATE VIEW "v ""x"" view" AS SELECT "x.y", xmin, ctid FROM "a.b";
    CREATE VIEW "long view" AS SELECT l.${qi(COL_A)} AS a, s."from" FROM ${qi(LONG)} l JOIN "select" s ON s."from" = l.id;
    INSERT INTO "select" VALUES (1, 'alice', 3, 'g'), (2, 'Bob', 0, NULL);
    INSERT INTO "My Table" VALUES (10, 'spaced', 1, 'q"x', 1), (11, NULL, 2, 'it''s', 2);
    INSERT INTO "Ünïcödé_表" VALUES (1, '名前です', '🎉🎉');
    INSERT INTO "MixedCase" VALUES (10, 1, 'A'), (11, 2, 'B');
    INSERT INTO "order" VALUES (10, 1), (11, 2);
    INSERT INTO ${qi(LONG)} VALUES (1, 'a', 'b', 'é');
    INSERT INTO ${qi(LONG2)} VALUES (1, 1);
    INSERT INTO ${qi(shortenedLong)} VALUES (1, 'I was here first');
    INSERT INTO "a.b" VALUES (1, 2, 'c');
  `);
  db.close();
});
after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function buildPlanFor(ddl: string): ReturnType<typeof buildPlan> {
  const dir = mkdtempSync(join(tmpdir(), "s2p-hostile-one-"));
  try {
    const path = join(dir, "one.sqlite");
    const db = new Database(path);
    db.exec(ddl);
    db.close();
    return buildPlan(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function columnsOf(db: string, table: string, schema = "public"): Promise<string[]> {
  const rows = await server.query<{ attname: string }>(
    "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    [schema, table], db,
  );
  return rows.map((r) => r.attname);
}

describe("hostile identifiers", () => {
  let db: string;
  let report: MigrationReport;
  let targets: Map<string, string>;
  before(async () => {
    db = await server.createDatabase("hostile");
    report = await migrate({ from: source, to: server.url(db) });
    targets = new Map(report.tables.map((t) => [t.source, t.target]));
  });

  test("migrates and verifies value by value", async () => {
    assert.equal(report.verified, true);
    const v = await verify({ from: source, to: server.url(db) });
    assert.equal(v.equal, true, JSON.stringify(v.mismatches));
    assert.equal(v.tables.length, 9);
  });

  test("short names are preserved exactly (case, spaces, quotes, unicode, dots, reserved words)", async () => {
    const names = (await relationsIn(server, db)).map((r) => r.name);
    for (const n of ["select", "My Table", "Ünïcödé_表", "MixedCase", "order", "a.b"]) {
      assert.ok(names.includes(n), `${n} missing from ${JSON.stringify(names)}`);
      assert.equal(targets.get(n), n);
    }
    assert.deepEqual(await columnsOf(db, "My Table"), ["id", "Column With Spaces", "it's", 'quote"d', "parent ref", "twice it's"]);
    assert.deepEqual(await columnsOf(db, "select"), ["from", "user", "order", "group"]);
    assert.deepEqual(await columnsOf(db, "Ünïcödé_表"), ["ключ", "名前", "émoji_🎉"]);
    assert.deepEqual(await columnsOf(db, "MixedCase"), ["CamelCol", "lower", "UPPER"]);
    const [row] = await server.query<Record<string, unknown>>(`SELECT "名前", "émoji_🎉" FROM public."Ünïcödé_表"`, [], db);
    assert.deepEqual(row, { 名前: "名前です", "émoji_🎉": "🎉🎉" });
    const quoted = await server.query<Record<string, unknown>>(`SELECT "quote""d", "it's" FROM public."My Table" ORDER BY id`, [], db);
    assert.deepEqual(quoted.map((r) => r['quote"d']), ['q"x', "it's"]);
  });

  test("names over 63 bytes are shortened (whole characters only) and every shortening is reported", async () => {
    const names = (await relationsIn(server, db)).map((r) => r.name);
    for (const n of names) assert.ok(Buffer.byteLength(n, "utf8") <= 63, n);
    assert.equal(new Set(names).size, names.length);
    const longTarget = targets.get(LONG)!;
    const long2Target = targets.get(LONG2)!;
    assert.notEqual(longTarget, long2Target);
    const cols = await columnsOf(db, longTarget);
    assert.equal(cols.length, 4);
    assert.equal(new Set(cols).size, 4);
    for (const c of cols) {
      assert.ok(Buffer.byteLength(c, "utf8") <= 63, c);
      assert.ok(!c.includes("\ufffd"), `a character was cut: ${c}`);
    }
    assert.ok(cols[3].startsWith("é"), cols[3]);
    for (const [src, kind] of [[LONG, "table"], [LONG2, "table"], [COL_A, "column"], [COL_B, "column"], [MULTIBYTE, "column"], [LONG_INDEX, "index"]]) {
      assert.ok(report.warnings.some((w) => w.startsWith(kind) && w.includes(src) && /\(shortened\)/.test(w)), `no shortening reported for ${kind} ${src}`);
    }
  });

  test("collisions are reported and resolved: a table already named like a shortened name, a system column name, an index named like a pkey", async () => {
    // Both tables exist, with distinct names, and the rows of each are in the right one.
    const a = targets.get(LONG)!;
    const b = targets.get(shortenedLong)!;
    assert.notEqual(a, b);
    assert.ok(report.warnings.some((w) => /\(collision\)/.test(w) && (w.includes(LONG) || w.includes(shortenedLong))), JSON.stringify(report.warnings));
    const [mine] = await server.query<{ note: string }>(`SELECT note FROM public.${qi(b)}`, [], db);
    assert.equal(mine.note, "I was here first");
    // PostgreSQL refuses user columns named like system columns (xmin, ctid, …): renamed and reported.
    const abCols = await columnsOf(db, "a.b");
    assert.equal(abCols[0], "x.y");
    assert.ok(!abCols.includes("xmin") && !abCols.includes("ctid"), JSON.stringify(abCols));
    assert.ok(report.warnings.some((w) => w.includes("xmin") && /collision/.test(w)), JSON.stringify(report.warnings));
    // SQLite's index "select_pkey" and the primary key of "select" both exist under distinct names.
    const idx = await server.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'select' ORDER BY 1", [], db);
    assert.equal(idx.length, 5, JSON.stringify(idx)); // pkey, "select_pkey" renamed, partial, expression, unique
    assert.equal(new Set(idx.map((i) => i.indexname)).size, 5);
    assert.ok(idx.some((i) => /\("group"\)/.test(i.indexdef)));
    assert.ok(report.warnings.some((w) => w.includes("select_pkey") && /collision/.test(w)), JSON.stringify(report.warnings));
  });

  test("views over renamed tables and columns read the right columns (not PostgreSQL's system columns)", async () => {
    const views = (await relationsIn(server, db)).filter((r) => r.kind === "v").map((r) => r.name).sort();
    assert.deepEqual(views, ["long view", 'v "x" view']);
    const src = new Database(source, { readonly: true });
    for (const v of views) {
      const want = src.prepare(`SELECT * FROM ${qi(v)}`).raw().all();
      const got = await server.query<Record<string, unknown>>(`SELECT * FROM public.${qi(v)}`, [], db);
      assert.deepEqual(got.map((r) => Object.values(r).map((x) => (typeof x === "string" && /^\d+$/.test(x) ? Number(x) : x))), want, v);
    }
    src.close();
  });

  test("CHECK, DEFAULT and generated columns on hostile names work", async () => {
    const checks = await server.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'c' AND conrelid = 'public."My Table"'::regclass`, [], db);
    assert.deepEqual(checks.map((c) => c.def), [`CHECK (("it's" >= 0))`]);
    await assert.rejects(server.query(`INSERT INTO public."My Table" (id, "it's") VALUES (50, -1)`, [], db), /check constraint/);
    await server.query(`INSERT INTO public."My Table" (id, "it's") VALUES (51, 21)`, [], db);
    const [row] = await server.query<Record<string, unknown>>(`SELECT "Column With Spaces", "twice it's" FROM public."My Table" WHERE id = 51`, [], db);
    assert.deepEqual(row, { "Column With Spaces": `it's "x"`, "twice it's": "42" });
    await server.query(`DELETE FROM public."My Table" WHERE id = 51`, [], db);
  });

  test("indexes and foreign keys on hostile names work", async () => {
    const idx = await server.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'", [], db);
    const byName = new Map(idx.map((i) => [i.indexname, i.indexdef]));
    assert.match(byName.get('idx "quoted" name') ?? "", /\("it's"\)/);
    assert.match(byName.get("partial order") ?? "", /WHERE \("order" > 0\)/);
    assert.match(byName.get("expr lower user") ?? "", /lower\(\("user" COLLATE "C"\)\)/); // ASCII-only folding, as in SQLite
    const fks = await server.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1", [], db);
    assert.equal(fks.length, 4, JSON.stringify(fks));
    assert.ok(fks.some((f) => f.def === 'FOREIGN KEY ("Camel", low) REFERENCES "MixedCase"("CamelCol", lower)'), JSON.stringify(fks));
    // They are enforced, with their actions.
    await assert.rejects(server.query(`INSERT INTO public."My Table" (id, "parent ref") VALUES (99, 42)`, [], db), /foreign key/);
    await server.query(`DELETE FROM public."order"; DELETE FROM public."MixedCase"; DELETE FROM public."select" WHERE "from" = 1`, [], db);
    const left = await server.query<{ id: string }>(`SELECT id FROM public."My Table" ORDER BY id`, [], db);
    assert.deepEqual(left.map((r) => Number(r.id)), [11]);
  });

  test("shortening is deterministic: the same names in a second migration and in the plan", async () => {
    const db2 = await server.createDatabase("hostile2");
    const again = await migrate({ from: source, to: server.url(db2) });
    assert.deepEqual(again.tables.map((t) => [t.source, t.target]), report.tables.map((t) => [t.source, t.target]));
    assert.deepEqual(await relationsIn(server, db2), await relationsIn(server, db));
    assert.deepEqual(await columnsOf(db2, targets.get(LONG)!), await columnsOf(db, targets.get(LONG)!));
    const p1 = buildPlan(source);
    const p2 = buildPlan(source);
    assert.deepEqual(p1.identifiers, p2.identifiers);
    assert.deepEqual(p1.tables.map((t) => [t.target, t.columns.map((c) => c.target)]), p2.tables.map((t) => [t.target, t.columns.map((c) => c.target)]));
  });

  test("plan shows the renames", async () => {
    const r = await runCli(["plan", "--from", source]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shortened/);
    assert.match(r.stdout, /collision/);
    assert.ok(r.stdout.includes("Ünïcödé_表"));
  });

  test("--fold-identifiers folds to lower case and still verifies", async () => {
    const db3 = await server.createDatabase("hostile3");
    const folded = await migrate({ from: source, to: server.url(db3), foldIdentifiers: true });
    assert.equal(folded.verified, true);
    const names = (await relationsIn(server, db3)).map((r) => r.name);
    for (const n of ["select", "my table", "ünïcödé_表", "mixedcase", "order", "a.b"]) assert.ok(names.includes(n), `${n} missing from ${JSON.stringify(names)}`);
    assert.deepEqual(await columnsOf(db3, "my table"), ["id", "column with spaces", "it's", 'quote"d', "parent ref", "twice it's"]);
    const v = await verify({ from: source, to: server.url(db3), foldIdentifiers: true });
    assert.equal(v.equal, true, JSON.stringify(v.mismatches));
  });
});
