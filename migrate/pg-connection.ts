/**
 * Connecting to PostgreSQL without ever printing the password: every error
 * that leaves the engine goes through `redact`.
 */
import { Client } from "pg";
import type { ConnectionOptions } from "./types";

/** Removes passwords from connection strings (and the given secrets) in `text`. */
export function redact(text: string, secrets: (string | undefined)[] = []): string {
  let out = text.replace(/(postgres(?:ql)?:\/\/[^:/?#@\s]*:)([^@\s]*)@/gi, "$1***@");
  out = out.replace(/(password=)([^&\s]+)/gi, "$1***");
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("***");
  return out;
}

function urlPassword(to: string): string | undefined {
  try {
    const u = new URL(to);
    return u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    return undefined;
  }
}

/** Secrets that must never appear in output for these options. */
export function secretsOf(c: ConnectionOptions): string[] {
  return [c.password, urlPassword(c.to), process.env.PGPASSWORD].filter((s): s is string => !!s);
}

/** An Error whose message has every secret of `c` removed. */
export function redactError(err: unknown, c: ConnectionOptions): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const clean = new Error(redact(e.message, secretsOf(c)));
  const code = (e as { code?: string }).code;
  if (code) (clean as Error & { code?: string }).code = code;
  return clean;
}

/** A human description of the target without secrets: `user@host:port/db`. */
export function describeTarget(to: string): string {
  try {
    const u = new URL(to);
    return `${decodeURIComponent(u.username)}@${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparseable connection string)";
  }
}

/**
 * node-postgres lets the connection string win over a separate `password`
 * option, even when the string has no password, so an explicit password is
 * put into the URL itself (the URL stays in memory and is always redacted).
 */
export function withPassword(to: string, password: string | undefined): string {
  if (!password) return to;
  const u = new URL(to);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export async function connect(c: ConnectionOptions): Promise<Client> {
  if (!/^postgres(ql)?:\/\//i.test(c.to)) throw new Error(`--to must be a postgresql:// URL, got ${redact(c.to, secretsOf(c))}`);
  const client = new Client({ connectionString: withPassword(c.to, c.password), connectionTimeoutMillis: 15000, application_name: "sqlite-to-postgres" });
  client.on("error", () => { /* reported by the failing query */ });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    const e = redactError(err, c);
    const code = (e as Error & { code?: string }).code;
    const hint = code === "28P01" ? " (wrong password?)" : code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" ? " (server unreachable?)" : code === "3D000" ? " (database does not exist)" : "";
    throw new Error(`cannot connect to PostgreSQL at ${describeTarget(c.to)}: ${e.message}${hint}`);
  }
  return client;
}
