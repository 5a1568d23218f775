/**
 * Acceptance (issue 16): an MLflow 3 tracking store (SQLAlchemy + Alembic,
 * ~75 tables) moves from SQLite to PostgreSQL 16 with our CLI, and MLflow's
 * own client keeps working on it.
 *
 * 1. On SQLite, through `MlflowClient` (test/acceptance/mlflow-app/tracking.py):
 *    experiments (one deleted, unicode names, tags), runs with every status, a
 *    deleted run, nested runs, params, metric histories (NaN, ±inf, -0.0,
 *    1e-300), long tags, a registered model. Record what the client reads back:
 *    every experiment and run, each metric's history and eight `search_runs`
 *    filters (metrics, params, tags, attributes, LIKE, IN, AND).
 * 2. Migrate as the owner role:
 *    - existing: `--schema-mode existing --replace --schema-command 'mlflow db upgrade "$DATABASE_URL"'`
 *      (MLflow's own Alembic migrations build the schema; their seeded rows are replaced);
 *    - translate: the engine's own schema.
 * 3. As the app role, the client reads back exactly the same, and logs a new
 *    run that `search_runs` then finds; `mlflow db upgrade` has nothing left to do.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { withPostgres } from "../support/postgres";
import { venvOrSkip } from "./support/python-venv";
import { provisionTarget, queryAs, type TargetDatabase } from "./support/target-database";

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "bin", "sqlite-to-postgres.js");
const APP_DIR = join(__dirname, "mlflow-app");
const TRACKING = join(APP_DIR, "tracking.py");
const venv = venvOrSkip(join(APP_DIR, "requirements.txt"), ["mlflow", "sqlalchemy", "alembic", "psycopg2"]);

describe("acceptance: an MLflow tracking store moves from SQLite to PostgreSQL", { skip: "skip" in venv ? venv.skip : false }, () => {
  const python = "python" in venv ? venv.python : "";
  const server = withPostgres();
  let work: string;
  let sqlitePath: string;
  let baseline: Record<string, unknown>;

  /** Runs python with the client's environment (no PG* of the test process, no MLflow telemetry) in the work directory. */
  function py(args: string[]): { status: number; output: string; stdout: string } {
    const { PGPASSWORD: _p, PGUSER: _u, PGDATABASE: _d, PGHOST: _h, PGPORT: _o, DATABASE_URL: _url, ...rest } = process.env;
    const r = spawnSync(python, args, { cwd: work, env: { ...rest, PYTHONDONTWRITEBYTECODE: "1", MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", TZ: "Pacific/Marquesas" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
  }
  function tracking(args: string[]): Record<string, unknown> {
    const r = py([TRACKING, ...args]);
    if (r.status !== 0) throw new Error(`tracking.py ${args[0]} exited ${r.status}:\n${r.output.slice(-4000)}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  }
  function runCli(args: string[]): { status: number; output: string } {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, env: { ...process.env, PGPASSWORD: "", DATABASE_URL: "", MLFLOW_DISABLE_TELEMETRY: "true", TZ: "Asia/Kathmandu", PGTZ: "Pacific/Chatham" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "s2p-mlflow-"));
    sqlitePath = join(work, "mlflow.db");
    tracking(["seed", `sqlite:///${sqlitePath}`, join(work, "artifacts")]);
    baseline = tracking(["read", `sqlite:///${sqlitePath}`]);
  });

  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("records a meaningful baseline on SQLite", () => {
    const runs = baseline.runs as { stage: string; metrics: Record<string, string>; id: string }[];
    assert.equal((baseline.experiments as unknown[]).length, 4, "Default plus three");
    assert.equal(runs.length, 15);
    assert.ok(runs.some((r) => r.stage === "deleted"));
    assert.ok(runs.every((r) => /^[0-9a-f]{32}$/.test(r.id)), "run ids are 32 hex digits (VARCHAR(32) keys)");
    // MLflow's own storage: NaN as a flag, ±inf as ±DBL_MAX, -0.0 as 0.0 (already on SQLite).
    assert.deepEqual(new Set(runs.map((r) => r.metrics.weird).filter(Boolean)), new Set(["nan", "1.7976931348623157e+308", "-1.7976931348623157e+308", "0.0"]));
    for (const [k, v] of Object.entries(baseline.searches as Record<string, string[]>)) assert.ok(v.length > 0 && v.length < runs.length, `search ${k} selects some runs, not all`);
  });

  for (const mode of ["existing", "translate"] as const) {
    describe(`${mode} schema mode`, () => {
      let target: TargetDatabase;
      let output: string;
      const pgUrl = () => target.app.url.replace(/^postgresql:/, "postgresql+psycopg2:");

      before(async () => {
        target = await provisionTarget(server, `mlflow_${mode}`);
        const args = ["migrate", "--from", sqlitePath, "--to", target.owner.url];
        if (mode === "existing") args.push("--schema-mode", "existing", "--replace", "--schema-command", `"${python}" -m mlflow db upgrade "$DATABASE_URL"`);
        const r = runCli(args);
        output = r.output;
        assert.equal(r.status, 0, `migrate (${mode}) failed:\n${r.output.slice(-6000)}`);
      });

      it("verifies every value, without printing the password", () => {
        assert.match(output, /verified: every value equal/);
        assert.ok(!output.includes(target.owner.password));
        if (mode === "translate") assert.match(output, /MLflow-managed database \(table alembic_version\)[^\n]*--schema-mode existing --replace --schema-command 'mlflow db upgrade "\$DATABASE_URL"'/);
      });


      it("MLflow's client reads back every experiment, run, param, tag, metric history and search_runs result", () => {
        const pg = tracking(["read", pgUrl()]);
        assert.deepEqual(pg, baseline);
      });

      it("MLflow's client logs a new run on PostgreSQL and search_runs finds it", () => {
        assert.deepEqual(tracking(["write", pgUrl(), join(work, "artifacts")]), { found: true, history: 3, new_experiment_after_loaded: true });
      });

      it("mlflow db upgrade finds the schema at MLflow's head", async () => {
        const [before] = await queryAs<{ v: string }>(target.owner, `SELECT version_num AS v FROM alembic_version`);
        const r = py(["-m", "mlflow", "db", "upgrade", target.owner.url.replace(/^postgresql:/, "postgresql+psycopg2:")]);
        assert.equal(r.status, 0, r.output.slice(-3000));
        assert.doesNotMatch(r.output, /Running upgrade/, "a migration ran");
        const [after] = await queryAs<{ v: string }>(target.owner, `SELECT version_num AS v FROM alembic_version`);
        assert.equal(after.v, before.v);
      });
    });
  }
});
