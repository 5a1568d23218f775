/**
 * Runs one verification pass over reader threads (2 readers, many rowid
 * ranges) on the first table of a SQLite file against its migrated
 * PostgreSQL copy, twice on the same readers and connection: a pass that
 * stopped early must leave both usable, and give the same answer again.
 */
import assert from "node:assert/strict";
import { Client, type ClientBase } from "pg";
import { openSource, planFromDatabase } from "../../migrate/index";
import { setSession } from "../../migrate/migrate";
import type { TablePlan } from "../../migrate/plan-types";
import { readerOptions, type ReaderPool } from "../../migrate/reader-pool";
import type { SqliteDb } from "../../migrate/sqlite-source";
import type { MappingOptions } from "../../migrate/types";

export type ReaderPassFn<T> = (db: SqliteDb, client: ClientBase, pool: ReaderPool, t: TablePlan, schema: string, zone: string, name: string, rows: number) => Promise<T>;

export async function readerPassTwice<T>(pass: ReaderPassFn<T>, file: string, url: string, rows: number, options: MappingOptions = {}): Promise<T> {
  const src = openSource(file, readerOptions({ from: file, jobs: 2, parallelMinRows: 0 }, () => undefined));
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    assert.equal(src.readers.size, 2);
    const plan = planFromDatabase(src.db, file, options);
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await setSession(client, "UTC");
    await client.query("SET LOCAL synchronize_seqscans = off");
    const t = plan.tables[0];
    const first = await pass(src.db, client, src.readers, t, plan.schema, "UTC", t.target, rows);
    const again = await pass(src.db, client, src.readers, t, plan.schema, "UTC", t.target, rows);
    assert.deepEqual(again, first);
    await client.query("COMMIT");
    return first;
  } finally {
    await client.end();
    src.close();
  }
}
