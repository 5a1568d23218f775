/**
 * The reader-thread verification pass over `COPY ... TO STDOUT (FORMAT
 * binary)`: as `verify-readers.ts`, but the readers predict the binary
 * tuples PostgreSQL sends (`binary-predict.ts`), which costs PostgreSQL
 * less than half the CPU of printing text and leaves no float or datetime
 * text to format on either side.
 *
 * Equal bytes mean equal values (each field is the source value's own
 * encoding under the target type). A differing tuple is judged again from
 * the SQLite row (by rowid): JSON by its parsed value, doubles type-aware.
 * Anything else makes this pass give up ("unsure"): the single-thread
 * passes then decide and name differences. Tables with a column it has no
 * binary form for (null) go to the text pass of `verify-readers.ts`.
 */
import type { ClientBase } from "pg";
import { BINARY_HEADER, BINARY_TRAILER, binaryKinds, binarySelect, tupleEnds, tupleFields, type BinKind } from "./binary-predict";
import { copyEscape } from "./copy-encode";
import { pgFloat8Text } from "./float-text";
import type { TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { ReaderPool } from "./reader-pool";
import type { SqliteDb } from "./sqlite-source";
import { rowidAlias, sourceColumn, tailEqual, type FastOutcome } from "./verify-fast";
import { CHUNK_CHARS, CopyOut, MAX_RANGES, MAX_SUSPECTS, RANGE_ROWS } from "./verify-readers";

/**
 * The binary pass over one table: equal, or "unsure" with why it gave up, or
 * null when it does not apply (no readers, no rowid, a column without a binary kind).
 */
export async function binaryVerifyTable(db: SqliteDb, client: ClientBase, pool: ReaderPool, t: TablePlan, schema: string, zone: string, name: string, rows: number): Promise<FastOutcome | null> {
  const alias = rowidAlias(t);
  if (!pool.size || !alias) return null;
  const kinds = binaryKinds(t.columns, zone);
  if (!kinds) return null;
  const ranges = pool.ranges(t.source, Math.min(MAX_RANGES, Math.max(pool.size, Math.ceil(rows / RANGE_ROWS))));
  if (!ranges) return null;
  const from = `FROM main.${quoteSqliteIdent(t.source)}`;
  const src = t.columns.map(sourceColumn);
  const inRange = `WHERE ${alias} BETWEEN ? AND ? ORDER BY ${alias}`;
  const pgSql = `SELECT ${t.columns.map((c, i) => binarySelect(kinds[i], c, `t.${quoteIdent(c.target)}`)).join(", ")} FROM ${qualified(schema, name)} AS t`;

  const pg = new CopyOut(client, `COPY (${pgSql}) TO STDOUT (FORMAT binary)`);
  const { bytes } = pg;
  const nth = db.prepare(`SELECT ${alias} ${from} ${inRange} LIMIT 1 OFFSET ?`).pluck();
  nth.safeIntegers(true);
  const one = db.prepare(`SELECT ${src.join(", ")} ${from} WHERE ${alias} = ?`).raw();
  one.safeIntegers(!!t.bigIntegers);
  /** Why PostgreSQL's tuple `pg` (predicted `want`) for row `index` of range `range` is not equal, or null when it is. */
  const judge = (range: number, index: number, pg: Buffer, want: Buffer): string | null => {
    const rowid = nth.get(ranges[range][0], ranges[range][1], index);
    const row = rowid === undefined ? undefined : (one.get(rowid) as unknown[] | undefined);
    if (!row) return "a differing row could not be read again by its rowid";
    const got = tupleFields(pg);
    const predicted = tupleFields(want);
    if (got.length !== kinds.length) return "a differing row has another number of fields";
    for (let k = 0; k < kinds.length; k++) {
      const g = got[k];
      const p = predicted[k];
      if (g === p || (g && p && g.equals(p))) continue;
      if (!fieldEqual(kinds[k], t, k, row[k], g, zone)) return `a value differs in column ${t.columns[k].source}`;
    }
    return null;
  };

  const maxRechecks = Math.max(MAX_SUSPECTS, Math.ceil(rows / 4));
  let rechecked = 0;
  let seen = 0;
  let gaveUp: FastOutcome | null = null;
  const chunks = pool.predict({ sql: `SELECT ${src.join(", ")} ${from} ${inRange}`, hasLine: false, tails: [], safeIntegers: !!t.bigIntegers, chunkChars: CHUNK_CHARS, binary: kinds }, ranges);
  try {
    await pg.fill(BINARY_HEADER.length);
    if (bytes.length < BINARY_HEADER.length || !bytes.startsWith(BINARY_HEADER)) return { equal: "unsure", reason: "PostgreSQL's binary COPY header is not the one expected" };
    bytes.take(BINARY_HEADER.length);
    chunks: for await (const chunk of chunks) {
      const want = chunk.bytes ?? Buffer.from(chunk.text, "latin1");
      await pg.fill(want.length);
      if (bytes.length >= want.length && bytes.startsWith(want)) {
        bytes.take(want.length);
        seen += chunk.rows;
        continue;
      }
      // Tuple by tuple: PostgreSQL's next `rows` tuples against the predicted ones.
      let ends = tupleEnds(bytes.peekAll(), 0, chunk.rows);
      while (ends.length < chunk.rows && !pg.done) { await pg.pull(); ends = tupleEnds(bytes.peekAll(), 0, chunk.rows); }
      if (ends.length < chunk.rows) { gaveUp = { equal: "unsure", reason: "PostgreSQL returned fewer rows than SQLite" }; break; }
      const got = bytes.take(ends[ends.length - 1] ?? 0);
      const wantEnds = tupleEnds(want, 0, chunk.rows);
      seen += chunk.rows;
      for (let j = 0; j < chunk.rows; j++) {
        const g = got.subarray(j ? ends[j - 1] : 0, ends[j]);
        const w = want.subarray(j ? wantEnds[j - 1] : 0, wantEnds[j]);
        if (g.equals(w)) continue;
        if (++rechecked > maxRechecks) { gaveUp = { equal: "unsure", reason: "too many rows differ", tooManyDiffer: true }; break chunks; }
        const why = judge(chunk.range, chunk.first + j, g, w);
        if (why) { gaveUp = { equal: "unsure", reason: why }; break chunks; }
      }
    }
    if (!gaveUp) {
      await pg.fill(Infinity);
      if (bytes.length !== BINARY_TRAILER.length || !bytes.startsWith(BINARY_TRAILER)) gaveUp = { equal: "unsure", reason: "PostgreSQL returned more rows than SQLite" };
      else if (seen !== rows) gaveUp = { equal: "unsure", reason: `read ${seen} rows, counted ${rows}` };
    }
  } finally {
    await pg.finish(chunks);
  }
  return gaveUp ?? { equal: true, generatedDifferences: [], rechecked };
}

/** A differing field judged from the SQLite value `v`: JSON by value, doubles (and numeric as doubles) type-aware. */
function fieldEqual(k: BinKind, t: TablePlan, i: number, v: unknown, pg: Buffer | null | undefined, zone: string): boolean {
  const c = t.columns[i];
  if (!pg) return pg === null && v === null;
  if (k === "jsonb") return pg[0] === 1 && tailEqual("json", c, v, copyEscape(pg.subarray(1).toString("utf8")), zone);
  if (k === "double" && pg.length === 8) return tailEqual(c.conversion === "numeric" ? "decimal" : "double", c, v, pgFloat8Text(pg.readDoubleBE(0)), zone);
  return false;
}
