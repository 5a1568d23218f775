/**
 * Bad inputs: each gives a clear error, and the target database is left
 * exactly as it was (catalog and rows compared before/after). Secrets never
 * appear in messages.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { migrate } from "../migrate/index";
import { catalogSnapshot } from "./support/catalog-snapshot";
import { freePort, withPostgres } from "./support/postgres";
import { CORPUS_DIR as CORPUS, corpusSkip } from "./support/corpus";
import { REPO, runCli } from "./support/run-cli";

const SMALL = resolve(CORPUS, "dblab_EssentialSQL.db");

const server = withPostgres();
let work: string;
before(async () => {
  work = mkdtempSync(join(tmpdir(), "s2p-bad-"));
});
after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A database with something in it already, so "untouched" is meaningful. */
async function targetWithContent(): Promise<string> {
  const db = await server.createDatabase("bad");
  await server.query("CREATE SCHEMA other; CREATE TABLE other.keep (id int PRIMARY KEY, note text); INSERT INTO other.keep VALUES (1, 'untouched')", [], db);
  return db;
}

/** Runs `attempt`, which must fail with an error matching every pattern, and checks the target did not change. */
async function refusedAndUntouched(db: string, attempt: () => Promise<unknown>, patterns: RegExp[], secrets: string[] = []): Promise<Error> {
  const beforeSnap = await catalogSnapshot(server, db);
  let caught: Error | undefined;
  try {
    await attempt();
  } catch (err) {
    caught = err as Error;
  }
  assert.ok(caught, "expected the migration to fail");
  for (const p of patterns) assert.match(caught.message, p);
  for (const s of [server.password, ...secrets]) assert.ok(!caught.message.includes(s), `secret in message: ${caught.message}`);
  assert.equal(await catalogSnapshot(server, db), beforeSnap, "the target changed");
  return caught;
}

describe("bad source files", () => {
  test("a missing file", async () => {
    const db = await targetWithContent();
    const path = join(work, "does-not-exist.db");
    await refusedAndUntouched(db, () => migrate({ from: path, to: server.url(db) }), [/not found/, new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))]);
    const cli = await runCli(["migrate", "--from", path, "--to", server.url(db)]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /SQLite file not found/);
  });

  test("a file that is not SQLite", async () => {
    const db = await targetWithContent();
    const path = join(work, "notes.db");
    writeFileSync(path, "id,name\n1,hello\n");
    await refusedAndUntouched(db, () => migrate({ from: path, to: server.url(db) }), [/is not a SQLite database/]);
    const cli = await runCli(["plan", "--from", path]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /is not a SQLite database/);
  });

  test("a corrupted file (b-tree pages overwritten)", { skip: corpusSkip }, async () => {
    const db = await targetWithContent();
    const path = join(work, "corrupt.sqlite");
    copyFileSync(resolve(CORPUS, "chinook.sqlite"), path);
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    // Keep page 1 (the schema) intact; overwrite pages 3..40 with garbage.
    bytes.fill(0xa5, pageSize * 2, pageSize * 40);
    writeFileSync(path, bytes);
    await refusedAndUntouched(db, () => migrate({ from: path, to: server.url(db) }), [/not readable|malformed|corrupt|integrity/i]);
  });

  test("a truncated file", { skip: corpusSkip }, async () => {
    const db = await targetWithContent();
    const path = join(work, "truncated.sqlite");
    const bytes = readFileSync(resolve(CORPUS, "chinook.sqlite"));
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 3)));
    await refusedAndUntouched(db, () => migrate({ from: path, to: server.url(db) }), [/not readable|malformed|corrupt|integrity/i]);
  });

  test("a busy database: another process holds an exclusive lock", { skip: corpusSkip }, async () => {
    const db = await targetWithContent();
    const path = join(work, "locked.sqlite");
    copyFileSync(SMALL, path);
    const holder = new Database(path);
    holder.pragma("journal_mode = DELETE");
    holder.close();
    // The lock must be held by another process (SQLite locks are per process).
    const child: ChildProcess = spawn(process.execPath, ["-e", `
      const Database = require("better-sqlite3");
      const db = new Database(${JSON.stringify(path)});
      db.exec("BEGIN EXCLUSIVE");
      db.exec("UPDATE Customers SET City = City");
      process.stdout.write("locked\\n");
      setInterval(() => {}, 1000);
    `], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((res, rej) => {
        child.stdout!.on("data", (d: Buffer) => { if (d.toString().includes("locked")) res(); });
        child.on("exit", (code) => rej(new Error(`lock holder exited early (${code})`)));
      });
      await refusedAndUntouched(db, () => migrate({ from: path, to: server.url(db) }), [/locked/, /another process/]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("bad targets", () => {
  test("a wrong password: clear error, password never shown (URL and PGPASSWORD)", { skip: corpusSkip }, async () => {
    const db = await targetWithContent();
    const wrong = "Wr0ng-Pa55word-xyz";
    const url = server.url(db, server.user, wrong);
    await refusedAndUntouched(db, () => migrate({ from: SMALL, to: url }), [/password authentication failed/], [wrong]);
    const viaUrl = await runCli(["migrate", "--from", SMALL, "--to", url]);
    assert.equal(viaUrl.code, 1);
    assert.match(viaUrl.stderr, /password authentication failed/);
    assert.ok(!(viaUrl.stdout + viaUrl.stderr).includes(wrong), viaUrl.stderr);
    const viaEnv = await runCli(["migrate", "--from", SMALL, "--to", `postgresql://${server.user}@${server.host}:${server.port}/${db}`], { PGPASSWORD: wrong });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, /password authentication failed/);
    assert.ok(!(viaEnv.stdout + viaEnv.stderr).includes(wrong), viaEnv.stderr);
  });

  test("an unreachable server", { skip: corpusSkip }, async () => {
    const port = await freePort();
    const secret = "s3cret-unreachable";
    const url = `postgresql://app:${secret}@127.0.0.1:${port}/app`;
    let caught: Error | undefined;
    try { await migrate({ from: SMALL, to: url }); } catch (err) { caught = err as Error; }
    assert.ok(caught);
    assert.match(caught.message, /ECONNREFUSED|connect|unreachable|refused/i);
    assert.ok(!caught.message.includes(secret));
    const cli = await runCli(["migrate", "--from", SMALL, "--to", url]);
    assert.equal(cli.code, 1);
    assert.ok(!(cli.stdout + cli.stderr).includes(secret));
  });

  test("a non-empty target schema is refused without --replace", { skip: corpusSkip }, async () => {
    const db = await targetWithContent();
    await server.query("CREATE TABLE public.\"Customers\" (id int); INSERT INTO public.\"Customers\" VALUES (7)", [], db);
    await refusedAndUntouched(db, () => migrate({ from: SMALL, to: server.url(db) }), [/already has 1 table/, /Customers/, /--replace/]);
    const cli = await runCli(["migrate", "--from", SMALL, "--to", server.url(db)]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /--replace/);
    // With --replace the same-named table is replaced and the migration verifies.
    const report = await migrate({ from: SMALL, to: server.url(db), replace: true });
    assert.equal(report.verified, true);
    const [row] = await server.query<{ n: string }>("SELECT count(*) AS n FROM public.\"Customers\"", [], db);
    assert.equal(Number(row.n), 5);
    const [kept] = await server.query<{ note: string }>("SELECT note FROM other.keep", [], db);
    assert.equal(kept.note, "untouched");
  });

  test("insufficient privileges: a role without CREATE on the schema", { skip: corpusSkip }, async () => {
    const db = await targetWithContent();
    const role = `weak_${process.pid}`;
    const pw = "weak-Secret-123";
    await server.query(`CREATE ROLE ${role} LOGIN PASSWORD '${pw}'`, [], db);
    await server.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}; REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role}`, [], db);
    const url = server.url(db, role, pw);
    await refusedAndUntouched(db, () => migrate({ from: SMALL, to: url }), [/permission denied/], [pw]);
    const cli = await runCli(["migrate", "--from", SMALL, "--to", url]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /permission denied/);
    assert.ok(!(cli.stdout + cli.stderr).includes(pw));
    // Another schema the role cannot create either.
    await refusedAndUntouched(db, () => migrate({ from: SMALL, to: url, schema: "app" }), [/permission denied/], [pw]);
  });
});
