/**
 * Cutover and cleanup helpers of the migration resource: the atomic `.env`
 * writer (infra/env-file.ts), the content fingerprint (infra/fingerprint.ts)
 * and the gzip archive with its sha256 manifest (infra/archive.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { archivedFingerprint, archiveSqlite, verifyArchive } from "../infra/archive";
import { databaseUrl, redactUrl, setEnvLine, writeEnvVar } from "../infra/env-file";
import { sqliteFingerprint } from "../infra/fingerprint";

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), "s2p-envarch-")); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe(".env writer", () => {
  it("builds plain and SQLAlchemy URLs with the credentials percent-encoded", () => {
    const p = { host: "127.0.0.1", port: 5433, database: "agentgrid", user: "agentgrid_app", password: "p@ss:w/rd#?", sslmode: "require" };
    assert.equal(databaseUrl(p), "postgresql://agentgrid_app:p%40ss%3Aw%2Frd%23%3F@127.0.0.1:5433/agentgrid?sslmode=require");
    assert.equal(databaseUrl({ ...p, sslmode: undefined }, "sqlalchemy"), "postgresql+psycopg2://agentgrid_app:p%40ss%3Aw%2Frd%23%3F@127.0.0.1:5433/agentgrid");
    assert.equal(redactUrl(databaseUrl(p)), "postgresql://agentgrid_app:***@127.0.0.1:5433/agentgrid?sslmode=require");
  });

  it("replaces the DATABASE_URL line, keeps every other line, drops duplicates that would keep an old password", () => {
    const before = "# comment\nSECRET_KEY=abc\nexport DATABASE_URL=sqlite:///old.db\nDEBUG=1\nDATABASE_URL=postgresql://u:oldpw@h/db\n\nTAIL=x";
    assert.equal(setEnvLine(before, "DATABASE_URL", "postgresql://u:new@h/db"),
      "# comment\nSECRET_KEY=abc\nexport DATABASE_URL=postgresql://u:new@h/db\nDEBUG=1\n\nTAIL=x\n");
    assert.equal(setEnvLine("A=1\r\nB=2\r\n", "DATABASE_URL", "v"), "A=1\r\nB=2\r\nDATABASE_URL=v\r\n");
    assert.equal(setEnvLine("", "DATABASE_URL", "v"), "DATABASE_URL=v\n");
    assert.equal(setEnvLine("DATABASE_URL_READONLY=x\n", "DATABASE_URL", "v"), "DATABASE_URL_READONLY=x\nDATABASE_URL=v\n");
    assert.throws(() => setEnvLine("", "DATABASE_URL", "a\nEVIL=1"), /line break/);
  });

  it("writes atomically through a temp file in the same directory, keeping the mode, through a symlink", () => {
    const real = join(dir, "app.env");
    writeFileSync(real, "SECRET_KEY=abc\nDATABASE_URL=sqlite:///app.db\n");
    chmodSync(real, 0o640);
    const link = join(dir, ".env");
    symlinkSync(real, link);
    writeEnvVar(link, "DATABASE_URL", "postgresql://app:pw@127.0.0.1:5433/agentgrid");
    assert.equal(readFileSync(real, "utf8"), "SECRET_KEY=abc\nDATABASE_URL=postgresql://app:pw@127.0.0.1:5433/agentgrid\n");
    assert.equal(statSync(real).mode & 0o777, 0o640);
    assert.ok(statSync(link, { throwIfNoEntry: true }) && readFileSync(link, "utf8").includes("postgresql://"), "the symlink still points at the file");
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith(".tmp")), [], "no temp file left");
    // The password appears on exactly one line.
    assert.equal(readFileSync(real, "utf8").split("\n").filter((l) => l.includes("pw@")).length, 1);
  });

  it("creates a missing .env with mode 0600", () => {
    const f = join(dir, "new.env");
    writeEnvVar(f, "DATABASE_URL", "postgresql://a:b@h/d");
    assert.equal(readFileSync(f, "utf8"), "DATABASE_URL=postgresql://a:b@h/d\n");
    assert.equal(statSync(f).mode & 0o777, 0o600);
  });
});

describe("fingerprint and archive", () => {
  function makeWalDb(path: string): Database.Database {
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`);
    db.prepare(`INSERT INTO t (v) VALUES (?)`).run("first");
    return db;
  }

  it("the fingerprint covers the -wal: a commit that lives only in the WAL changes it", () => {
    const path = join(dir, "wal.db");
    const db = makeWalDb(path);
    try {
      assert.ok(existsSync(`${path}-wal`));
      const before = sqliteFingerprint(path);
      const mainBefore = sha(readFileSync(path));
      db.prepare(`INSERT INTO t (v) VALUES (?)`).run("second");
      assert.equal(sha(readFileSync(path)), mainBefore, "the main file did not change: the row is only in the -wal");
      assert.notEqual(sqliteFingerprint(path), before);
      assert.equal(sqliteFingerprint(path), sqliteFingerprint(path), "stable while nothing changes");
    } finally {
      db.close();
    }
    assert.throws(() => sqliteFingerprint(join(dir, "missing.db")), /does not exist/);
  });

  it("archives the file and its -wal as gzip with a sha256 manifest that matches", async () => {
    const path = join(dir, "arch.db");
    const db = makeWalDb(path);
    db.prepare(`INSERT INTO t (v) VALUES (?)`).run("in the wal");
    const mainSha = sha(readFileSync(path));
    const walSha = sha(readFileSync(`${path}-wal`));
    const fp = sqliteFingerprint(path);
    const { manifest, manifestPath } = await archiveSqlite(path, join(dir, "archive"));
    db.close();
    assert.deepEqual(manifest.files.map((f) => [f.kind, f.original.sha256]), [["main", mainSha], ["wal", walSha]]);
    assert.equal(manifest.fingerprint, fp);
    for (const f of manifest.files) {
      const gz = readFileSync(join(dir, "archive", f.archive));
      assert.equal(sha(gz), f.gzip.sha256);
      assert.equal(sha(gunzipSync(gz)), f.original.sha256, "the gzip holds exactly the original bytes");
    }
    assert.equal((await verifyArchive(manifestPath)).fingerprint, fp);
    assert.equal(manifest.sourceDeleted, false);
    assert.ok(existsSync(path));
  });

  it("deletes the source only when asked, and the archived fingerprint keeps previews stable", async () => {
    const path = join(dir, "gone.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);`);
    db.close();
    const fp = sqliteFingerprint(path);
    assert.equal(archivedFingerprint(path, join(dir, "archive2")), undefined);
    const { manifestPath } = await archiveSqlite(path, join(dir, "archive2"), { deleteSource: true });
    assert.ok(!existsSync(path));
    assert.equal(archivedFingerprint(path, join(dir, "archive2")), fp);
    // A corrupted archive is detected.
    const m = JSON.parse(readFileSync(manifestPath, "utf8"));
    writeFileSync(join(dir, "archive2", m.files[0].archive), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    await assert.rejects(verifyArchive(manifestPath), /corrupt/);
  });
});
