/**
 * The engine's public API. Never imports Pulumi.
 *   buildPlan → migrate → verify; checksums for change detection;
 *   loadTableAs / dependentObjectsSql for re-syncing one table.
 */
export * from "./types";
export type { Plan, TablePlan, ColumnPlan, IndexPlan, CheckPlan, ForeignKeyPlan, ViewPlan, TriggerPlan, PlanError, Conversion, ColumnStats } from "./plan-types";
export { buildPlan } from "./build-plan";
export { planFromDatabase } from "./plan";
export { migrate, verify, setSession } from "./migrate";
export { sourceTableChecksums, targetTableChecksums } from "./checksums";
export { loadTableAs, dependentObjectsSql, type LoadTableAsOptions } from "./table-sync";
export type { LoadResult } from "./load-table";
export { openSource, type OpenSource, type SqliteDb } from "./sqlite-source";
export { connect, redact } from "./pg-connection";
export { quoteIdent, quoteLiteral } from "./quote";
export { renderStatement, tableCreateDdl, tablePostLoadDdl, foreignKeyDdl, viewDdl, type DdlStatement } from "./render-ddl";
export { formatPlanErrors } from "./plan-errors";
