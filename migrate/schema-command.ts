/**
 * The schema command of `existing` mode: the application's own migrations
 * (e.g. `alembic upgrade head`), run before the load with DATABASE_URL and
 * the libpq PG* variables pointing at the target, as the connecting (owner)
 * role. Its output is passed to `log` with every secret redacted.
 */
import { spawn } from "node:child_process";
import { redact, secretsOf } from "./pg-connection";
import type { ConnectionOptions } from "./types";

/** The environment the command runs with: the caller's, plus the target's URL and PG* variables. */
export function schemaCommandEnv(c: ConnectionOptions, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const url = new URL(c.to);
  const password = c.password ?? (url.password ? decodeURIComponent(url.password) : base.PGPASSWORD);
  if (password) url.password = encodeURIComponent(password);
  return {
    ...base,
    DATABASE_URL: url.toString(),
    PGHOST: url.hostname,
    PGPORT: url.port || "5432",
    PGDATABASE: decodeURIComponent(url.pathname.replace(/^\//, "")),
    PGUSER: decodeURIComponent(url.username),
    ...(password ? { PGPASSWORD: password } : {}),
  };
}

/** Runs `command` through /bin/sh in the current directory; a non-zero exit throws with the (redacted) output tail. */
export async function runSchemaCommand(command: string, c: ConnectionOptions, log: (line: string) => void): Promise<void> {
  const secrets = secretsOf(c);
  log(`schema command: ${redact(command, secrets)}`);
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { env: schemaCommandEnv(c), stdio: ["ignore", "pipe", "pipe"] });
    const take = (d: Buffer) => {
      for (const line of d.toString().split("\n")) {
        if (!line) continue;
        const clean = redact(line, secrets);
        output.push(clean);
        log(`  | ${clean}`);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  if (code !== 0) {
    throw new Error(`migration refused, no row written: the schema command exited with ${code}: ${redact(command, secrets)}\n${output.slice(-40).join("\n")}`);
  }
}
