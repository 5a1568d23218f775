/**
 * Round trips through a real PostgreSQL 16: build SQLite fixtures, migrate,
 * verify every value, introspect PostgreSQL and compare.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { dependentObjectsSql, loadTableAs, migrate, openSource, setSession, sourceTableChecksums, targetTableChecksums, verify, buildPlan } from "../migrate/index";
import { sqlLineExpression } from "../migrate/copy-encode";
import { quoteSqliteIdent } from "../migrate/quote";
import { buildFixture } from "./support/engine-fixture";
import { withPostgres } from "./support/postgres";

const server = withPostgres();
let dir: string;
let app: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "s2p-engine-"));
  app = join(dir, "app.db");
  buildFixture(app);
});
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function columnsOf(db: string, table: string): Promise<Record<string, string>> {
  const rows = await server.query<{ column_name: string; t: string }>(
    `SELECT column_name, format_type(a.atttypid, a.atttypmod) AS t FROM information_schema.columns c
       JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, [table], db);
  return Object.fromEntries(rows.map((r) => [r.column_name, r.t]));
}

describe("fixture with every mapped type and schema object", () => {
  let db: string;
  before(async () => {
    db = await server.createDatabase("fx");
    const report = await migrate({ from: app, to: server.url(db) });
    assert.equal(report.verified, true);
    assert.ok(report.warnings.some((w) => w.includes("orders_touch")), "triggers are reported");
  });

  test("column types follow the mapping table", async () => {
    assert.deepEqual(await columnsOf(db, "User Accounts"), {
      id: "uuid", email: "character varying(20)", settings: "jsonb", prefs: "jsonb", created_at: "timestamp with time zone",
      seen_ms: "timestamp with time zone", birthday: "date", wake: "time without time zone", active: "boolean", legacy_flag: "boolean",
      balance: "numeric(10,2)", ratio: "double precision", avatar: "bytea", note: "text", select: "bigint", hash: "character varying(32)",
    });
    assert.deepEqual(await columnsOf(db, "orders"), {
      id: "bigint", user_id: "uuid", amount: "numeric(12,4)", qty: "bigint", total: "double precision", status: "text", parent_id: "bigint",
    });
    assert.deepEqual(await columnsOf(db, "nokey"), { x: "double precision", y: "text" });
  });

  test("values arrive exactly", async () => {
    const [u] = await server.query<Record<string, string>>(
      `SELECT id::text, settings::text, (seen_ms AT TIME ZONE 'UTC')::text AS seen, created_at AT TIME ZONE 'UTC' AS c, ratio::text, balance::text, encode(avatar, 'hex') AS avatar, note, "select"::text AS sel, legacy_flag::text AS lf
         FROM "User Accounts" WHERE email = 'a@x.io'`, [], db);
    assert.equal(u.id, "01234567-89ab-cdef-0123-456789abcdef");
    assert.deepEqual(JSON.parse(u.settings), { a: [1, 2, "x"], b: null });
    assert.equal(u.seen, "2024-03-15 12:05:57.105");
    assert.equal(u.ratio, "9445.83867930103");
    assert.equal(u.balance, "1234.56");
    assert.equal(u.avatar, "000102ff");
    assert.equal(u.note, "Tab\there\nnewline \\ back");
    assert.equal(u.sel, "7");
    assert.equal(u.lf, "true");
    const [big] = await server.query<{ s: string }>(`SELECT "select"::text AS s FROM "User Accounts" WHERE email = 'c@x.io'`, [], db);
    assert.equal(big.s, "-9007199254740993");
  });

  test("identity restarts past max(id) and sqlite_sequence; defaults work", async () => {
    const [r] = await server.query<{ id: string; qty: string; status: string }>(`INSERT INTO orders (amount) VALUES (1) RETURNING id::text, qty::text, status`, [], db);
    assert.deepEqual(r, { id: "5", qty: "1", status: "new" });
    const [a] = await server.query<{ id: string }>(`INSERT INTO a DEFAULT VALUES RETURNING id::text`, [], db);
    assert.equal(a.id, "2");
    const [u] = await server.query<{ active: boolean; fresh: boolean }>(`INSERT INTO "User Accounts" (id, email) VALUES (gen_random_uuid(), 'd@x.io') RETURNING active, created_at > now() - interval '1 minute' AS fresh`, [], db);
    assert.deepEqual(u, { active: true, fresh: true });
  });

  test("keys, FKs (deferrable, circular, actions), checks, indexes, FTS and views exist", async () => {
    const cons = await server.query<{ conname: string; contype: string; def: string }>(
      `SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY conname`, [], db);
    const byName = Object.fromEntries(cons.map((c) => [c.conname, c.def]));
    assert.equal(byName["line_pkey"], "PRIMARY KEY (order_id, n)");
    assert.match(byName["orders_user_id_fkey"], /REFERENCES "User Accounts"\(id\) ON DELETE CASCADE/);
    assert.match(byName["a_b_id_fkey"], /DEFERRABLE INITIALLY DEFERRED/);
    assert.match(byName["b_a_id_fkey"], /REFERENCES a\(id\)/);
    assert.match(byName["line_order_id_fkey"], /ON UPDATE CASCADE/);
    assert.ok(cons.some((c) => c.contype === "c" && /status/.test(c.def)), "status CHECK translated");
    assert.ok(!cons.some((c) => c.contype === "c" && /active/.test(c.def)), "boolean IN (0,1) check dropped");
    const idx = await server.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`, [], db);
    assert.match(idx.find((i) => i.indexname === "orders_status_partial")!.indexdef, /WHERE \(status = 'new'::text\)/);
    assert.match(idx.find((i) => i.indexname === "orders_lower_status")!.indexdef, /lower\(\(?status/);
    const fts = await server.query<{ title: string }>(`SELECT title FROM docs WHERE search_vector @@ to_tsquery('simple', 'fox')`, [], db);
    assert.deepEqual(fts, [{ title: "Hello" }]);
    const paid = await server.query<{ n: string }>(`SELECT count(*)::text AS n FROM paid`, [], db);
    assert.equal(paid[0].n, "1");
    await assert.rejects(server.query(`INSERT INTO "User Accounts" (id, email, prefs) VALUES (gen_random_uuid(), 'e@x.io', 'not json')`, [], db));
  });

  test("verify finds a changed value and names table, column and key", async () => {
    const ok = await verify({ from: app, to: server.url(db) });
    assert.equal(ok.equal, false, "rows inserted by the previous test make counts differ");
    const db2 = await server.createDatabase("fxv");
    await migrate({ from: app, to: server.url(db2), verify: false });
    assert.equal((await verify({ from: app, to: server.url(db2) })).equal, true);
    await server.query(`UPDATE line SET label = 'changed' WHERE order_id = 1 AND n = 2`, [], db2);
    const v = await verify({ from: app, to: server.url(db2) });
    assert.equal(v.equal, false);
    assert.deepEqual(v.mismatches.map((m) => [m.table, m.column, m.key]), [["line", "label", "order_id=1, n=2"]]);
  });
});

test("a non-empty target schema is refused unless --replace", async () => {
  const db = await server.createDatabase("ne");
  await server.query(`CREATE TABLE "orders" (x int)`, [], db);
  await assert.rejects(migrate({ from: app, to: server.url(db) }), /already has 1 table.*--replace/s);
  const left = await server.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, [], db);
  assert.deepEqual(left, [{ n: 1 }]);
  const r = await migrate({ from: app, to: server.url(db), replace: true });
  assert.equal(r.verified, true);
});

test("values that do not fit refuse before the target is touched, naming table, column, key, value and fix", async () => {
  const bad = join(dir, "bad.db");
  const s = new Database(bad);
  s.exec(`CREATE TABLE agents (id INTEGER PRIMARY KEY, config JSON, qty INTEGER, name TEXT);
          INSERT INTO agents VALUES (41, '{}', 1, 'ok'), (42, '{"a": }', 'lots', 'nul' || char(0) || 'byte');`);
  s.close();
  const db = await server.createDatabase("bad");
  await assert.rejects(migrate({ from: bad, to: server.url(db) }), (err: Error) => {
    assert.match(err.message, /table "agents" column "config": 1 value\(s\) that are not valid JSON.*row id=42 value '\{"a": \}'.*--type agents\.config=text/);
    assert.match(err.message, /column "qty".*'lots'.*--type agents\.qty=text/);
    assert.match(err.message, /column "name".*NUL.*--type agents\.name=bytea/);
    return true;
  });
  assert.deepEqual(await server.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, [], db), [{ n: 0 }]);
  const fixed = await migrate({ from: bad, to: server.url(db), typeOverrides: { "agents.config": "text", "agents.qty": "text", "agents.name": "bytea" } });
  assert.equal(fixed.verified, true);
});

test("invalid UTF-8 in a text value fails the load and rolls back", async () => {
  const f = join(dir, "utf8.db");
  const s = new Database(f);
  s.exec(`CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO files VALUES (1, 'fine'), (2, CAST(x'66696c6596' AS TEXT));`);
  s.close();
  const db = await server.createDatabase("u8");
  await assert.rejects(migrate({ from: f, to: server.url(db) }), /table "files" column "name": row id=2 holds invalid UTF-8.*--type files\.name=bytea/);
  assert.deepEqual(await server.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, [], db), [{ n: 0 }]);
  assert.deepEqual(buildPlan(f, {}, { checkUtf8: true }).errors.map((e) => [e.table, e.column, e.key, e.fix]), [["files", "name", "id=2", "--type files.name=bytea"]]);
  const fixed = await migrate({ from: f, to: server.url(db), typeOverrides: { "files.name": "bytea" } });
  assert.equal(fixed.verified, true);
  assert.deepEqual(await server.query(`SELECT encode(name, 'hex') AS h FROM files WHERE id = 2`, [], db), [{ h: "66696c6596" }]);
});

test("naive datetimes are read in --source-timezone", async () => {
  const f = join(dir, "tz.db");
  const s = new Database(f);
  s.exec(`CREATE TABLE ev (id INTEGER PRIMARY KEY, at DATETIME); INSERT INTO ev VALUES (1, '2024-03-15 12:05:57.105542'), (2, '2024-07-01 00:00:00+02:00'), (3, 1710504357);
          CREATE TABLE jd (id INTEGER PRIMARY KEY, at DATETIME); INSERT INTO jd VALUES (1, julianday('2024-03-15 12:00:00')), (2, julianday('1999-12-31 06:30:00'));`);
  s.close();
  const db = await server.createDatabase("tz");
  const r = await migrate({ from: f, to: server.url(db), sourceTimezone: "Europe/Paris" });
  assert.equal(r.verified, true);
  const rows = await server.query<{ at: string }>(`SELECT (at AT TIME ZONE 'UTC')::text AS at FROM ev ORDER BY id`, [], db);
  assert.deepEqual(rows.map((x) => x.at), ["2024-03-15 11:05:57.105542", "2024-06-30 22:00:00", "2024-03-15 12:05:57"]);
  const jd = await server.query<{ at: string }>(`SELECT (at AT TIME ZONE 'UTC')::text AS at FROM jd ORDER BY id`, [], db);
  assert.deepEqual(jd.map((x) => x.at), ["2024-03-15 12:00:00", "1999-12-31 06:30:00"], "Julian day numbers (SQLite julianday()) are recognised");
});

test("one consistent snapshot: an uncommitted writer in WAL mode is not seen, and does not block", async () => {
  const f = join(dir, "wal.db");
  const w = new Database(f);
  w.exec(`PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b');`);
  w.exec("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('uncommitted');");
  try {
    const db = await server.createDatabase("wal");
    const r = await migrate({ from: f, to: server.url(db) });
    assert.deepEqual(r.tables.map((t) => [t.source, t.rows]), [["t", 2]]);
    assert.equal(r.verified, true);
  } finally {
    w.exec("ROLLBACK");
    w.close();
  }
});

test("checksums change with the content, on both sides", async () => {
  const f = join(dir, "ck.db");
  const s = new Database(f);
  s.exec(`CREATE TABLE p (id INTEGER PRIMARY KEY, v REAL); INSERT INTO p VALUES (1, 0.1), (2, 0.2); CREATE TABLE q (k TEXT PRIMARY KEY) WITHOUT ROWID; INSERT INTO q VALUES ('x');`);
  s.close();
  const before1 = sourceTableChecksums(f);
  assert.deepEqual(Object.keys(before1).sort(), ["p", "q"]);
  assert.deepEqual(sourceTableChecksums(f), before1);
  const s2 = new Database(f);
  s2.exec("UPDATE p SET v = 0.30000000000000004 WHERE id = 2");
  s2.close();
  const after1 = sourceTableChecksums(f);
  assert.notEqual(after1.p, before1.p);
  assert.equal(after1.q, before1.q);
  const db = await server.createDatabase("ck");
  await migrate({ from: f, to: server.url(db) });
  const conn = { to: server.url(db) };
  const t1 = await targetTableChecksums(conn, "public", ["p", "q"]);
  assert.deepEqual(await targetTableChecksums(conn, "public", ["p", "q"]), t1);
  await server.query(`UPDATE p SET v = 1 WHERE id = 1`, [], db);
  const t2 = await targetTableChecksums(conn, "public", ["p", "q"]);
  assert.notEqual(t2.p, t1.p);
  assert.equal(t2.q, t1.q);
});

test("loadTableAs loads one table beside the live one; dependentObjectsSql re-creates its FKs", async () => {
  const db = await server.createDatabase("sync");
  await migrate({ from: app, to: server.url(db) });
  const plan = buildPlan(app);
  const src = openSource(app);
  const client = new Client({ connectionString: server.url(db) });
  await client.connect();
  try {
    await client.query("BEGIN");
    await setSession(client, "UTC");
    const r = await loadTableAs(src.db, client, plan, "orders", "orders__new", { suffix: "_new" });
    assert.equal(r.rows, 3);
    await client.query(`DROP TABLE "orders" CASCADE`);
    await client.query(`ALTER TABLE "orders__new" RENAME TO "orders"`);
    const dep = dependentObjectsSql(plan, "orders");
    for (const sql of dep.foreignKeys) await client.query(sql);
    assert.equal(dep.foreignKeys.length, 3);
    await client.query("COMMIT");
  } finally {
    await client.end();
    src.close();
  }
  const v = await verify({ from: app, to: server.url(db) });
  assert.equal(v.equal, true);
});

describe("CLI", () => {
  const bin = resolve(__dirname, "../bin/sqlite-to-postgres.js");
  // The bin runs the compiled CLI; tsc emits even when unrelated files have type errors.
  before(() => { spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: resolve(__dirname, ".."), stdio: "ignore" }); });
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

  test("--help on every command exits 0 with examples; usage errors exit 2", () => {
    for (const c of ["plan", "migrate", "verify"]) {
      const r = run([c, "--help"]);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Examples:/);
    }
    assert.equal(run(["migrate", "--from", app]).status, 2);
    assert.equal(run(["plan", "--from", app, "--type", "nodot"]).status, 2);
    assert.equal(run(["frobnicate"]).status, 2);
  });

  test("plan prints types and reasons; exit 1 when refused", () => {
    const r = run(["plan", "--from", app]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /seen_ms: DATETIME \[integer 2, null 1\] → timestamptz/);
    assert.match(r.stdout, /epoch milliseconds/);
    const j = JSON.parse(run(["plan", "--from", app, "--json"]).stdout);
    assert.equal(j.tables.find((t: { source: string }) => t.source === "User Accounts").columns[0].pgType, "uuid");
  });

  test("migrate and verify exit 0; the password never appears; a wrong password exits 1", async () => {
    const db = await server.createDatabase("cli");
    const url = server.url(db).replace(/:[^:@/]*@/, "@");
    const out = join(dir, "report.json");
    const r = run(["migrate", "--from", app, "--to", url, "--report", out], { PGPASSWORD: server.password });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(server.password) && !r.stderr.includes(server.password));
    assert.equal(run(["verify", "--from", app, "--to", url], { PGPASSWORD: server.password }).status, 0);
    const bad = run(["verify", "--from", app, "--to", server.url(db, "postgres", "wrong-password-xyz")], { PGPASSWORD: "" });
    assert.equal(bad.status, 1);
    assert.ok(!bad.stderr.includes("wrong-password-xyz"), bad.stderr);
    assert.match(bad.stderr, /password/);
  });
});

describe("existing schema mode (tables created by the app's migrations)", () => {
  let src: string;
  const ddl = `
    CREATE TYPE status AS ENUM ('NEW', 'DONE');
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('abc123');
    CREATE TABLE users (id uuid PRIMARY KEY, email varchar(255) NOT NULL, created_at timestamptz NOT NULL, nick text);
    CREATE TABLE tasks (id serial PRIMARY KEY, user_id uuid NOT NULL REFERENCES users(id), status status NOT NULL, config jsonb, cost numeric(10,2), done boolean NOT NULL DEFAULT false);`;
  before(() => {
    src = join(dir, "alembic.db");
    const s = new Database(src);
    s.exec(`CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
      INSERT INTO alembic_version VALUES ('abc123');
      CREATE TABLE tasks (id INTEGER NOT NULL PRIMARY KEY, user_id CHAR(32) NOT NULL REFERENCES users(id), status VARCHAR(4) NOT NULL, config JSON, cost NUMERIC(10, 2), done BOOLEAN NOT NULL);
      CREATE TABLE users (id CHAR(32) NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL, created_at DATETIME NOT NULL, nick TEXT);
      INSERT INTO users VALUES ('0123456789abcdef0123456789abcdef', 'a@x.io', '2024-03-15 12:05:57.105542', 'ä');
      INSERT INTO tasks VALUES (1, '0123456789abcdef0123456789abcdef', 'NEW', '{"k": [1]}', 12.5, 0), (7, '0123456789abcdef0123456789abcdef', 'DONE', NULL, NULL, 1);`);
    s.close();
  });

  test("loads into the existing tables in FK order, skips alembic_version, resets sequences, verifies", async () => {
    const db = await server.createDatabase("ex");
    await server.query(ddl, [], db);
    const r = await migrate({ from: src, to: server.url(db), schemaMode: "existing" });
    assert.equal(r.verified, true);
    assert.deepEqual(r.tables.map((t) => t.source).sort(), ["tasks", "users"]);
    assert.deepEqual(await server.query(`SELECT version_num FROM alembic_version`, [], db), [{ version_num: "abc123" }]);
    const [t] = await server.query<{ id: number }>(`INSERT INTO tasks (user_id, status) VALUES ('01234567-89ab-cdef-0123-456789abcdef', 'NEW') RETURNING id`, [], db);
    assert.equal(t.id, 8);
    assert.deepEqual(await server.query(`SELECT count(*)::int AS n FROM tasks WHERE config @> '{"k": [1]}'`, [], db), [{ n: 1 }]);
    assert.equal((await verify({ from: src, to: server.url(db), schemaMode: "existing" })).equal, false, "the row inserted above is extra");
  });

  test("every mismatch is reported together before any row is written", async () => {
    const db = await server.createDatabase("ex2");
    await server.query(ddl.replace("'NEW', 'DONE'", "'NEW'").replace("cost numeric(10,2)", "cost numeric(3,2)").replace("nick text", "nick_name text NOT NULL"), [], db);
    await assert.rejects(migrate({ from: src, to: server.url(db), schemaMode: "existing" }), (err: Error) => {
      assert.match(err.message, /column "nick": no column of that name/);
      assert.match(err.message, /nick_name is NOT NULL without a default/);
      return true;
    });
    await server.query(`ALTER TABLE users RENAME COLUMN nick_name TO nick; ALTER TABLE users ALTER COLUMN nick DROP NOT NULL`, [], db);
    await assert.rejects(migrate({ from: src, to: server.url(db), schemaMode: "existing" }), (err: Error) => {
      assert.match(err.message, /column "cost".*do not fit numeric\(3,2\)/);
      assert.match(err.message, /column "status": row id=7 value 'DONE' is not a label of enum status/);
      return true;
    });
    assert.deepEqual(await server.query(`SELECT (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM tasks)::int AS t`, [], db), [{ u: 0, t: 0 }]);
  });
});

for (const jobs of [1, 2]) {
  test(`rows built by SQLite as COPY lines keep special characters, quotes, NULL vs '', infinities, bytes and exact decimals (jobs ${jobs})`, async () => {
    const f = join(dir, `lines-${jobs}.db`);
    const s = new Database(f);
    s.exec(`CREATE TABLE w (id INTEGER PRIMARY KEY, t TEXT, d REAL, b BLOB, n NUMERIC(12,4), f BOOLEAN, big INTEGER, j JSON);
      INSERT INTO w VALUES (1, 'tab\tnl' || char(10) || 'cr' || char(13) || 'bs\\ and \\N', 9e999, x'00ff0a5c', 1234.5678, 't', 9223372036854775807, '{"a": "x,\\"y\\"", "b": [1, 2]}'),
                           (2, '\\N', -9e999, NULL, 0.1, 0, -9223372036854775808, '"just, a \\"string\\""'),
                           (3, '', -0.0, x'', 99999999.9999, 'false', NULL, '[]'),
                           (4, NULL, 0.1, NULL, NULL, NULL, 0, NULL),
                           (5, 'say "hi", then ""leave""', 1.5, x'22', -0.5, 'TRUE', 1, 'null'),
                           (6, '\\.', 2.5, NULL, 7, 1, 2, '{}'),
                           (7, '  padded, ' || char(10) || '\\.' || char(10), 3.5, NULL, 8, 0, 3, '{"k": "\\\\."}');
      CREATE TABLE one (v TEXT);
      INSERT INTO one VALUES ('\\.'), (''), (NULL), ('"'), (',');`);
    s.close();
    const plan = buildPlan(f);
    for (const t of plan.tables) assert.ok(sqlLineExpression(t.columns, quoteSqliteIdent), `${t.source} takes the SQL-built line path`);
    const db = await server.createDatabase(`lines_${jobs}`);
    const r = await migrate({ from: f, to: server.url(db), jobs, parallelMinRows: 0 });
    assert.equal(r.verified, true);
    const rows = await server.query<Record<string, string | null>>(`SELECT t, d::text AS d, encode(b, 'hex') AS b, n::text AS n, f::text AS f, big::text AS big, j::text AS j FROM w ORDER BY id`, [], db);
    assert.deepEqual(rows, [
      { t: "tab\tnl\ncr\rbs\\ and \\N", d: "Infinity", b: "00ff0a5c", n: "1234.5678", f: "true", big: "9223372036854775807", j: '{"a": "x,\\"y\\"", "b": [1, 2]}' },
      { t: "\\N", d: "-Infinity", b: null, n: "0.1000", f: "false", big: "-9223372036854775808", j: '"just, a \\"string\\""' },
      { t: "", d: "0", b: "", n: "99999999.9999", f: "false", big: null, j: "[]" }, // SQLite itself stores -0.0 in a REAL column as 0
      { t: null, d: "0.1", b: null, n: null, f: null, big: "0", j: null },
      { t: 'say "hi", then ""leave""', d: "1.5", b: "22", n: "-0.5000", f: "true", big: "1", j: "null" },
      { t: "\\.", d: "2.5", b: null, n: "7.0000", f: "true", big: "2", j: "{}" },
      { t: "  padded, \n\\.\n", d: "3.5", b: null, n: "8.0000", f: "false", big: "3", j: '{"k": "\\\\."}' },
    ]);
    // A one-column table: a lone `\.` is a value, not the end of the data; '' and NULL stay apart.
    assert.deepEqual((await server.query<{ v: string | null }>("SELECT v FROM one ORDER BY ctid", [], db)).map((x) => x.v), ["\\.", "", null, '"', ","]);
  });
}

test("a table wider than SQLite's function-argument and expression-depth caps migrates, COPY line from SQLite, NULLs in place", async () => {
  const f = join(dir, "wide.db");
  const s = new Database(f);
  // Beyond the 1,000 arguments a SQLite function takes (127 before 3.48) and its expression depth
  // of 1,000 (the scan's NUL screen over 1,000+ text columns, a line as a chain of `||`).
  const n = 1200;
  const isText = (i: number) => i % 10 !== 0;
  s.exec(`CREATE TABLE wide (id INTEGER PRIMARY KEY, ${Array.from({ length: n }, (_, i) => `c${i} ${isText(i) ? "TEXT" : "INTEGER"}`).join(", ")})`);
  const insert = s.prepare(`INSERT INTO wide VALUES (?, ${Array.from({ length: n }, () => "?").join(", ")})`);
  // Mostly one-character texts: PostgreSQL's row must fit a page (values this short are not TOASTed).
  const text = (r: number, i: number) => (i % 50 === 1 ? `r${r}\tc${i}` : String.fromCharCode(97 + ((r + i) % 26)));
  for (let r = 1; r <= 3; r++) insert.run(r, ...Array.from({ length: n }, (_, i) => ((i + r) % 7 === 0 ? null : isText(i) ? text(r, i) : r * 1000 + i)));
  s.close();
  const plan = buildPlan(f);
  const line = sqlLineExpression(plan.tables[0].columns, quoteSqliteIdent);
  assert.ok(line, "this table takes the SQL-built line path");
  const db = await server.createDatabase("wide");
  const r = await migrate({ from: f, to: server.url(db) });
  assert.equal(r.verified, true);
  const got = await server.query<Record<string, string | number | null>>(`SELECT * FROM wide WHERE id = 2`, [], db);
  const row = got[0]!;
  for (let i = 0; i < n; i++) {
    const want = (i + 2) % 7 === 0 ? null : isText(i) ? text(2, i) : String(2000 + i);
    assert.equal(row[`c${i}`] === null ? null : String(row[`c${i}`]), want, `column c${i}`);
  }
});
