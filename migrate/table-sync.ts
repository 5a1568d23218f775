/**
 * Building blocks for re-syncing ONE table beside the live one and swapping
 * it in (used by infra/migration.ts): load a planned table under a shadow
 * name inside the caller's transaction, and render the FKs and views that
 * depend on a table so they can be dropped and re-created around the swap.
 */
import type { ClientBase } from "pg";
import { loadTable, type LoadResult } from "./load-table";
import type { Plan } from "./plan-types";
import { dependentDdl, renderStatement, tableCreateDdl, tablePostLoadDdl } from "./render-ddl";
import type { SqliteDb } from "./sqlite-source";

export interface LoadTableAsOptions {
  /** Appended to the planned names of the shadow table's PK/unique/index constraints (e.g. `_new`) so they do not clash with the live table's. */
  suffix?: string;
  onProgress?: (rows: number) => void;
}

/**
 * Creates `schema.targetName` with the planned columns of SQLite table
 * `tableSource`, COPYs its rows, then adds its primary key, uniques, CHECKs,
 * indexes and identity restart. Runs through `client`, inside whatever
 * transaction the caller opened (call `setSession` first so naive datetimes
 * are read in the plan's source time zone). FKs are not added: see
 * `dependentObjectsSql`.
 */
export async function loadTableAs(db: SqliteDb, client: ClientBase, plan: Plan, tableSource: string, targetName: string, options: LoadTableAsOptions = {}): Promise<LoadResult> {
  const t = plan.tables.find((x) => x.source === tableSource);
  if (!t) throw new Error(`table ${JSON.stringify(tableSource)} is not in the plan`);
  for (const s of tableCreateDdl(plan.schema, t, targetName)) await client.query(renderStatement(s));
  const r = await loadTable(db, client, t, { schema: plan.schema, name: targetName, zone: plan.sourceTimezone, onProgress: options.onProgress });
  for (const s of tablePostLoadDdl(plan.schema, t, targetName, options.suffix ?? "")) await client.query(renderStatement(s));
  return r;
}

/**
 * SQL that (re-)creates the foreign keys held by or pointing at
 * `tableSource` (under the planned names) and every planned view. Run it
 * after the swap (`ALTER TABLE ... RENAME`); drop the old FKs/views first
 * (DROP TABLE ... CASCADE drops them).
 */
export function dependentObjectsSql(plan: Plan, tableSource: string): { foreignKeys: string[]; views: string[] } {
  const d = dependentDdl(plan, tableSource);
  return { foreignKeys: d.foreignKeys.map(renderStatement), views: d.views.map(renderStatement) };
}
