/**
 * Cutover (seed step 3): writes `DATABASE_URL` into the application's `.env`.
 *
 * The write is atomic: a temporary file in the same directory, fsynced, then
 * renamed over the original, so the application never reads a half-written
 * file. Every other line is kept byte for byte; the file's mode (and owner,
 * where we may) is kept. Earlier duplicates of the key are removed so that no
 * stale password survives anywhere but on the one line we write.
 */
import { randomBytes } from "node:crypto";
import {
  chownSync, closeSync, fchmodSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** `plain` = `postgresql://…`; `sqlalchemy` = `postgresql+psycopg2://…` (the AgentGrid seed's `.env` form). */
export type DatabaseUrlForm = "plain" | "sqlalchemy";

/** What a client needs to connect. */
export interface DatabaseUrlParts {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** libpq sslmode (`disable`, `require`, `verify-full`, …); omitted from the URL when unset. */
  sslmode?: string;
}

/** Builds a connection URL; user, password and database are percent-encoded. */
export function databaseUrl(p: DatabaseUrlParts, form: DatabaseUrlForm = "plain"): string {
  const scheme = form === "sqlalchemy" ? "postgresql+psycopg2" : "postgresql";
  const host = p.host.includes(":") && !p.host.startsWith("[") ? `[${p.host}]` : p.host;
  const auth = `${encodeURIComponent(p.user)}:${encodeURIComponent(p.password)}`;
  const query = p.sslmode ? `?sslmode=${encodeURIComponent(p.sslmode)}` : "";
  return `${scheme}://${auth}@${host}:${p.port}/${encodeURIComponent(p.database)}${query}`;
}

/** Replaces any password in a connection URL with `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns `content` with `key` set to `value`: the first `KEY=`/`export KEY=` line is replaced, later ones removed, or a line appended. */
export function setEnvLine(content: string, key: string, value: string): string {
  if (!KEY_RE.test(key)) throw new Error(`invalid environment variable name ${JSON.stringify(key)}`);
  if (/[\r\n]/.test(value)) throw new Error(`the value for ${key} contains a line break; refusing to write it to the .env file`);
  const eol = content.includes("\r\n") ? "\r\n" : "\n";
  const lines = content.length === 0 ? [] : content.split(/\r?\n/);
  const endsWithEol = lines.length > 0 && lines[lines.length - 1] === "";
  if (endsWithEol) lines.pop();
  const match = new RegExp(`^(\\s*)(export\\s+)?${key}\\s*=`);
  const out: string[] = [];
  let written = false;
  for (const line of lines) {
    const m = match.exec(line);
    if (!m) { out.push(line); continue; }
    if (written) continue; // a duplicate would keep an old value (and password) in the file
    out.push(`${m[1]}${m[2] ?? ""}${key}=${value}`);
    written = true;
  }
  if (!written) out.push(`${key}=${value}`);
  return out.join(eol) + eol;
}

/**
 * Sets `key=value` in the env file at `path`, atomically (temp file in the
 * same directory + rename). Creates the file with mode 0600 when it does not
 * exist; otherwise keeps its mode. A symlinked `.env` is written through.
 */
export function writeEnvVar(path: string, key: string, value: string): void {
  let target = path;
  let existing = "";
  let mode = 0o600;
  let owner: { uid: number; gid: number } | undefined;
  try {
    target = realpathSync(path);
    const st = statSync(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
    existing = readFileSync(target, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const next = setEnvLine(existing, key, value);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  let renamed = false;
  try {
    writeSync(fd, next);
    fchmodSync(fd, mode);
    if (owner) {
      try { chownSync(tmp, owner.uid, owner.gid); } catch { /* not permitted: keep our ownership */ }
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      try { closeSync(fd); } catch { /* already closed */ }
      try { unlinkSync(tmp); } catch { /* never created or already gone */ }
    }
  }
  // Make the rename itself durable.
  try {
    const dfd = openSync(dir, "r");
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* some filesystems refuse fsync on a directory */ }
}
