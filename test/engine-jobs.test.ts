/**
 * `--jobs`: reader threads on one SQLite snapshot. Real SQLite files, a
 * real PostgreSQL 16, real worker threads; a real writer process commits
 * in WAL mode while the readers start.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { buildPlan, migrate, openSource, renderStatement, tableCreateDdl, targetTableChecksums, verify } from "../migrate/index";
import { loadTable } from "../migrate/load-table";
import type { Merge } from "../migrate/column-scan";
import { withPostgres } from "./support/postgres";
import { CORPUS_DIR as CORPUS, corpusSkip } from "./support/corpus";

const server = withPostgres();
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "s2p-jobs-"));
});
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A table with every kind of value the load encodes, gaps in its rowids, and a rowid-less table. */
function buildSource(path: string, rows: number): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, price NUMERIC(10,2), ratio REAL, doc JSON, at DATETIME, raw BLOB, flag BOOLEAN, big INTEGER);
           CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;`);
  const ins = db.prepare("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const tag = db.prepare("INSERT INTO tags VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      // Rowids with gaps and a far outlier, so ranges are uneven and some are empty.
      const id = i < rows ? i * 3 : 1_000_000_000;
      ins.run(id, i % 7 === 0 ? null : `label ${i}\ttab\\slash\nline ü`, (i % 1000) / 100, i / 7, JSON.stringify({ i, s: `x${i}` }),
        `2024-01-${String((i % 28) + 1).padStart(2, "0")} 10:00:00.${String(i % 1_000_000).padStart(6, "0")}`,
        Buffer.from([i & 255, 0, 255]), i % 2, i % 5 === 0 ? 9007199254740993n : i);
      if (i % 10 === 0) tag.run(`tag-${i}`, i);
    }
  })();
  db.close();
}

describe("reader threads load what one thread loads", () => {
  let source: string;
  before(() => {
    source = join(dir, "items.db");
    buildSource(source, 12_000);
  });

  test("jobs 3 (scan split by rowid range, COPY text from a reader): verified, same checksums as jobs 1", async () => {
    const one = await server.createDatabase("jobs_one");
    const three = await server.createDatabase("jobs_three");
    const r1 = await migrate({ from: source, to: server.url(one), jobs: 1 });
    const r3 = await migrate({ from: source, to: server.url(three), jobs: 3, parallelMinRows: 0 });
    assert.equal(r1.verified, true);
    assert.equal(r3.verified, true);
    assert.deepEqual(r3.tables.map((t) => [t.source, t.rows]), r1.tables.map((t) => [t.source, t.rows]));
    const tables = ["items", "tags"];
    assert.deepEqual(await targetTableChecksums({ to: server.url(three) }, "public", tables), await targetTableChecksums({ to: server.url(one) }, "public", tables));
    assert.equal((await verify({ from: source, to: server.url(three) })).equal, true);
  });

  test("the scan's aggregates merged over ranges equal one query", () => {
    const src = openSource(source, { readers: 2, parallelMinRows: 0 });
    try {
      assert.equal(src.readers.size, 2);
      const exprs: { expr: string; merge: Merge }[] = [
        { expr: "count(*)", merge: "sum" }, { expr: "count(label)", merge: "sum" },
        { expr: "sum(CASE WHEN typeof(big) = 'integer' AND big > 9007199254740992 THEN 1 ELSE 0 END)", merge: "sum" },
        { expr: "max(CASE WHEN typeof(big) = 'integer' THEN big END)", merge: "max" },
        { expr: "min(CASE WHEN typeof(ratio) = 'real' THEN ratio END)", merge: "min" },
        { expr: "coalesce(max(CASE WHEN typeof(label) = 'text' THEN length(label) END), 0)", merge: "max" },
        { expr: "sum(CASE WHEN id > 2000000000 THEN 1 ELSE 0 END)", merge: "sum" },
      ];
      const single = src.db.prepare(`SELECT ${exprs.map((e) => e.expr).join(", ")} FROM items`).raw().get();
      assert.deepEqual(src.readers.aggregate("items", exprs), single);
      // A rowid-less table is not split, and still answers.
      assert.deepEqual(src.readers.aggregate("tags", [{ expr: "count(*)", merge: "sum" }]), [1200n]);
    } finally {
      src.close();
    }
  });

  test("invalid UTF-8 found by a reader thread is refused with table, column, row and fix", async () => {
    const bad = join(dir, "bad-utf8.db");
    const sq = new Database(bad);
    sq.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
    const ins = sq.prepare("INSERT INTO notes VALUES (?, ?)");
    sq.transaction(() => { for (let i = 1; i <= 3000; i++) ins.run(i, `note ${i}`); })();
    // Text storage holding bytes that are not UTF-8 (what a C program or an old driver can leave).
    sq.exec("UPDATE notes SET body = CAST(x'6e6f7465ff' AS TEXT) WHERE id = 2500");
    sq.close();
    const db = await server.createDatabase("jobs_utf8");
    await assert.rejects(migrate({ from: bad, to: server.url(db), jobs: 3, parallelMinRows: 0 }),
      (err: Error) => /table "notes" column "body": row id=2500 holds invalid UTF-8 .*--type notes\.body=bytea/s.test(err.message));
    assert.equal((await server.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'", [], db))[0].n, 0);
  });

  for (const file of ["chinook.sqlite", "northwind_small.db", "sakila_jooq_schema_pgdata.sqlite"]) {
    test(`corpus ${file}: read with 2 threads, every table scanned in ranges, verified`, { skip: corpusSkip }, async () => {
      const db = await server.createDatabase(`jobs_${file.replace(/\W/g, "_")}`);
      const r = await migrate({ from: join(CORPUS, file), to: server.url(db), jobs: 2, parallelMinRows: 0 });
      assert.equal(r.verified, true);
      assert.ok(r.tables.reduce((n, t) => n + t.rows, 0) > 0);
    });
  }
});

/** 300,000 rows in one table: a scan far from done a few milliseconds after it starts. */
function bigSource(): string {
  const source = join(dir, "big-scan.db");
  if (existsSync(source)) return source;
  const sq = new Database(source);
  sq.exec("CREATE TABLE runs (id INTEGER PRIMARY KEY, code TEXT, at DATETIME, doc JSON)");
  const ins = sq.prepare("INSERT INTO runs VALUES (?, ?, ?, ?)");
  sq.transaction(() => { for (let i = 1; i <= 300_000; i++) ins.run(i, `c${i}`, "2024-01-02 03:04:05", `{"i": ${i}}`); })();
  sq.close();
  return source;
}

describe("the full scan in the background decides (values beyond the sampled rows)", () => {
  /** 25,000 rows (the tentative plan samples 20,000), with `late` applied to row 24,000. */
  function lateSource(name: string, late: string): string {
    const path = join(dir, `${name}.db`);
    const db = new Database(path);
    db.exec("CREATE TABLE runs (id CHAR(32) PRIMARY KEY, code VARCHAR(8) NOT NULL, ok BOOLEAN NOT NULL, n INTEGER)");
    const ins = db.prepare("INSERT INTO runs VALUES (?, ?, ?, ?)");
    db.transaction(() => { for (let i = 1; i <= 25_000; i++) ins.run(i.toString(16).padStart(32, "0"), `c${i % 1000}`, i % 2, i); })();
    db.exec(`UPDATE runs SET ${late} WHERE n = 24000`);
    db.close();
    return path;
  }
  const typesOf = async (db: string) => Object.fromEntries((await server.query<{ column_name: string; t: string }>(
    "SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = 'public.runs'::regclass AND a.attnum > 0 ORDER BY a.attnum", [], db)).map((r) => [r.column_name, r.t]));

  for (const [name, late, column] of [
    ["late-non-uuid", "id = 'not a uuid, just a key'", "id"],
    ["late-long-code", "code = 'a code longer than eight characters'", "code"],
  ] as const) {
    test(`${name}: the tentative load fails or differs, the load is redone with the full plan, same result as jobs 1`, async () => {
      const source = lateSource(name, late);
      const one = await server.createDatabase(`${name.replace(/-/g, "_")}_one`);
      const two = await server.createDatabase(`${name.replace(/-/g, "_")}_two`);
      const r1 = await migrate({ from: source, to: server.url(one), jobs: 1 });
      const lines: string[] = [];
      const r = await migrate({ from: source, to: server.url(two), jobs: 2, parallelMinRows: 0, log: (l) => lines.push(l) });
      assert.equal(r.verified, true);
      assert.ok(lines.some((l) => /full value scan changed the plan/.test(l)), "the redo is logged");
      const types = await typesOf(two);
      assert.deepEqual(types, await typesOf(one));
      assert.notEqual(types[column], column === "id" ? "uuid" : "character varying(8)", "the late value decided the type");
      assert.deepEqual(r.tables.map((t) => t.columns), r1.tables.map((t) => t.columns), "the report shows the full plan's mapping");
      assert.deepEqual(await targetTableChecksums({ to: server.url(two) }, "public", ["runs"]), await targetTableChecksums({ to: server.url(one) }, "public", ["runs"]));
    });
  }

  test("a refusal beyond the sample gives the message of jobs 1 and leaves the target untouched", async () => {
    const source = lateSource("late-bad-bool", "ok = 7");
    const db = await server.createDatabase("late_bad_bool");
    const message = async (jobs: number) => {
      try {
        await migrate({ from: source, to: server.url(db), jobs, parallelMinRows: 0 });
      } catch (err) {
        return (err as Error).message;
      }
      assert.fail(`jobs ${jobs}: not refused`);
    };
    const sequential = await message(1);
    assert.match(sequential, /table "runs" column "ok".*7/s);
    assert.equal(await message(2), sequential);
    assert.equal((await server.query("SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public'", [], db))[0].n, 0);
  });

  test("an orphan row (the tentative plan does not count them): refused as by jobs 1, or the FK added NOT VALID as by jobs 1", async () => {
    const path = join(dir, "late-orphan.db");
    const sq = new Database(path);
    sq.pragma("foreign_keys = OFF"); // as in most SQLite apps, so an orphan can exist
    sq.exec("CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams(id), name TEXT)");
    const team = sq.prepare("INSERT INTO teams VALUES (?, ?)");
    const member = sq.prepare("INSERT INTO members VALUES (?, ?, ?)");
    sq.transaction(() => {
      for (let i = 1; i <= 100; i++) team.run(i, `team ${i}`);
      for (let i = 1; i <= 25_000; i++) member.run(i, i === 24_000 ? 777 : (i % 100) + 1, `member ${i}`);
    })();
    sq.close();
    const refusal = async (jobs: number, db: string) => {
      try {
        await migrate({ from: path, to: server.url(db), jobs, parallelMinRows: 0 });
      } catch (err) {
        return (err as Error).message;
      }
      assert.fail(`jobs ${jobs}: not refused`);
    };
    const db = await server.createDatabase("late_orphan");
    const sequential = await refusal(1, db);
    assert.match(sequential, /table "members": 1 row\(s\) reference missing teams rows .*row id=24000/s);
    assert.equal(await refusal(2, db), sequential);
    assert.equal((await server.query("SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public'", [], db))[0].n, 0);

    const one = await server.createDatabase("late_orphan_one");
    const two = await server.createDatabase("late_orphan_two");
    const r1 = await migrate({ from: path, to: server.url(one), jobs: 1, orphanForeignKeys: "not-valid" });
    const r2 = await migrate({ from: path, to: server.url(two), jobs: 2, parallelMinRows: 0, orphanForeignKeys: "not-valid" });
    assert.equal(r2.verified, true);
    assert.deepEqual(r2.tables.map((t) => t.warnings), r1.tables.map((t) => t.warnings));
    assert.ok(r2.tables.find((t) => t.source === "members")!.warnings.some((w) => /1 orphan row\(s\) \(first: row id=24000 has team_id=777\); added NOT VALID/.test(w)));
    const fks = (db: string) => server.query<{ def: string; valid: boolean }>("SELECT pg_get_constraintdef(oid) AS def, convalidated AS valid FROM pg_constraint WHERE contype = 'f'", [], db);
    assert.deepEqual(await fks(two), await fks(one));
    assert.deepEqual((await fks(two)).map((f) => f.valid), [false]);
  });

  test("the planner's helper thread dies mid-scan: the background plan fails instead of waiting forever", async () => {
    const source = bigSource();
    const src = openSource(source, { readers: 2, planners: 2, parallelMinRows: 0 });
    try {
      assert.equal(src.readers.canPlanInBackground, true);
      const plan = src.readers.planInBackground(source, {});
      // The helper is the second planner thread (private to the pool).
      const helper = (src.readers as unknown as { planners: { worker: { terminate(): Promise<number> } }[] }).planners[1];
      await helper.worker.terminate();
      await assert.rejects(plan, /the planner's helper thread stopped/);
      assert.equal(src.readers.canPlanInBackground, false, "the planners are closed with the plan");
    } finally {
      src.close();
    }
  });

  test("closing the source stops a background plan still scanning (it does not run on to the end)", async () => {
    // Many tables: a thread is stopped between two SQLite statements, so the plan must consist of many.
    const source = join(dir, "many-tables.db");
    const sq = new Database(source);
    for (let t = 0; t < 10; t++) {
      sq.exec(`CREATE TABLE t${t} (id INTEGER PRIMARY KEY, code TEXT, at DATETIME, doc JSON)`);
      const ins = sq.prepare(`INSERT INTO t${t} VALUES (?, ?, ?, ?)`);
      sq.transaction(() => { for (let i = 1; i <= 30_000; i++) ins.run(i, `c${i}`, "2024-01-02 03:04:05", `{"i": ${i}}`); })();
    }
    sq.close();
    const timed = async (close: boolean) => {
      // One planner (no helper, whose exit would also stop it).
      const src = openSource(source, { readers: 2, planners: 1, parallelMinRows: 0 });
      const t0 = Date.now();
      const plan = src.readers.planInBackground(source, {});
      try {
        if (!close) {
          const tables = (await plan).tables.length;
          return { ms: Date.now() - t0, tables };
        }
        src.close();
        await assert.rejects(plan, /reader thread exited/);
        return { ms: Date.now() - t0, tables: 0 };
      } finally {
        src.close();
      }
    };
    const whole = await timed(false);
    assert.equal(whole.tables, 10);
    const stopped = await timed(true);
    assert.ok(stopped.ms < whole.ms / 2, `stopped after ${stopped.ms} ms; the whole scan takes ${whole.ms} ms`);
  });

  test("clean data: the tentative plan stands (no redo) and equals jobs 1", async () => {
    const source = lateSource("late-clean", "n = n");
    const one = await server.createDatabase("late_clean_one");
    const two = await server.createDatabase("late_clean_two");
    const r1 = await migrate({ from: source, to: server.url(one), jobs: 1 });
    const lines: string[] = [];
    const r2 = await migrate({ from: source, to: server.url(two), jobs: 2, parallelMinRows: 0, log: (l) => lines.push(l) });
    assert.equal(lines.filter((l) => /changed the plan/.test(l)).length, 0);
    assert.deepEqual(r2.tables.map((t) => t.columns), r1.tables.map((t) => t.columns));
    assert.deepEqual(r2.warnings, r1.warnings);
    assert.deepEqual(await targetTableChecksums({ to: server.url(two) }, "public", ["runs"]), await targetTableChecksums({ to: server.url(one) }, "public", ["runs"]));
  });
});

describe("PostgreSQL refuses a row early in a long COPY", () => {
  // The plan was scanned before the row changed, so only PostgreSQL sees the bad value, while
  // thousands of rows are still to be read: the COPY's error must fail this load, not the process.
  for (const jobs of [1, 2]) {
    test(`jobs ${jobs}: the load fails with PostgreSQL's message, nothing is left in the transaction`, async () => {
      const path = join(dir, `early-refusal-${jobs}.db`);
      const sq = new Database(path);
      sq.exec("CREATE TABLE runs (id CHAR(32) PRIMARY KEY, n INTEGER, note TEXT)");
      const ins = sq.prepare("INSERT INTO runs VALUES (?, ?, ?)");
      sq.transaction(() => { for (let i = 1; i <= 200_000; i++) ins.run(i.toString(16).padStart(32, "0"), i, `note ${i} `.repeat(4)); })();
      sq.close();
      const plan = buildPlan(path);
      const tp = plan.tables.find((t) => t.source === "runs")!;
      assert.equal(tp.columns.find((c) => c.source === "id")!.pgType, "uuid");
      const late = new Database(path);
      late.exec("UPDATE runs SET id = 'not a uuid' WHERE n = 2");
      late.close();
      const db = await server.createDatabase(`early_refusal_${jobs}`);
      const src = openSource(path, { readers: jobs - 1, parallelMinRows: 0 });
      const client = new Client({ connectionString: server.url(db) });
      await client.connect();
      try {
        await client.query("BEGIN");
        for (const s of tableCreateDdl("public", tp)) await client.query(renderStatement(s));
        await assert.rejects(loadTable(src.db, client, tp, { schema: "public", zone: "UTC", freeze: true, readers: src.readers }),
          /loading table "runs" failed: invalid input syntax for type uuid: "not a uuid"/);
        // The reader stopped before the load failed, so it takes the next task.
        if (jobs > 1) assert.deepEqual(src.readers.aggregate("runs", [{ expr: "count(*)", merge: "sum" }]), [200_000n]);
        await client.query("ROLLBACK");
        // The connection is usable afterwards, and the rolled-back table is gone.
        assert.equal((await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n, 0);
      } finally {
        await client.end();
        src.close();
      }
    });
  }
});

describe("one snapshot while a writer commits in WAL mode", () => {
  let source: string;
  let writer: ChildProcess | undefined;
  before(() => {
    source = join(dir, "wal.db");
    const db = new Database(source);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    const ins = db.prepare("INSERT INTO t VALUES (?, ?)");
    db.transaction(() => { for (let i = 1; i <= 60_000; i++) ins.run(i * 10, i); })();
    db.close();
    // A separate process commits small transactions all over the rowid space, one every millisecond or so.
    const code = `
      const Database = require("better-sqlite3");
      const db = new Database(${JSON.stringify(source)}, { timeout: 5000 });
      const ins = db.prepare("INSERT OR REPLACE INTO t VALUES (?, ?)");
      const del = db.prepare("DELETE FROM t WHERE id = ?");
      let n = 0;
      process.stdout.write("ready\\n");
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (;;) { Atomics.wait(pause, 0, 0, 1); const id = 1 + Math.floor(Math.random() * 600000); if (n++ % 3) ins.run(id, n); else del.run(id - (id % 10)); }`;
    writer = spawn(process.execPath, ["-e", code], { cwd: resolve(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] });
  });
  after(() => { writer?.kill("SIGKILL"); });

  test("readers either share the main connection's snapshot or are not used", async () => {
    await new Promise<void>((res) => writer!.stdout!.once("data", () => res()));
    let shared = 0;
    for (let i = 0; i < 12; i++) {
      const lines: string[] = [];
      const src = openSource(source, { readers: 2, parallelMinRows: 0, log: (l) => lines.push(l) });
      try {
        const exprs: { expr: string; merge: Merge }[] = [{ expr: "count(*)", merge: "sum" }, { expr: "sum(v)", merge: "sum" }, { expr: "max(id)", merge: "max" }];
        const main = src.db.prepare("SELECT count(*), sum(v), max(id) FROM t").raw().get();
        await new Promise((r) => setTimeout(r, 20)); // more commits land meanwhile
        assert.deepEqual(src.readers.aggregate("t", exprs), main, `attempt ${i}: a reader saw another snapshot`);
        if (src.readers.size === 2) shared++;
        else assert.ok(lines.some((l) => /one connection/.test(l)), "a fallback is said");
      } finally {
        src.close();
      }
    }
    assert.ok(shared > 0, "the readers started at least once despite the writer");
  });
});
