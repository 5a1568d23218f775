/**
 * The fast verification pass with reader threads: the readers predict, range
 * by range of rowids, the exact COPY text PostgreSQL prints for each row
 * (SQL for most columns as in `verify-predict.ts`, JavaScript for doubles
 * and JSON), and this thread only compares PostgreSQL's bytes with that
 * text, a chunk of thousands of rows at a time (one memcmp when equal).
 * Text equal byte for byte means equal values, by the same argument as the
 * single-thread pass of `verify-fast.ts`: every field is the canonical text
 * of the source value in PostgreSQL's output format.
 *
 * It relies on PostgreSQL's natural order being the rowid order (the order
 * the load wrote). A chunk that differs is compared line by line; a line
 * that differs is judged again from the SQLite row (by rowid) and
 * PostgreSQL's own fields, type-aware for doubles and JSON. Anything else
 * (a predicted column that differs, too many differing rows, a different
 * number of rows) returns "unsure" and the caller goes on with the
 * single-thread passes, which decide and name differences.
 *
 * Tables whose every column has a binary prediction take the binary pass of
 * `verify-binary.ts` instead (cheaper for PostgreSQL); this one serves the rest.
 */
import type { ClientBase } from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { ReaderPool } from "./reader-pool";
import type { SqliteDb } from "./sqlite-source";
import { layout, rowidAlias, sourceColumn, tailEqual, tailSelect, type FastOutcome } from "./verify-fast";

/** Rows per rowid range (a range is one reader's unit of work; its text is compared at once). */
export const RANGE_ROWS = 4096;
/**
 * Characters per message from a reader: below V8's large-object size (128 KB), so a chunk dies
 * young on both threads instead of waiting in large-object space for a full GC (4 MB chunks:
 * +170 MB peak RSS at 1M rows).
 */
export const CHUNK_CHARS = 60_000;
export const MAX_RANGES = 4096;
/**
 * Differing rows judged again before this pass gives up (e.g. PostgreSQL's rows are not in rowid
 * order): at least this many, else a quarter of the rows (a recheck costs a few rows' worth).
 */
export const MAX_SUSPECTS = 1000;

/** PostgreSQL's COPY bytes not yet compared, as received. */
export class Bytes {
  private bufs: Buffer[] = [];
  private off = 0;
  length = 0;

  push(b: Buffer): void {
    if (b.length) { this.bufs.push(b); this.length += b.length; }
  }

  /** Whether the next `want.length` bytes are `want`. */
  startsWith(want: Buffer): boolean {
    let pos = 0;
    let off = this.off;
    for (let i = 0; pos < want.length; i++, off = 0) {
      const b = this.bufs[i];
      const n = Math.min(b.length - off, want.length - pos);
      if (b.compare(want, pos, pos + n, off, off + n) !== 0) return false;
      pos += n;
    }
    return true;
  }

  /** Bytes up to and including the `lines`-th newline, or -1 if they are not all here. */
  linesLength(lines: number): number {
    let seen = 0;
    let total = 0;
    let off = this.off;
    for (const b of this.bufs) {
      let at = off;
      while (seen < lines) {
        const nl = b.indexOf(10, at);
        if (nl < 0) break;
        seen++;
        at = nl + 1;
      }
      if (seen === lines) return total + at - off;
      total += b.length - off;
      off = 0;
    }
    return lines === 0 ? 0 : -1;
  }

  /** Everything received and not taken yet, as one buffer (not removed). */
  peekAll(): Buffer {
    const parts = this.bufs.map((b, i) => (i === 0 ? b.subarray(this.off) : b));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Drops everything received so far. */
  clear(): void {
    this.bufs = [];
    this.off = 0;
    this.length = 0;
  }

  /** Removes and returns the next `n` bytes. */
  take(n: number): Buffer {
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const b = this.bufs[0];
      const k = Math.min(b.length - this.off, left);
      parts.push(b.subarray(this.off, this.off + k));
      left -= k;
      this.off += k;
      if (this.off === b.length) { this.bufs.shift(); this.off = 0; }
    }
    this.length -= n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

/** A `COPY ... TO STDOUT` read into `bytes` as the comparison needs it (one network chunk per `pull`). */
export class CopyOut {
  readonly bytes = new Bytes();
  done = false;
  private readonly it: AsyncIterator<Buffer>;
  /** An error PostgreSQL sent before the first `pull` (the iterator listens only from then on). */
  private early: Error | undefined;

  constructor(client: ClientBase, copySql: string) {
    const stream = client.query(copyTo(copySql));
    stream.on("error", (err: Error) => { this.early ??= err; });
    this.it = (stream as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  async pull(): Promise<void> {
    try {
      if (this.early) throw this.early;
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.bytes.push(r.value);
    } catch (err) {
      this.done = true;
      throw err;
    }
  }

  /** Until at least `n` bytes are here, or the COPY ended. */
  async fill(n: number): Promise<void> {
    while (this.bytes.length < n && !this.done) await this.pull();
  }

  /** Reads what is left and drops it: the connection must leave COPY mode. */
  async drain(): Promise<void> {
    while (!this.done) { this.bytes.clear(); await this.pull(); }
  }

  /** The end of a pass, however it ended: this COPY drained, then the readers' `predict` stopped. */
  async finish(chunks: AsyncGenerator<unknown>): Promise<void> {
    try {
      await this.drain();
    } finally {
      await chunks.return(undefined);
    }
  }
}

interface Suspect {
  range: number;
  /** Row within the range, in rowid order. */
  index: number;
  pg: string;
  predicted: string;
}

/**
 * The pass over one table, or null when it does not apply (no readers, no
 * rowid, columns that need a type-aware comparison on every row).
 */
export async function readerVerifyTable(db: SqliteDb, client: ClientBase, pool: ReaderPool, t: TablePlan, schema: string, zone: string, name: string, rows: number): Promise<FastOutcome | null> {
  const alias = rowidAlias(t);
  if (!pool.size || !alias) return null;
  const lay = layout(db, t, zone);
  if (lay.tail.some((x) => x.kind === "strict")) return null;
  const ranges = pool.ranges(t.source, Math.min(MAX_RANGES, Math.max(pool.size, Math.ceil(rows / RANGE_ROWS))));
  if (!ranges) return null;
  const from = `FROM main.${quoteSqliteIdent(t.source)}`;
  const tailSrc = lay.tail.map(({ col }) => sourceColumn(col));
  const inRange = `WHERE ${alias} BETWEEN ? AND ? ORDER BY ${alias}`;
  const table = qualified(schema, name);
  const pgSql = `SELECT ${[...lay.tail.map(({ col, kind }) => tailSelect(kind, col, `t.${quoteIdent(col.target)}`)), ...lay.predicted.map(({ col, pg }) => pg(`t.${quoteIdent(col.target)}`))].join(", ")} FROM ${table} AS t`;

  const pg = new CopyOut(client, `COPY (${pgSql}) TO STDOUT`);
  const { bytes } = pg;
  // Differing lines are judged at once: the SQLite row again (by rowid), each differing field type-aware.
  const nth = db.prepare(`SELECT ${alias} ${from} ${inRange} LIMIT 1 OFFSET ?`).pluck();
  nth.safeIntegers(true);
  const one = db.prepare(`SELECT ${tailSrc.length ? tailSrc.join(", ") : "NULL"} ${from} WHERE ${alias} = ?`).raw();
  one.safeIntegers(!!t.bigIntegers);
  const nt = lay.tail.length;
  const maxRechecks = Math.max(MAX_SUSPECTS, Math.ceil(rows / 4));
  /** Why suspect row `s` is not shown equal, or null when it is equal. */
  const judge = (s: Suspect): string | null => {
    const rowid = nth.get(ranges[s.range][0], ranges[s.range][1], s.index);
    const src = rowid === undefined ? undefined : (one.get(rowid) as unknown[] | undefined);
    if (!src) return "a differing row could not be read again by its rowid";
    const pgFields = s.pg.split("\t");
    const want = s.predicted.split("\t");
    if (pgFields.length !== nt + lay.predicted.length) return "a differing row has another number of fields";
    for (let k = 0; k < pgFields.length; k++) {
      if (pgFields[k] === want[k]) continue;
      // A SQL-predicted column differs: the single-thread passes judge (and name) it.
      if (k >= nt) return `a value differs in column ${lay.predicted[k - nt].col.source}`;
      const { col, kind } = lay.tail[k];
      if (!tailEqual(kind, col, src[k], pgFields[k], zone)) return `a value differs in column ${col.source}`;
    }
    return null;
  };
  let rechecked = 0;
  let seen = 0;
  let outcome: FastOutcome | null = null;
  const chunks = pool.predict({ sql: `SELECT ${[lay.line ?? "NULL", ...tailSrc].join(", ")} ${from} ${inRange}`, hasLine: lay.line !== null, tails: lay.tail.map((x) => x.kind), safeIntegers: !!t.bigIntegers, chunkChars: CHUNK_CHARS }, ranges);
  try {
    chunks: for await (const chunk of chunks) {
      const want = Buffer.from(chunk.text, "utf8");
      await pg.fill(want.length);
      if (bytes.length >= want.length && bytes.startsWith(want)) {
        bytes.take(want.length);
        seen += chunk.rows;
        continue;
      }
      // Line by line: PostgreSQL's next `rows` lines against the predicted ones.
      let len = bytes.linesLength(chunk.rows);
      while (len < 0 && !pg.done) { await pg.pull(); len = bytes.linesLength(chunk.rows); }
      if (len < 0) { outcome = { equal: "unsure", reason: "PostgreSQL returned fewer rows than SQLite" }; break; }
      const got = bytes.take(len).toString("utf8").split("\n");
      const predicted = chunk.text.split("\n");
      seen += chunk.rows;
      for (let j = 0; j < chunk.rows; j++) {
        if (got[j] === predicted[j]) continue;
        if (++rechecked > maxRechecks) { outcome = { equal: "unsure", reason: "too many rows differ", tooManyDiffer: true }; break chunks; }
        const why = judge({ range: chunk.range, index: chunk.first + j, pg: got[j], predicted: predicted[j] });
        if (why) { outcome = { equal: "unsure", reason: why }; break chunks; }
      }
    }
    if (!outcome) {
      await pg.fill(1);
      if (bytes.length) outcome = { equal: "unsure", reason: "PostgreSQL returned more rows than SQLite" };
      else if (seen !== rows) outcome = { equal: "unsure", reason: `read ${seen} rows, counted ${rows}` };
    }
  } finally {
    await pg.finish(chunks);
  }
  if (outcome) return outcome;
  return { equal: true, generatedDifferences: [], rechecked };
}
