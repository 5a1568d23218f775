/**
 * Streams one table from SQLite into PostgreSQL with COPY (text format),
 * in large chunks with backpressure: memory is bounded by the chunk size,
 * not by the table. Checks COPY's own row count against the source.
 */
import { once } from "node:events";
import { isUtf8 } from "node:buffer";
import { finished } from "node:stream/promises";
import type { ClientBase } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { encoderFor, sourceExpression, sqlLineExpression, suspect } from "./copy-encode";
import { showKey, showValue } from "./column-scan";
import type { TablePlan } from "./plan-types";
import type { ReaderPool } from "./reader-pool";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import { overrideFlag } from "./type-mapping";

/** Node socket errors that mean the server side of the connection went away. */
const SOCKET_ERRORS = new Set(["EPIPE", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * Characters of COPY text per write (and per message from a reader). Below V8's large-object
 * size (128 KB), a chunk dies young on both threads; 1 MB chunks lived in large-object space
 * until a full GC: 1M bench rows, alternating runs, ours/limit 1.20–1.24 → 1.11–1.14, client
 * CPU −0.6 s, peak RSS 172 → 147 MB (bench/profile-findings.md, "Session 4").
 */
export const COPY_CHUNK = 60_000;

export interface LoadResult {
  rows: number;
  ms: number;
}

export interface LoadOptions {
  schema: string;
  /** Target table name (default: the planned name; a shadow name for re-sync). */
  name?: string;
  zone: string;
  /** COPY ... WITH (FREEZE): only when the table was created (or truncated) in the current transaction. */
  freeze?: boolean;
  onProgress?: (rows: number) => void;
  /** Reader threads (`--jobs`): when there are any, one reads and encodes; this thread only forwards the text. */
  readers?: ReaderPool;
}

function keyNames(t: TablePlan): string[] {
  return t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, "").replace(/^"|"$/g, "").replace(/""/g, '"'));
}

/**
 * Loads the rows of planned table `t` into `schema.name` (which must exist)
 * through `client`, inside the caller's transaction. Text that SQLite holds
 * as invalid UTF-8 fails the load with the row key and the fix.
 */
export async function loadTable(db: SqliteDb, client: ClientBase, t: TablePlan, opts: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const cols = t.columns.filter((c) => !c.generated);
  const encoders = cols.map((c) => encoderFor(c, opts.zone));
  const keyExprs = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
  const from = `FROM main.${quoteSqliteIdent(t.source)}`;
  const lineSql = sqlLineExpression(cols, quoteSqliteIdent);
  const selectSql = lineSql
    ? `SELECT ${lineSql} ${from}`
    : `SELECT ${cols.map((c) => sourceExpression(c, quoteSqliteIdent)).join(", ")} ${from}`;
  const n = cols.length;
  const target = qualified(opts.schema, opts.name ?? t.target);
  const stream = client.query(copyFrom(`COPY ${target} (${cols.map((c) => quoteIdent(c.target)).join(", ")}) FROM STDIN${opts.freeze ? " WITH (FREEZE)" : ""}`));
  // PostgreSQL can refuse a row while the rest is still being read (the readers may be between
  // two writes, with nobody waiting on the stream): keep its error and fail at the next write.
  let copyError: Error | undefined;
  stream.on("error", (err: Error) => { copyError ??= err; });
  let suspects: number[] = [];
  let lineSuspect = false;
  let rows = 0;
  // Rows go to COPY in large chunks, never one write per row; back-pressure is honoured.
  const write = async (chunk: string | Buffer, chunkRows: number) => {
    if (copyError) throw copyError;
    const ok = stream.write(chunk);
    rows += chunkRows;
    opts.onProgress?.(rows);
    if (!ok && !copyError) await once(stream, "drain");
  };
  try {
    if (opts.readers && opts.readers.size > 0) {
      const done = await opts.readers.stream(lineSql
        ? { kind: "lines", sql: selectSql, chunkChars: COPY_CHUNK }
        : { kind: "rows", sql: selectSql, chunkChars: COPY_CHUNK, columns: cols, zone: opts.zone, safeIntegers: !!t.bigIntegers }, write);
      lineSuspect = done.lineSuspect;
      suspects = done.suspectCols;
      if (done.rows !== rows) throw new Error(`readers produced ${done.rows} rows but ${rows} were sent`);
    } else {
      ({ lineSuspect, suspects } = await encodeInline(db, t, lineSql !== null, selectSql, encoders, n, write));
    }
    if (copyError) throw copyError;
    stream.end();
    await finished(stream);
  } catch (err) {
    const cause = copyError ?? (err as Error);
    stream.destroy(cause);
    // The SQLSTATE stays on the error: whether a plan change can explain it depends on it (migrate.ts).
    const code = (cause as { code?: string }).code;
    // A socket error while writing the COPY: the server closed the connection (a terminated backend, a restart,
    // a network failure) before its own message could be read. Say so rather than only "write EPIPE".
    const lost = code !== undefined && SOCKET_ERRORS.has(code) ? "the connection to PostgreSQL was lost during the load (" : "";
    const wrapped = new Error(`loading table "${t.source}" failed: ${lost}${cause.message}${lost ? ")" : ""}`) as Error & { code?: string };
    if (code) wrapped.code = code;
    throw wrapped;
  }
  // Rare: some text held U+FFFD. Read those columns' raw bytes to tell real U+FFFD from invalid UTF-8.
  const suspectCols = lineSuspect ? cols.map((c, i) => (c.conversion !== "bytea" && c.storage.text > 0 ? i : -1)).filter((i) => i >= 0) : suspects;
  for (const ci of new Set(suspectCols)) {
    const c = cols[ci];
    const q = c.fromRowid ? c.source : quoteSqliteIdent(c.source);
    const scan = db.prepare(`SELECT CAST(${q} AS BLOB), ${keyExprs.join(", ")} ${from} WHERE typeof(${q}) = 'text'`).raw();
    for (const r of scan.iterate() as IterableIterator<unknown[]>) {
      const raw = r[0] as Buffer;
      if (isUtf8(raw)) continue;
      const fix = overrideFlag(t.source, c.source, "bytea");
      throw new Error(`table "${t.source}" column "${c.source}": row ${showKey(keyNames(t), r.slice(1))} holds invalid UTF-8 ${showValue(raw)}; fix the row or map the column with ${fix}`);
    }
  }
  const copied = (stream as unknown as { rowCount?: number }).rowCount;
  if (typeof copied === "number" && copied !== rows) throw new Error(`table "${t.source}": COPY stored ${copied} rows but ${rows} were read`);
  opts.onProgress?.(rows);
  return { rows, ms: Date.now() - started };
}

/** Reads and encodes on this thread (no reader threads): SQLite builds each line, or the JS encoders do. */
async function encodeInline(db: SqliteDb, t: TablePlan, sqlLines: boolean, sql: string, encoders: ((v: unknown) => string)[], n: number,
  write: (chunk: string, rows: number) => Promise<void>): Promise<{ lineSuspect: boolean; suspects: number[] }> {
  const stmt = sqlLines ? db.prepare(sql).pluck() : db.prepare(sql).raw();
  // JS numbers are exact up to 2^53 and much cheaper than BigInt; the scan says when that is not enough.
  if (!sqlLines) stmt.safeIntegers(!!t.bigIntegers);
  const suspects = new Set<number>();
  let lineSuspect = false;
  let buf = "";
  let rows = 0;
  const iter = stmt.iterate() as IterableIterator<unknown>;
  try {
    suspect.utf8 = false;
    if (sqlLines) {
      // SQLite built the whole line; U+FFFD means invalid UTF-8 may be somewhere in it.
      for (const line of iter as IterableIterator<string>) {
        if (!lineSuspect && line.includes("\uFFFD")) lineSuspect = true;
        buf += `${line}\n`;
        rows++;
        if (buf.length >= COPY_CHUNK) { await write(buf, rows); buf = ""; rows = 0; }
      }
    } else {
      for (const row of iter as Iterable<unknown[]>) {
        buf += encoders[0](row[0]);
        for (let i = 1; i < n; i++) buf += `\t${encoders[i](row[i])}`;
        buf += "\n";
        if (suspect.utf8) {
          // better-sqlite3 decoded invalid UTF-8 as U+FFFD somewhere in this row: check its raw bytes afterwards.
          suspect.utf8 = false;
          for (let i = 0; i < n; i++) if (typeof row[i] === "string" && (row[i] as string).includes("\uFFFD")) suspects.add(i);
        }
        rows++;
        if (buf.length >= COPY_CHUNK) { await write(buf, rows); buf = ""; rows = 0; }
      }
    }
    if (buf.length) await write(buf, rows);
  } finally {
    iter.return?.();
  }
  return { lineSuspect, suspects: [...suspects] };
}
