/**
 * Acceptance (issue 7): a real SQLAlchemy 2 + Alembic + FastAPI app moves from
 * SQLite to PostgreSQL 16 with our CLI and keeps working, as the app role.
 *
 * 1. `alembic upgrade head` on SQLite, seed through the ORM, record the JSON of
 *    every endpoint (support/api-snapshot.ts).
 * 2. Migrate with `bin/sqlite-to-postgres.js migrate`, connected as the owner
 *    role, in each schema mode:
 *    - translate: the engine translates the SQLite schema (the default);
 *    - existing: `alembic upgrade head` creates the schema, the engine loads into it.
 * 3. Start the same app with DATABASE_URL pointing at PostgreSQL as the app role
 *    (grants from infra/access-plan.ts).
 * 4. Same JSON from every endpoint (exact JSON equality, support/json-semantic.ts);
 *    POST works (defaults, sequence, JSONB write); `config @> …` works;
 *    `alembic current` shows the head; `alembic upgrade head` changes nothing.
 *
 * Datetimes: the app serializes every datetime as UTC ISO 8601 and reads the
 * naive values SQLAlchemy's SQLite dialect returns as UTC (schemas.py); the
 * engine reads naive SQLite datetimes as UTC (--source-timezone default). The
 * CLI and the app run with odd TZ/PGTZ settings so a hidden dependence on
 * local or session time zones shows up as a difference.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { withPostgres } from "../support/postgres";
import { REQUIREMENTS, runPython, runPythonOk, startApp, type RunningApp } from "./support/agentgrid-app";
import { compareRecordings, recordApi, type Exchange } from "./support/api-snapshot";
import { jsonDifferences, jsonTextDifferences, parseJsonExact, type JsonValue } from "./support/json-semantic";
import { ensureVenv } from "./support/python-venv";
import { provisionTarget, queryAs, type TargetDatabase } from "./support/target-database";

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "bin", "sqlite-to-postgres.js");
const JSON_COLUMNS = [
  ["agents", "config"],
  ["agent_runs", "input"],
  ["audit_events", "detail"],
] as const;
const TABLES = ["alembic_version", "users", "agents", "agent_runs", "audit_events"] as const;
const CONTAINS = { model: { provider: "anthropic" }, tools: ["web_search"] };

/** The revision `alembic current` prints, e.g. `a8e4d6c0b251 (head)`. */
function currentRevision(output: string): string {
  const m = /^([0-9a-f]{12})(?: \(head\))?\s*$/m.exec(output);
  assert.ok(m, `alembic current printed no revision:\n${output}`);
  return m[1];
}

function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = REPO): { status: number; output: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

describe("acceptance: the AgentGrid app (SQLAlchemy 2, Alembic, FastAPI) moves from SQLite to PostgreSQL", () => {
  let python: string;
  const server = withPostgres();
  let work: string;
  let sqlitePath: string;
  let head: string;
  let sqliteRecording: Exchange[];
  let agentIds: string[];
  let seeded: { users: number; agents: number; agent_runs: number; audit_events: number; max_audit_event_id: number };

  before(async () => {
    python = ensureVenv(REQUIREMENTS);
    work = mkdtempSync(join(tmpdir(), "s2p-agentgrid-"));
    sqlitePath = join(work, "agentgrid.db");
    const sqliteUrl = `sqlite:///${sqlitePath}`;
    runPythonOk(python, sqliteUrl, ["alembic", "upgrade", "head"]);
    seeded = JSON.parse(runPythonOk(python, sqliteUrl, ["agentgrid.seed"]).trim().split("\n").pop()!);
    head = currentRevision(runPythonOk(python, sqliteUrl, ["alembic", "current"]));
    const app = await startApp(python, sqliteUrl);
    try {
      const list = await fetch(`${app.baseUrl}/api/v1/agents/?limit=1000`);
      agentIds = ((await list.json()) as { id: string }[]).map((a) => a.id);
      sqliteRecording = await recordApi(app.baseUrl, agentIds);
    } finally {
      await app.stop();
    }
    assert.equal(agentIds.length, seeded.agents);
  });

  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("records a meaningful baseline on SQLite", () => {
    assert.equal(head, "a8e4d6c0b251");
    assert.ok(seeded.agent_runs > 50 && seeded.users > 5, JSON.stringify(seeded));
    assert.ok(sqliteRecording.every((e, i) => e.status === (i === sqliteRecording.length - 1 ? 404 : 200)), "every baseline GET answered");
    // The baseline holds what the comparison must protect: exact big integers, unicode, NULLs, bytes, datetimes.
    const all = sqliteRecording.map((e) => e.body).join("\n");
    for (const needle of ["9223372036854775807", "9007199254740993", "数据分析助手", "\\\\N", '"icon":null', '"icon":""', '"config":null', "+00:00"]) {
      assert.ok(all.includes(needle), `baseline lacks ${needle}`);
    }
  });

  it("existing mode reports every misfit together and writes no row", async () => {
    // A copy of the seeded file with four problems the Alembic schema cannot take.
    const bad = join(work, "misfits.db");
    copyFileSync(sqlitePath, bad);
    const lite = new Database(bad);
    try {
      lite.exec(`ALTER TABLE agents ADD COLUMN legacy_score INTEGER; UPDATE agents SET legacy_score = 7`); // no such column in PostgreSQL
      lite.prepare(`UPDATE agents SET name = ? WHERE id = (SELECT min(id) FROM agents)`).run("n".repeat(201)); // varchar(200)
      lite.exec(`UPDATE agent_runs SET status = 'CANCELLED' WHERE id = (SELECT min(id) FROM agent_runs)`); // not a run_status label
      lite.pragma("foreign_keys = OFF"); // as in most SQLite apps (it is off by default), so an orphan can exist
      lite.exec(`UPDATE audit_events SET agent_id = 'not-a-uuid' WHERE id = 3`); // uuid
    } finally {
      lite.close();
    }
    const target = await provisionTarget(server, "agentgrid_misfits");
    const r = runCli(
      ["migrate", "--from", bad, "--to", target.owner.url, "--schema-mode", "existing", "--schema-command", `"${python}" -m alembic upgrade head`],
      { PGPASSWORD: "", DATABASE_URL: "" },
      join(REPO, "test", "acceptance", "agentgrid-app"),
    );
    assert.notEqual(r.status, 0, `migrate accepted misfits:\n${r.output.slice(-3000)}`);
    for (const [what, re] of [
      ["extra column agents.legacy_score", /legacy_score/],
      ["too long agents.name", /agents[^\n]*name|name[^\n]*agents/],
      ["unknown enum label in agent_runs.status", /CANCELLED/],
      ["bad uuid in audit_events.agent_id", /not-a-uuid/],
    ] as const) {
      assert.match(r.output, re, `the refusal does not mention the ${what}:\n${r.output.slice(-3000)}`);
    }
    assert.ok(!r.output.includes(target.owner.password), "the CLI output contains the password");
    for (const t of TABLES.filter((x) => x !== "alembic_version")) {
      const [{ n }] = await server.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${t}"`, [], target.database);
      assert.equal(n, "0", `rows were written to ${t} before the refusal`);
    }
  });

  for (const mode of ["translate", "existing"] as const) {
    describe(`${mode} schema mode`, () => {
      let target: TargetDatabase;
      let app: RunningApp;
      let migrateOutput: string;

      before(async () => {
        target = await provisionTarget(server, `agentgrid_${mode}`);
        // Odd zones: a migration or app that silently uses the local or session zone shows up as a shifted instant.
        const cliEnv = { TZ: "Asia/Kathmandu", PGTZ: "Pacific/Chatham", PGPASSWORD: "" };
        const args = ["migrate", "--from", sqlitePath, "--to", target.owner.url];
        if (mode === "existing") {
          args.push("--schema-mode", "existing", "--schema-command", `"${python}" -m alembic upgrade head`);
        }
        const r = runCli(args, { ...cliEnv, DATABASE_URL: "" }, join(REPO, "test", "acceptance", "agentgrid-app"));
        migrateOutput = r.output;
        assert.equal(r.status, 0, `migrate (${mode}) failed:\n${r.output.slice(-6000)}`);
        app = await startApp(python, target.app.sqlalchemyUrl, { PGTZ: "America/St_Johns", TZ: "Pacific/Auckland" });
      });

      after(async () => {
        await app?.stop();
      });

      it("never prints the owner's password", () => {
        assert.ok(!migrateOutput.includes(target.owner.password), "the CLI output contains the password");
      });

      it("the app talks to PostgreSQL as the app role, not the owner", async () => {
        const health = (await (await fetch(`${app.baseUrl}/healthz`)).json()) as { dialect: string; user: string };
        assert.deepEqual(health, { status: "ok", dialect: "postgresql", user: target.app.role });
      });

      it("copies every row and keeps JSON null apart from SQL NULL", async () => {
        const lite = new Database(sqlitePath, { readonly: true });
        try {
          for (const t of TABLES) {
            const [{ n }] = await server.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${t}"`, [], target.database);
            const expected = (lite.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
            assert.equal(Number(n), expected, `rows in ${t}`);
          }
          for (const [t, c] of JSON_COLUMNS) {
            const src = lite.prepare(`SELECT sum("${c}" IS NULL) AS sql_null, sum("${c}" = 'null') AS json_null FROM "${t}"`).get() as { sql_null: number; json_null: number };
            const [dst] = await server.query<{ data_type: string; sql_null: string; json_null: string }>(
              `SELECT pg_typeof("${c}")::text AS data_type, count(*) FILTER (WHERE "${c}" IS NULL)::text AS sql_null,
                      count(*) FILTER (WHERE "${c}" = 'null'::jsonb)::text AS json_null FROM "${t}" GROUP BY 1`,
              [],
              target.database,
            );
            assert.equal(dst.data_type, "jsonb", `${t}.${c} is jsonb`);
            assert.deepEqual({ sql: Number(dst.sql_null), json: Number(dst.json_null) }, { sql: src.sql_null, json: src.json_null }, `${t}.${c} NULLs`);
          }
          assert.ok((lite.prepare(`SELECT count(*) AS n FROM agents WHERE config = 'null'`).get() as { n: number }).n > 0, "the seed has JSON nulls");
        } finally {
          lite.close();
        }
      });

      it("every endpoint returns the same JSON as on SQLite", async () => {
        const pg = await recordApi(app.baseUrl, agentIds);
        const problems = compareRecordings(sqliteRecording, pg);
        assert.deepEqual(problems, [], `the app answers differently on PostgreSQL (${mode}):\n${problems.slice(0, 40).join("\n")}`);
      });

      it("POST creates a Creator Studio agent with a JSONB config (defaults, sequence, JSONB write)", async () => {
        const owner = JSON.parse(sqliteRecording.find((e) => e.path === `/api/v1/agents/${agentIds[0]}`)!.body).owner.id as string;
        // Written as text: 9007199254740993 has no exact double, so JSON.stringify could not send it.
        const configText =
          '{"model":{"provider":"anthropic","name":"creator-1","params":{"temperature":0.7,"max_tokens":8192}},' +
          '"tools":["web_search","image_gen"],"studio":{"canvas":{"width":1920,"height":1080},"palette":["#ff0066","#00ccff"],' +
          '"locale":"日本語 ✓"},"budget_tokens":9007199254740993,"nothing":null}';
        const body = `{"owner_id":"${owner}","name":"Creator Studio","description":"Makes images — 🎨","status":"active","monthly_budget":"250.00","config":${configText}}`;
        const created = await fetch(`${app.baseUrl}/api/v1/agents/`, { method: "POST", headers: { "content-type": "application/json" }, body });
        const text = await created.text();
        assert.equal(created.status, 201, `POST failed: ${text}\n${app.log().slice(-3000)}`);
        const agent = JSON.parse(text) as { id: string; is_public: boolean; status: string; created_at: string; monthly_budget: string; runs: unknown[] };
        // The exact config came back, read from jsonb.
        const returned = parseJsonExact(text) as Map<string, JsonValue>;
        assert.deepEqual(jsonDifferences(parseJsonExact(configText), returned.get("config")!), []);
        assert.equal(agent.is_public, true, "server default of is_public");
        assert.equal(agent.status, "active");
        assert.equal(agent.monthly_budget, "250.00");
        assert.deepEqual(agent.runs, []);
        assert.ok(Math.abs(Date.parse(agent.created_at) - Date.now()) < 10 * 60_000, `server default now(): ${agent.created_at}`);
        const again = await fetch(`${app.baseUrl}/api/v1/agents/${agent.id}`);
        assert.deepEqual(jsonTextDifferences(await again.text(), text), []);
        const list = (await (await fetch(`${app.baseUrl}/api/v1/agents/?limit=1000`)).json()) as unknown[];
        assert.equal(list.length, seeded.agents + 1);
        // The audit event took the next value of the (reset) sequence.
        // (id::text: the engine's identity is bigint, Alembic's serial is integer.)
        const events = await queryAs<{ id: string; action: string; detail: unknown }>(target.app, `SELECT id::text AS id, action, detail FROM audit_events WHERE agent_id = $1`, [agent.id]);
        assert.deepEqual(events, [{ id: String(seeded.max_audit_event_id + 1), action: "agent.created", detail: { name: "Creator Studio", config_keys: ["budget_tokens", "model", "nothing", "studio", "tools"] } }]);
        const [{ raw }] = await queryAs<{ raw: string }>(target.app, `SELECT config->>'budget_tokens' AS raw FROM agents WHERE id = $1`, [agent.id]);
        assert.equal(raw, "9007199254740993", "jsonb kept the exact integer");
      });

      it("a JSONB containment query on config works, through the app and in SQL as the app role", async () => {
        const expected = (JSON.parse(sqliteRecording[0].body) as { id: string; config: unknown }[])
          .filter((a) => {
            const c = a.config as { model?: { provider?: string }; tools?: unknown } | null;
            return c !== null && typeof c === "object" && !Array.isArray(c) && c.model?.provider === "anthropic" && Array.isArray(c.tools) && c.tools.includes("web_search");
          })
          .map((a) => a.id);
        assert.ok(expected.length > 0 && expected.length < agentIds.length, "the filter selects some agents, not all");
        const created = (await queryAs<{ id: string }>(target.app, `SELECT id::text AS id FROM agents WHERE name = 'Creator Studio' AND description = 'Makes images — 🎨'`)).map((r) => r.id);
        const want = [...expected, ...created].sort();
        const sql = (await queryAs<{ id: string }>(target.app, `SELECT id::text AS id FROM agents WHERE config @> $1::jsonb ORDER BY id`, [JSON.stringify(CONTAINS)])).map((r) => r.id);
        assert.deepEqual(sql, want);
        const res = await fetch(`${app.baseUrl}/api/v1/agents/?limit=1000&config_contains=${encodeURIComponent(JSON.stringify(CONTAINS))}`);
        assert.equal(res.status, 200, await res.clone().text());
        assert.deepEqual(((await res.json()) as { id: string }[]).map((a) => a.id).sort(), want);
      });

      it("alembic current reports the same head and alembic upgrade head is a no-op", async () => {
        const fingerprint = async () =>
          (
            await server.query<{ f: string }>(
              `SELECT string_agg(x, E'\\n' ORDER BY x) AS f FROM (
                 SELECT format('col %s.%s %s %s %s', table_name, column_name, udt_name, is_nullable, column_default) AS x
                   FROM information_schema.columns WHERE table_schema = 'public'
                 UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
                 UNION ALL SELECT format('con %s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                 UNION ALL SELECT 'ver ' || version_num FROM alembic_version) s`,
              [],
              target.database,
            )
          )[0].f;
        const beforeUpgrade = await fingerprint();
        assert.equal(currentRevision(runPythonOk(python, target.owner.sqlalchemyUrl, ["alembic", "current"])), head);
        assert.equal(currentRevision(runPythonOk(python, target.app.sqlalchemyUrl, ["alembic", "current"])), head, "as the app role too");
        const upgrade = runPython(python, target.owner.sqlalchemyUrl, ["alembic", "upgrade", "head"]);
        assert.equal(upgrade.status, 0, upgrade.output);
        assert.doesNotMatch(upgrade.output, /Running upgrade/, "alembic upgrade head ran a migration");
        assert.equal(await fingerprint(), beforeUpgrade, "the schema changed");
      });
    });
  }
});
