/**
 * `node --import tsx bench/copy-probe.ts --rows N`
 *
 * A probe, not a contender: how fast can Node move agent_runs from SQLite to
 * PostgreSQL at all, stage by stage? It times
 *   1. reading: better-sqlite3 `.raw().iterate()`;
 *   2. reading + encoding COPY text into large buffers;
 *   3. reading + encoding + COPY FROM STDIN (pg-copy-streams) into a typed table;
 * so the engine's profile can be read against a floor. The encoding here is
 * the minimum for this schema (uuid hex, 0/1 booleans, microsecond datetimes
 * and doubles by shortest round-trip repr), not the engine's general one.
 */
import Database from "better-sqlite3";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { startPostgres } from "../test/support/postgres";
import { defaultCacheDir, ensureBenchDb } from "./generate-db";
import { LIMIT_DDL } from "./limit-pipeline";

const SELECT = "SELECT id, agent_id, user_id, status, payload, started_at, finished_at, success, score, cost, tokens, output FROM agent_runs";
const CHUNK = 1 << 20;

/** COPY text format escaping: backslash, newline, carriage return, tab. https://www.postgresql.org/docs/16/sql-copy.html */
function escapeText(s: string): string {
  if (!/[\\\n\r\t]/.test(s)) return s;
  return s.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}

function encodeValue(v: unknown): string {
  if (v === null) return "\\N";
  if (typeof v === "string") return escapeText(v);
  if (typeof v === "number") return String(v); // shortest round-trip repr
  if (typeof v === "bigint") return v.toString();
  throw new Error(`unexpected value ${typeof v}`);
}

/** The same COPY text, but formatted by SQLite itself: one string per row crosses into JS instead of 12 values. */
const esc = (c: string) => `coalesce(replace(replace(replace(replace(${c}, '\\', '\\\\'), char(10), '\\n'), char(13), '\\r'), char(9), '\\t'), '\\N')`;
const raw = (c: string) => `coalesce(${c}, '\\N')`;
const dbl = (c: string) => `CASE WHEN ${c} IS NULL THEN '\\N' ELSE printf('%!.17g', ${c}) END`;
export const SQL_LINE = [esc("id"), raw("agent_id"), raw("user_id"), esc("status"), esc("payload"), esc("started_at"), esc("finished_at"), raw("success"), dbl("score"), raw("cost"), raw("tokens"), esc("output")].join(" || char(9) || ");

function* sqlEncodedChunks(db: Database.Database): Generator<Buffer> {
  const max = Number(db.prepare("SELECT coalesce(max(rowid), 0) FROM agent_runs").pluck().get());
  const stmt = db.prepare(`SELECT group_concat(line, char(10)) || char(10) FROM (SELECT ${SQL_LINE} AS line FROM agent_runs WHERE rowid > ? AND rowid <= ?)`).pluck();
  const step = 4000;
  for (let from = 0; from < max; from += step) {
    const text = stmt.get(from, from + step) as string | null;
    if (text) yield Buffer.from(text, "utf8");
  }
}

function* encodedChunks(db: Database.Database): Generator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  for (const row of db.prepare(SELECT).raw().iterate() as IterableIterator<unknown[]>) {
    let line = "";
    for (let i = 0; i < row.length; i++) line += (i === 0 ? "" : "\t") + encodeValue(row[i]);
    line += "\n";
    parts.push(line);
    size += line.length;
    if (size >= CHUNK) {
      yield Buffer.from(parts.join(""), "utf8");
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(""), "utf8");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: "string", default: "250000" } } });
  const rows = Number(values.rows);
  const file = ensureBenchDb(rows, defaultCacheDir());
  const db = new Database(file.path, { readonly: true });
  // Wall ms and this process's CPU ms: on a shared machine the CPU figure is the steadier one.
  let cpu0 = process.cpuUsage();
  const t = () => {
    cpu0 = process.cpuUsage();
    return Number(process.hrtime.bigint() / 1000000n);
  };
  const since = (start: number) => {
    const c = process.cpuUsage(cpu0);
    return `${Number(process.hrtime.bigint() / 1000000n) - start} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU`;
  };

  let start = t();
  let n = 0;
  for (const _ of db.prepare(SELECT).raw().iterate()) n++;
  console.log(`read ${n} rows: ${since(start)}`);

  start = t();
  let bytes = 0;
  for (const b of encodedChunks(db)) bytes += b.length;
  console.log(`read + encode (${(bytes / 1048576).toFixed(0)} MB of COPY text): ${since(start)}`);

  start = t();
  bytes = 0;
  for (const b of sqlEncodedChunks(db)) bytes += b.length;
  console.log(`read + encode in SQLite, group_concat per 4000 rows (${(bytes / 1048576).toFixed(0)} MB): ${since(start)}`);

  const pg = await startPostgres();
  try {
    const database = await pg.createDatabase("probe");
    const client = new Client({ connectionString: pg.url(database) });
    await client.connect();
    try {
      await client.query("SET timezone = 'UTC'");
      await client.query(LIMIT_DDL);
      start = t();
      const copy = client.query(copyFrom("COPY agent_runs FROM STDIN"));
      await pipeline(Readable.from(encodedChunks(db)), copy);
      console.log(`read + encode + COPY (${copy.rowCount} rows): ${since(start)} (client CPU only)`);
      await client.query("TRUNCATE agent_runs");
      start = t();
      const copy2 = client.query(copyFrom("COPY agent_runs FROM STDIN"));
      await pipeline(Readable.from(sqlEncodedChunks(db)), copy2);
      console.log(`read + encode in SQLite + COPY (${copy2.rowCount} rows): ${since(start)} (client CPU only)`);
      start = t();
      await client.query("ALTER TABLE agent_runs ADD PRIMARY KEY (id)");
      await client.query("CREATE INDEX ON agent_runs (agent_id, started_at)");
      await client.query("CREATE INDEX ON agent_runs (user_id)");
      await client.query("CREATE INDEX ON agent_runs (status)");
      console.log(`PK + 3 indexes, one after another: ${since(start)}`);
    } finally {
      await client.end();
    }
  } finally {
    await pg.stop();
    db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
