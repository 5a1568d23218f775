/**
 * Regressions of the migration engine, each named after what broke, against
 * a real PostgreSQL 16 and real SQLite files: narrowing `--type` overrides
 * that stored rounded values, float4 verification that hid the rounding,
 * varchar overflow messages naming the wrong row, and existing-mode
 * refusals suggesting translate-mode fixes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { migrate, openSource, planFromDatabase, verify } from "../migrate/index";
import { setSession, verifyPlan } from "../migrate/migrate";
import { withPostgres } from "./support/postgres";

const server = withPostgres();
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "s2p-regress-"));
});
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sqliteFile(name: string, sql: string): string {
  const file = join(dir, `${name}.db`);
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return file;
}

async function tableCount(db: string): Promise<number> {
  const [{ n }] = await server.query<{ n: string }>(`SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'public'`, [], db);
  return Number(n);
}

/** Runs `fn` and returns the message of the error it must throw. */
async function refusal(fn: () => Promise<unknown>): Promise<string> {
  let message: string | undefined;
  await assert.rejects(fn(), (err: Error) => { message = err.message; return true; });
  return message!;
}

describe("translate mode: narrowing --type overrides are refused before writing", () => {
  test("real override of a value float4 would round (0.1) is refused, naming the row and double precision", async () => {
    const file = sqliteFile("real-round", `CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, 0.5), (2, 0.1), (3, 0.2);`);
    const db = await server.createDatabase("realround");
    const msg = await refusal(() => migrate({ from: file, to: server.url(db), typeOverrides: { "t.r": "real" } }));
    assert.match(msg, /target not touched/);
    assert.match(msg, /table "t" column "r": 2 value\(s\) that a 4-byte real would round/);
    assert.match(msg, /first at row id=2 value 0\.1/);
    assert.match(msg, /--type 't\.r=double precision'/);
    assert.equal(await tableCount(db), 0, "nothing written");
  });

  test("float4 spelling of the override is refused the same way", async () => {
    const file = sqliteFile("float4-round", `CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, 1.1);`);
    const db = await server.createDatabase("float4round");
    const msg = await refusal(() => migrate({ from: file, to: server.url(db), typeOverrides: { "t.r": "float4" } }));
    assert.match(msg, /row id=1 value 1\.1/);
    assert.equal(await tableCount(db), 0);
  });

  test("real override of values float4 holds exactly migrates and verifies", async () => {
    const file = sqliteFile("real-exact", `CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, 0.5), (2, -0.25), (3, 3), (4, NULL);`);
    const db = await server.createDatabase("realexact");
    const report = await migrate({ from: file, to: server.url(db), typeOverrides: { "t.r": "real" } });
    assert.equal(report.verified, true);
    const rows = await server.query<{ r: string | null; t: string }>(`SELECT r::float8::text AS r, pg_typeof(r)::text AS t FROM t ORDER BY id`, [], db);
    assert.deepEqual(rows.map((x) => x.r), ["0.5", "-0.25", "3", null]);
    assert.equal(rows[0].t, "real");
  });

  test("smallint and integer overrides refuse out-of-range values, suggesting bigint", async () => {
    const file = sqliteFile("int-range", `CREATE TABLE t (id INTEGER PRIMARY KEY, s INTEGER, i INTEGER); INSERT INTO t VALUES (1, 5, 5), (2, 40000, 3000000000), (3, -40000, 7);`);
    const db = await server.createDatabase("intrange");
    const msg = await refusal(() => migrate({ from: file, to: server.url(db), typeOverrides: { "t.s": "smallint", "t.i": "int4" } }));
    assert.match(msg, /column "s": 2 integer\(s\) out of range for t\.s smallint; first at row id=2 value 40000; map the column with --type t\.s=bigint/);
    assert.match(msg, /column "i": 1 integer\(s\) out of range for t\.i integer; first at row id=2 value 3000000000; map the column with --type t\.i=bigint/);
    assert.equal(await tableCount(db), 0);
  });

  test("numeric(p,s) override that would round is refused, naming the row that does not fit", async () => {
    const file = sqliteFile("num-round", `CREATE TABLE t (id INTEGER PRIMARY KEY, p REAL); INSERT INTO t VALUES (1, 1.5), (2, 2.25), (3, 1.234), (4, 9.5);`);
    const db = await server.createDatabase("numround");
    const msg = await refusal(() => migrate({ from: file, to: server.url(db), typeOverrides: { "t.p": "numeric(5,2)" } }));
    assert.match(msg, /column "p": values \(up to 1 integer digits, scale 3\) do not fit numeric\(5,2\) exactly; first at row id=3 value 1\.234/);
    assert.match(msg, /--type t\.p=numeric/);
    assert.equal(await tableCount(db), 0);
  });

  test("varchar(n) override too short is refused, naming the overflowing row, not the first text value", async () => {
    const long = "y".repeat(201);
    const file = sqliteFile("varchar-short", `CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT); INSERT INTO t VALUES (1, 'short'), (2, 'also short'), (3, '${long}');`);
    const db = await server.createDatabase("varcharshort");
    const msg = await refusal(() => migrate({ from: file, to: server.url(db), typeOverrides: { "t.s": "varchar(200)" } }));
    assert.match(msg, /column "s": values up to 201 characters do not fit varchar\(200\); first at row id=3 value 'y{80}…' \(201 characters\)/);
    assert.doesNotMatch(msg, /'short'/);
    assert.equal(await tableCount(db), 0);
  });

  test("varchar(n) override too short for a number's text is refused before writing, not left to COPY", async () => {
    // An untyped column keeps numbers as numbers (a TEXT column would store them as text).
    const file = sqliteFile("varchar-number", `CREATE TABLE t (id INTEGER PRIMARY KEY, s); INSERT INTO t VALUES (1, 'abc'), (2, 1.5), (3, 12345), (4, 9007199254740993);`);
    const db = await server.createDatabase("varcharnumber");
    const msg = await refusal(() => migrate({ from: file, to: server.url(db), typeOverrides: { "t.s": "varchar(3)" } }));
    assert.match(msg, /column "s": 2 number\(s\) whose text is longer than 3 characters for t\.s varchar\(3\); first at row id=3 value 12345; map the column with --type t\.s=text/);
    assert.equal(await tableCount(db), 0);
  });
});

describe("varchar(n) widened to text", () => {
  test("the warning names the row that overflows, with a preview and its length", () => {
    const long = "z".repeat(201);
    const file = sqliteFile("varchar-widen", `CREATE TABLE t (id INTEGER PRIMARY KEY, s VARCHAR(200)); INSERT INTO t VALUES (1, 'first'), (2, '${long}'), (3, 'last');`);
    const src = openSource(file);
    try {
      const plan = planFromDatabase(src.db, file);
      const col = plan.tables[0].columns.find((c) => c.source === "s")!;
      assert.equal(col.pgType, "text");
      assert.equal(col.warnings.length, 1);
      assert.match(col.warnings[0], /values up to 201 characters exceed VARCHAR\(200\); first at row id=2 value 'z{80}…' \(201 characters\); using text/);
      assert.doesNotMatch(col.warnings[0], /'first'/);
    } finally {
      src.close();
    }
  });
});

describe("float4 verification is exact", () => {
  test("verify of a keyed real column names the row whose float4 differs from the SQLite double", async () => {
    const file = sqliteFile("verify-real", `CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, 0.5), (2, 0.25);`);
    const db = await server.createDatabase("verifyreal");
    const typeOverrides = { "t.r": "real" };
    const report = await migrate({ from: file, to: server.url(db), typeOverrides });
    assert.equal(report.verified, true);
    // What a silent float4 rounding leaves behind: SQLite 0.1, PostgreSQL 0.1::real (0.10000000149011612).
    roundInSource(file);
    await roundInTarget(db);
    const src = openSource(file);
    const client = new Client({ connectionString: server.url(db) });
    await client.connect();
    try {
      // The plan of the migrated table (its refusal of 0.1 is what the load would now say; verification must agree).
      const plan = planFromDatabase(src.db, file, { typeOverrides });
      assert.equal(plan.tables[0].columns.find((c) => c.source === "r")!.pgType, "real");
      await client.query("BEGIN");
      await setSession(client, "UTC");
      const v = await verifyPlan(src.db, client, plan, "UTC");
      await client.query("ROLLBACK");
      assert.equal(v.equal, false);
      assert.equal(v.mismatches.length, 1, JSON.stringify(v.mismatches));
      assert.equal(v.mismatches[0].column, "r");
      assert.equal(v.mismatches[0].key, "id=2");
      assert.match(v.mismatches[0].message, /SQLite "0\.1" vs PostgreSQL "0\.10000000149011612" \(real\)/);
    } finally {
      await client.end();
      src.close();
    }
  });

  test("verify in existing mode fails on a real column whose float4 differs from the SQLite double", async () => {
    const file = sqliteFile("verify-real-existing", `CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, 0.5), (2, 0.25);`);
    const db = await server.createDatabase("verifyrealex");
    await server.query(`CREATE TABLE t (id bigint PRIMARY KEY, r real)`, [], db);
    const report = await migrate({ from: file, to: server.url(db), schemaMode: "existing" });
    assert.equal(report.verified, true);
    roundInSource(file);
    await roundInTarget(db);
    const v = await verify({ from: file, to: server.url(db), schemaMode: "existing" });
    assert.equal(v.equal, false);
    assert.equal(v.mismatches.length, 1, JSON.stringify(v.mismatches));
    assert.equal(v.mismatches[0].table, "t");
  });
});

/** The SQLite side of a float4 rounding: the source holds 0.1. */
function roundInSource(file: string): void {
  const w = new Database(file);
  w.exec(`UPDATE t SET r = 0.1 WHERE id = 2`);
  w.close();
}

/** The PostgreSQL side: what `real` stores for 0.1. */
async function roundInTarget(db: string): Promise<void> {
  await server.query(`UPDATE t SET r = 0.1::real WHERE id = 2`, [], db);
}

describe("existing mode: refusals name the fixes that apply there", () => {
  test("no --type or --orphan-fks advice; app migrations, the SQLite rows or --skip-table instead", async () => {
    const long = "w".repeat(12);
    const file = sqliteFile("existing-fixes", `
      PRAGMA foreign_keys = OFF;
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      INSERT INTO parent VALUES (1);
      CREATE TABLE items (id INTEGER PRIMARY KEY, code TEXT, price NUMERIC, ratio REAL, qty INTEGER, n INTEGER, parent_id INTEGER REFERENCES parent(id));
      INSERT INTO items VALUES (1, 'ok', 1.5, 0.5, 1, 1, 1), (2, '${long}', 123.456, 0.1, 40000, 'not a number', 7);
    `);
    const db = await server.createDatabase("existingfixes");
    await server.query(`CREATE TABLE parent (id bigint PRIMARY KEY);
      CREATE TABLE items (id bigint PRIMARY KEY, code varchar(10), price numeric(5,2), ratio real, qty smallint, n bigint, parent_id bigint REFERENCES parent(id))`, [], db);
    for (const orphanForeignKeys of [undefined, "not-valid"] as const) {
      const msg = await refusal(() => migrate({ from: file, to: server.url(db), schemaMode: "existing", ...(orphanForeignKeys ? { orphanForeignKeys } : {}) }));
      assert.match(msg, /target not touched/);
      assert.doesNotMatch(msg, /--type/);
      assert.doesNotMatch(msg, /--orphan-fks/);
      const lines = msg.split("\n").filter((l) => l.startsWith("  - "));
      const line = (re: RegExp) => lines.find((l) => re.test(l)) ?? assert.fail(`no line matching ${re} in:\n${msg}`);
      const fix = /change the target column's type \(to [a-z ]+\) in the app's migrations, fix the row\(s\) in the SQLite file, or leave the table out with --skip-table items/;
      assert.match(line(/column "code"/), /first at row id=2 value 'w{12}' \(12 characters\)/);
      assert.match(line(/column "code"/), fix);
      assert.match(line(/column "price"/), /first at row id=2 value 123\.456/);
      assert.match(line(/column "price"/), fix);
      assert.match(line(/column "n"/), /first at row id=2 value 'not a number'/);
      assert.match(line(/column "n"/), fix);
      assert.match(line(/column "ratio"/), /make the column double precision in the app's migrations, fix the row\(s\) in the SQLite file, or leave the table out with --skip-table items/);
      assert.match(line(/column "qty"/), /widen the column \(bigint\) in the app's migrations, fix the row\(s\) in the SQLite file, or leave the table out with --skip-table items/);
      assert.match(line(/reference missing parent rows/), /first: row id=2 has parent_id=7; fix or delete those rows in the SQLite file, drop the foreign key in the app's migrations, or leave the table out with --skip-table items/);
    }
    const [{ n }] = await server.query<{ n: string }>(`SELECT count(*)::text AS n FROM items`, [], db);
    assert.equal(n, "0", "nothing written");
  });
});
