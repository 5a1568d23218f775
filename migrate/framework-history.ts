/**
 * Databases whose schema a framework owns (Django, Alembic apps such as
 * MLflow, Rails): their migration-history tables, how to recognise them,
 * and which `existing`-mode command fits.
 *
 * In `existing` mode the history tables are not copied: the schema command
 * wrote the target's own rows, and they must describe the schema it built.
 * The SQLite file's rows are compared with them instead: a migration the
 * SQLite file records but the target lacks is refused (the data was written
 * by a newer schema than the one the command built); one only the target
 * has is reported (the command built a newer schema; every column is still
 * matched by name and every value checked).
 */
import type { Client } from "pg";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";

/**
 * Tables `existing` mode skips by default: they hold the framework's own
 * bookkeeping, which the schema command writes (`--skip-table` replaces this list).
 */
export const FRAMEWORK_HISTORY_TABLES = ["alembic_version", "django_migrations", "schema_migrations", "ar_internal_metadata"];

/** The columns that name one applied migration, per history table (`ar_internal_metadata` holds settings, not history). */
const HISTORY_KEYS: Record<string, string[]> = {
  alembic_version: ["version_num"],
  django_migrations: ["app", "name"],
  schema_migrations: ["version"],
};

export interface FrameworkHint {
  framework: string;
  /** The history table that gave it away. */
  table: string;
  /** The `--schema-command` that builds the schema the app expects. */
  command: string;
}

/** Recognises a framework-managed SQLite file by its tables (names compared case-insensitively). */
export function detectFramework(tableNames: string[]): FrameworkHint | undefined {
  const names = new Set(tableNames.map((n) => n.toLowerCase()));
  if (names.has("django_migrations")) return { framework: "Django", table: "django_migrations", command: "python manage.py migrate" };
  if (names.has("alembic_version")) {
    // MLflow's tracking store: its own CLI runs its Alembic migrations against a URL.
    if (["experiments", "runs", "metrics", "params"].every((n) => names.has(n))) return { framework: "MLflow", table: "alembic_version", command: 'mlflow db upgrade "$DATABASE_URL"' };
    return { framework: "Alembic", table: "alembic_version", command: "alembic upgrade head" };
  }
  if (names.has("schema_migrations")) return { framework: "Rails", table: "schema_migrations", command: "bin/rails db:migrate" };
  return undefined;
}

/** The translate-mode note that names the existing-mode command which fits a framework-managed file. */
export function frameworkAdvice(hint: FrameworkHint): string {
  return `${hint.framework}-managed database (table ${hint.table}): translate mode builds the engine's own schema, not the one ${hint.framework} expects on PostgreSQL (its types, constraint names and migration state); to load into the schema the app's own migrations create, use --schema-mode existing --replace --schema-command '${hint.command}'`;
}

export interface HistoryDifference {
  table: string;
  /** Migrations the SQLite file records and the target does not. */
  onlyInSource: string[];
  /** Migrations the target records and the SQLite file does not. */
  onlyInTarget: string[];
}

/**
 * Compares the applied migrations of each known history table present in
 * both the SQLite file and the target schema (skipped tables only).
 */
export async function compareHistory(db: SqliteDb, sourceTables: string[], client: Client, schema: string, targetTables: Iterable<string>, skipped: string[]): Promise<HistoryDifference[]> {
  const out: HistoryDifference[] = [];
  const targets = [...targetTables];
  for (const name of skipped) {
    const key = HISTORY_KEYS[name.toLowerCase()];
    const source = sourceTables.find((t) => t.toLowerCase() === name.toLowerCase());
    const target = targets.find((t) => t === name) ?? targets.find((t) => t.toLowerCase() === name.toLowerCase());
    if (!key || !source || !target) continue;
    const show = (row: unknown[]) => row.map((v) => String(v)).join(".");
    let src: string[];
    try {
      src = (db.prepare(`SELECT ${key.map(quoteSqliteIdent).join(", ")} FROM main.${quoteSqliteIdent(source)}`).raw().all() as unknown[][]).map(show);
    } catch {
      continue; // not the framework's table after all (other columns)
    }
    let tgt: string[];
    try {
      await client.query("SAVEPOINT s2p_history");
      const r = await client.query({ text: `SELECT ${key.map((k) => `${quoteIdent(k)}::text`).join(", ")} FROM ${qualified(schema, target)}`, rowMode: "array" });
      await client.query("RELEASE SAVEPOINT s2p_history");
      tgt = (r.rows as unknown[][]).map(show);
    } catch {
      await client.query("ROLLBACK TO SAVEPOINT s2p_history");
      continue;
    }
    const s = new Set(src);
    const t = new Set(tgt);
    const onlyInSource = [...s].filter((x) => !t.has(x)).sort();
    const onlyInTarget = [...t].filter((x) => !s.has(x)).sort();
    if (onlyInSource.length || onlyInTarget.length) out.push({ table: name, onlyInSource, onlyInTarget });
  }
  return out;
}

/** Lists at most `n` names, then how many more. */
export function someOf(names: string[], n = 5): string {
  return `${names.slice(0, n).join(", ")}${names.length > n ? ` and ${names.length - n} more` : ""}`;
}
