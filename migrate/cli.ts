/**
 * `sqlite-to-postgres plan | migrate | verify`. The only place that calls
 * process.exit. Exit codes: 0 success, 1 migration/verification failure,
 * 2 usage error, 3 migrate committed and verified but the --report file
 * could not be written. Secrets are redacted from every message.
 */
import { writeFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { buildPlan } from "./build-plan";
import { migrate, tableWarnings, verify } from "./migrate";
import type { Plan } from "./plan-types";
import { formatPlan } from "./plan-format";
import { redact, secretsOf } from "./pg-connection";
import type { MigrateOptions, MigrationReport, ProgressEvent } from "./types";

class UsageError extends Error {}

const COMMON_HELP = `
Options shared by all commands:
  --from FILE                 SQLite file (opened read-only)
  --schema NAME               target schema (default public)
  --type TABLE.COLUMN=PGTYPE  override a column's type (repeatable), e.g. --type agents.config=text
  --source-timezone ZONE      IANA zone of naive SQLite datetimes (default UTC)
  --fold-identifiers          fold names to lower case instead of keeping them exactly
  --orphan-fks refuse|not-valid  orphan FK rows: refuse (default) or add the FK NOT VALID
  --skip-fk TABLE.COL[,COL]   do not create this foreign key (repeatable); one that cannot be created
                              is refused with this fix, never dropped silently
  --skip-index NAME           do not create this SQLite index (repeatable); likewise
  --jobs N                    reader threads besides the main one, all on one snapshot (default: the
                              cores, at most 4; 1 = none; files under 8 MB use none). plan/verify split
                              the value scan of big tables by rowid range; migrate builds COPY text on a
                              reader and runs the full value scan on two low-priority threads while
                              loading from a plan of the first 20,000 rows per table: the load is redone if the full plan
                              differs, and its refusals still come before COMMIT. Verification has the
                              readers predict PostgreSQL's binary COPY tuples (or, for types without a
                              binary prediction, its COPY text) by rowid range. PostgreSQL is fed over
                              one connection in one transaction, which keeps the migration atomic
  -h, --help                  this help`;

const HELP: Record<string, string> = {
  main: `sqlite-to-postgres: lossless SQLite → PostgreSQL 16 migration

Usage:
  sqlite-to-postgres plan    --from app.db [--schema public] [--json]
  sqlite-to-postgres migrate --from app.db --to postgresql://user@host:5432/db [options]
  sqlite-to-postgres verify  --from app.db --to postgresql://user@host:5432/db [--schema public]

Run "sqlite-to-postgres COMMAND --help" for the options of a command.
Exit codes: 0 success, 1 migration or verification failure, 2 usage error,
3 (migrate) committed and verified, but the --report file could not be written.
The password comes from the URL or PGPASSWORD and is never printed.`,
  plan: `sqlite-to-postgres plan --from app.db [--schema public] [--json]

Prints the translation plan without a server: per column the declared type,
the storage classes present, the chosen PostgreSQL type and why, warnings;
constraints, indexes, views, triggers and virtual tables and what happens to
each; and every refusal with the option that fixes it. Exit 1 if refused.
  --json                      print the plan as JSON
${COMMON_HELP}

Examples:
  sqlite-to-postgres plan --from app.db
  sqlite-to-postgres plan --from app.db --type products.qty=text --json > plan.json`,
  migrate: `sqlite-to-postgres migrate --from app.db --to postgresql://user@host:port/db [options]

Creates the schema, streams the data with COPY, adds keys, indexes and FKs,
restarts identities, verifies every value, and commits, all in one
transaction: on any failure the target is left exactly as it was.
  --to URL                    target database (password in the URL or PGPASSWORD)
  --report FILE               write a JSON report (rows, timings, type mappings, warnings)
  --replace                   replace tables of the same names in a non-empty target schema
  --no-verify                 skip value-by-value verification (benchmarks only)
  --schema-mode MODE          translate (default): create tables from the SQLite schema;
                              existing: load into tables the app's migrations created (matched by name,
                              values checked against the target types, FK order, sequences reset)
  --skip-table NAME           existing mode: a table not to copy (repeatable; default alembic_version, django_migrations, schema_migrations, ar_internal_metadata)
  --schema-command CMD        existing mode: run CMD first (via /bin/sh, in the current directory) with
                              DATABASE_URL and PG* set to the target, e.g. "alembic upgrade head"
${COMMON_HELP}

Examples:
  PGPASSWORD=secret sqlite-to-postgres migrate --from app.db --to postgresql://app@localhost:5432/app
  sqlite-to-postgres migrate --from app.db --to postgresql://app@db:5432/app --schema legacy --report out.json
  sqlite-to-postgres migrate --from app.db --to postgresql://app@db/app --type events.created_at=timestamptz --source-timezone Europe/Paris
  DATABASE_URL=postgresql://app@db/app alembic upgrade head && sqlite-to-postgres migrate --from app.db --to postgresql://app@db/app --schema-mode existing
  sqlite-to-postgres migrate --from app.db --to postgresql://app@db/app --schema-mode existing --schema-command "alembic upgrade head"`,
  verify: `sqlite-to-postgres verify --from app.db --to postgresql://user@host:port/db [--schema public]

Compares the SQLite file with an already migrated schema: row counts and every
value by type-aware equality. Exit 0 only if equal; mismatches name table,
column and row key. Pass the same --type/--source-timezone as for migrate.
  --to URL                    target database
${COMMON_HELP}

Examples:
  sqlite-to-postgres verify --from app.db --to postgresql://app@localhost:5432/app`,
};

const OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  schema: { type: "string" },
  json: { type: "boolean" },
  report: { type: "string" },
  type: { type: "string", multiple: true },
  "source-timezone": { type: "string" },
  replace: { type: "boolean" },
  "no-verify": { type: "boolean" },
  jobs: { type: "string" },
  "fold-identifiers": { type: "boolean" },
  "orphan-fks": { type: "string" },
  "schema-mode": { type: "string" },
  "skip-table": { type: "string", multiple: true },
  "schema-command": { type: "string" },
  "skip-fk": { type: "string", multiple: true },
  "skip-index": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

const ALLOWED: Record<string, string[]> = {
  plan: ["from", "schema", "json", "type", "source-timezone", "fold-identifiers", "orphan-fks", "skip-fk", "skip-index", "jobs", "help"],
  migrate: ["from", "to", "schema", "report", "type", "source-timezone", "replace", "no-verify", "jobs", "fold-identifiers", "orphan-fks", "skip-fk", "skip-index", "schema-mode", "skip-table", "schema-command", "help"],
  verify: ["from", "to", "schema", "type", "source-timezone", "fold-identifiers", "orphan-fks", "skip-fk", "skip-index", "schema-mode", "skip-table", "jobs", "help"],
};

function parseOverrides(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq) : "";
    if (eq <= 0 || !key.includes(".") || eq === item.length - 1) throw new UsageError(`--type expects TABLE.COLUMN=PGTYPE, got ${JSON.stringify(item)}`);
    out[key] = item.slice(eq + 1).trim();
  }
  return out;
}

function progressPrinter(): (e: ProgressEvent) => void {
  const tty = process.stderr.isTTY;
  const start = new Map<string, number>();
  return (e) => {
    if (e.kind === "table-start") start.set(e.table, Date.now());
    if (e.kind === "table-progress" && tty) {
      const s = (Date.now() - (start.get(e.table) ?? Date.now())) / 1000;
      process.stderr.write(`\r\x1b[K  ${e.table}: ${e.rows}/${e.totalRows} rows${s > 0 ? ` (${Math.round(e.rows / s)} rows/s)` : ""}`);
    }
    if (e.kind === "table-done") {
      const rate = e.ms > 0 ? Math.round((e.rows * 1000) / e.ms) : e.rows;
      process.stderr.write(`${tty ? "\r\x1b[K" : ""}  ${e.table}: ${e.rows} rows in ${e.ms} ms (${rate} rows/s)\n`);
    }
    if (e.kind === "phase" && e.ms !== undefined) process.stderr.write(`${e.phase}: ${e.ms} ms\n`);
  };
}

/** Every warning of a plan: the plan's own, then per table (its columns', its keys', its indexes'). */
export function planWarnings(plan: Plan): string[] {
  return unique([...plan.warnings, ...plan.tables.flatMap((t) => tableWarnings(t).map((w) => `table "${t.source}": ${w}`))]);
}

/** Every warning of a migration: the run's, then each table's (column, key and index warnings). */
export function reportWarnings(report: MigrationReport): string[] {
  return unique([...report.warnings, ...report.tables.flatMap((t) => t.warnings.map((w) => `table "${t.source}": ${w}`))]);
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** The one summary at the end of the console output (issue 16): every warning, once. Empty when there is none. */
export function warningSummary(warnings: string[]): string {
  if (!warnings.length) return "";
  return `${warnings.length} warning(s):\n${warnings.map((w) => `  WARNING: ${w}\n`).join("")}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") { process.stdout.write(`${HELP.main}\n`); return command ? 0 : 2; }
  if (!ALLOWED[command]) { process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${HELP.main}\n`); return 2; }
  let secrets: string[] = [];
  try {
    let values: Record<string, string | boolean | string[] | undefined>;
    try {
      ({ values } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    for (const k of Object.keys(values)) if (!ALLOWED[command].includes(k)) throw new UsageError(`option --${k} does not apply to "${command}"`);
    if (values.help) { process.stdout.write(`${HELP[command]}\n`); return 0; }
    const from = values.from as string | undefined;
    if (!from) throw new UsageError("--from is required");
    const orphan = values["orphan-fks"] as string | undefined;
    if (orphan && orphan !== "refuse" && orphan !== "not-valid") throw new UsageError("--orphan-fks must be refuse or not-valid");
    const mode = values["schema-mode"] as string | undefined;
    if (mode && mode !== "translate" && mode !== "existing") throw new UsageError("--schema-mode must be translate or existing");
    const jobsText = values.jobs as string | undefined;
    const jobs = jobsText === undefined ? undefined : Number(jobsText);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError("--jobs must be a positive integer");
    const mapping = {
      schema: values.schema as string | undefined,
      typeOverrides: parseOverrides(values.type as string[] | undefined),
      sourceTimezone: values["source-timezone"] as string | undefined,
      foldIdentifiers: !!values["fold-identifiers"],
      orphanForeignKeys: orphan as "refuse" | "not-valid" | undefined,
      schemaMode: mode as "translate" | "existing" | undefined,
      ...(values["skip-table"] ? { skipTables: values["skip-table"] as string[] } : {}),
      ...(values["skip-fk"] ? { skipForeignKeys: values["skip-fk"] as string[] } : {}),
      ...(values["skip-index"] ? { skipIndexes: values["skip-index"] as string[] } : {}),
    };
    if (command === "plan") {
      const plan = buildPlan(from, mapping, { checkUtf8: true }, { jobs });
      process.stdout.write(values.json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatPlan(plan)}\n`);
      if (!values.json) process.stderr.write(warningSummary(planWarnings(plan)));
      return plan.errors.length ? 1 : 0;
    }
    const to = values.to as string | undefined;
    if (!to) throw new UsageError("--to is required");
    const schemaCommand = values["schema-command"] as string | undefined;
    if (schemaCommand !== undefined && mode !== "existing") throw new UsageError("--schema-command needs --schema-mode existing");
    const options: MigrateOptions = { ...mapping, ...(schemaCommand ? { schemaCommand } : {}), from, to, replace: !!values.replace, verify: !values["no-verify"], jobs, onProgress: progressPrinter(), log: (l) => process.stderr.write(`${l}\n`) };
    secrets = secretsOf(options);
    if (command === "migrate") {
      const report = await migrate(options);
      const rows = report.tables.reduce((a, t) => a + t.rows, 0);
      const done = `migrated ${report.tables.length} tables, ${rows} rows into schema "${report.schema}" in ${report.timings.totalMs} ms; ${report.verified ? "verified: every value equal" : "NOT verified (--no-verify)"}`;
      let reportError: string | undefined;
      if (values.report) {
        try {
          writeFileSync(values.report as string, `${JSON.stringify(report, null, 2)}\n`);
        } catch (err) {
          reportError = (err as Error).message;
        }
      }
      process.stdout.write(`${done}\n`);
      process.stderr.write(redact(warningSummary(reportWarnings(report)), secrets));
      if (reportError !== undefined) {
        // After COMMIT: the data is in place. Exit 3, not 1: a script must not take it for a failed migration and run it again.
        process.stderr.write(`error: the migration was COMMITTED${report.verified ? " and verified" : ""} (${report.tables.length} tables, ${rows} rows in schema "${report.schema}"); only the report could not be written to ${values.report as string}: ${redact(reportError, secrets)}. Do not migrate again; free the space or choose another --report path to keep a report of a later run.\n`);
        return 3;
      }
      return 0;
    }
    const v = await verify(options);
    for (const t of v.tables) process.stdout.write(`${t.equal ? "equal    " : "DIFFERENT"} ${t.source} (${t.rows} rows)\n`);
    for (const m of v.mismatches.slice(0, 100)) process.stdout.write(`  - table "${m.table}"${m.column ? ` column "${m.column}"` : ""}${m.key ? ` row ${m.key}` : ""}: ${m.message}\n`);
    process.stdout.write(v.equal ? "verified: source and target are equal\n" : `verification FAILED: ${v.mismatches.length} mismatch(es)\n`);
    process.stderr.write(redact(warningSummary(v.warnings ?? []), secrets));
    return v.equal ? 0 : 1;
  } catch (err) {
    const msg = redact((err as Error).message, secrets.length ? secrets : [process.env.PGPASSWORD]);
    if (err instanceof UsageError) { process.stderr.write(`usage error: ${msg}\n\n${HELP[command]}\n`); return 2; }
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(`error: ${redact(String((err as Error)?.message ?? err), [process.env.PGPASSWORD])}\n`);
    process.exitCode = 1;
  });
}
