/** Framework-managed SQLite files: translate mode names the existing-mode command that fits (migrate/framework-history.ts). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { buildPlan } from "../migrate/build-plan";
import { formatPlan } from "../migrate/plan-format";

const work = mkdtempSync(join(tmpdir(), "s2p-framework-"));
after(() => rmSync(work, { recursive: true, force: true }));

function planOf(name: string, ddl: string, mode?: "existing") {
  const file = join(work, `${name}.db`);
  new Database(file).exec(ddl).close();
  return buildPlan(file, mode ? { schemaMode: mode } : {});
}

test("each framework's history table brings its own existing-mode command into the plan's warnings", () => {
  const cases: [string, string, RegExp][] = [
    ["django", "CREATE TABLE django_migrations (id integer primary key, app text, name text, applied datetime); CREATE TABLE shop_item (id integer primary key)",
      /^Django-managed database \(table django_migrations\): .*--schema-mode existing --replace --schema-command 'python manage\.py migrate'$/],
    ["mlflow", "CREATE TABLE alembic_version (version_num varchar(32) primary key); CREATE TABLE experiments (experiment_id integer primary key); CREATE TABLE runs (run_uuid varchar(32) primary key); CREATE TABLE metrics (k text); CREATE TABLE params (k text)",
      /^MLflow-managed database \(table alembic_version\): .*--schema-command 'mlflow db upgrade "\$DATABASE_URL"'$/],
    ["alembic", "CREATE TABLE alembic_version (version_num varchar(32) primary key); CREATE TABLE users (id integer primary key)",
      /^Alembic-managed database \(table alembic_version\): .*--schema-command 'alembic upgrade head'$/],
    ["rails", "CREATE TABLE schema_migrations (version varchar primary key); CREATE TABLE ar_internal_metadata (key varchar primary key, value varchar)",
      /^Rails-managed database \(table schema_migrations\): .*--schema-command 'bin\/rails db:migrate'$/],
  ];
  for (const [name, ddl, re] of cases) {
    const plan = planOf(name, ddl);
    const hints = plan.warnings.filter((w) => /-managed database/.test(w));
    assert.equal(hints.length, 1, `${name}: ${JSON.stringify(plan.warnings)}`);
    assert.match(hints[0], re);
    assert.ok(formatPlan(plan).includes(hints[0]), `${name}: plan output shows it`);
  }
});

test("no hint for a plain file, nor in existing mode, where the history tables are skipped by default", () => {
  assert.deepEqual(planOf("plain", "CREATE TABLE t (id integer primary key)").warnings.filter((w) => /-managed/.test(w)), []);
  const existing = planOf("django-existing", "CREATE TABLE django_migrations (id integer primary key, app text, name text); CREATE TABLE schema_migrations (version text); CREATE TABLE t (id integer primary key)", "existing");
  assert.deepEqual(existing.warnings.filter((w) => /-managed/.test(w)), []);
  assert.deepEqual(existing.tables.map((t) => t.source), ["t"]);
});
