/**
 * `kill -9` of the CLI in the middle of a migration leaves the target exactly
 * as it was: no tables, no leftovers, no lock that blocks the next run.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { migrate } from "../migrate/index";
import { catalogSnapshot, relationsIn } from "./support/catalog-snapshot";
import { withPostgres } from "./support/postgres";
import { spawnCli } from "./support/run-cli";

const BIG_ROWS = 150_000;

const server = withPostgres();
let work: string;
let source: string;
before(async () => {
  work = mkdtempSync(join(tmpdir(), "s2p-kill-"));
  source = join(work, "big.sqlite");
  // A small table that loads first (its progress line tells us the load has started), then one big enough to take a while.
  const db = new Database(source);
  db.exec(`CREATE TABLE a_first (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
           CREATE TABLE b_big (id INTEGER PRIMARY KEY, label TEXT NOT NULL, amount REAL, created DATETIME, payload BLOB);
           CREATE INDEX b_big_label ON b_big(label);`);
  const insA = db.prepare("INSERT INTO a_first VALUES (?, ?)");
  const insB = db.prepare("INSERT INTO b_big VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 1; i <= 10; i++) insA.run(i, `first ${i}`);
    for (let i = 1; i <= BIG_ROWS; i++) insB.run(i, `label-${i % 997}-${i}`, i / 7, `2024-01-${String((i % 28) + 1).padStart(2, "0")} 12:00:00`, Buffer.from([i & 255, (i >> 8) & 255]));
  })();
  db.close();
});
after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Waits until no other session is connected to `db` (the killed client's backend has rolled back and exited). */
async function backendsGone(db: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [row] = await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [db], db);
    if (Number(row.n) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the killed migration's backend is still there after 10 s");
}

/** Starts the CLI migrate and SIGKILLs it as soon as a line of its stderr matches `when`. */
async function killWhen(db: string, when: RegExp): Promise<{ stderr: string; stdout: string; signal: NodeJS.Signals | null }> {
  const child: ChildProcess = spawnCli(["migrate", "--from", source, "--to", server.url(db)]);
  let stderr = "";
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => { stdout += d.toString(); });
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`never saw ${when}: ${stderr}`)); }, 120_000);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (when.test(stderr)) child.kill("SIGKILL");
    });
    child.on("close", (_code, signal) => { clearTimeout(timer); resolve({ stderr, stdout, signal }); });
  });
}

async function assertUntouchedAndUsable(db: string, beforeSnap: string): Promise<void> {
  await backendsGone(db);
  assert.equal(await catalogSnapshot(server, db), beforeSnap, "the target changed");
  assert.deepEqual(await relationsIn(server, db), []);
  const [prepared] = await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_prepared_xacts", [], db);
  assert.equal(Number(prepared.n), 0);
  const [locks] = await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'", [], db);
  assert.equal(Number(locks.n), 0);
  // Nothing left behind blocks the next run, which completes and verifies.
  const report = await migrate({ from: source, to: server.url(db) });
  assert.equal(report.verified, true);
  assert.deepEqual(report.tables.map((t) => [t.source, t.rows]), [["a_first", 10], ["b_big", BIG_ROWS]]);
}

async function targetWithContent(): Promise<string> {
  const db = await server.createDatabase("kill");
  await server.query("CREATE SCHEMA other; CREATE TABLE other.keep (id int PRIMARY KEY, note text); INSERT INTO other.keep VALUES (1, 'untouched')", [], db);
  return db;
}

test("kill -9 during the COPY load leaves the target exactly as it was", async () => {
  const db = await targetWithContent();
  const beforeSnap = await catalogSnapshot(server, db);
  const r = await killWhen(db, /a_first: 10 rows/);
  assert.equal(r.signal, "SIGKILL");
  // It really was killed while loading: the big table never finished, nothing was reported migrated.
  assert.doesNotMatch(r.stderr, /b_big: \d+ rows/);
  assert.doesNotMatch(r.stdout, /migrated/);
  await assertUntouchedAndUsable(db, beforeSnap);
});

test("kill -9 after the load (constraints, indexes, verification) leaves the target exactly as it was", async () => {
  const db = await targetWithContent();
  const beforeSnap = await catalogSnapshot(server, db);
  const r = await killWhen(db, /^load: \d+ ms/m);
  assert.equal(r.signal, "SIGKILL");
  assert.match(r.stderr, new RegExp(`b_big: ${BIG_ROWS} rows`));
  assert.doesNotMatch(r.stdout, /migrated/);
  await assertUntouchedAndUsable(db, beforeSnap);
});
