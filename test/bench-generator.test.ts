/**
 * The benchmark's inputs are what they claim to be: the generated database is
 * deterministic and has the promised shapes, and the limit pipeline loads it
 * value for value into the same types our engine uses. No timings here:
 * performance lives in `npm run bench` only.
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ensureBenchDb, tableSizes } from "../bench/generate-db";
import { limitPipelineSkipReason, runLimitPipeline } from "../bench/limit-pipeline";
import { withPostgres } from "./support/postgres";

const ROWS = 3000;

function digest(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const h = createHash("sha256");
    for (const t of ["users", "agents", "agent_runs"]) {
      for (const row of db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).raw().iterate()) h.update(JSON.stringify(row));
    }
    return h.digest("hex");
  } finally {
    db.close();
  }
}

describe("bench database generator", () => {
  const dirs = [mkdtempSync(join(tmpdir(), "s2p-gen-a-")), mkdtempSync(join(tmpdir(), "s2p-gen-b-"))];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("is deterministic and caches by row count", () => {
    const a = ensureBenchDb(ROWS, dirs[0]);
    const b = ensureBenchDb(ROWS, dirs[1]);
    assert.equal(a.generated, true);
    assert.equal(digest(a.path), digest(b.path));
    const again = ensureBenchDb(ROWS, dirs[0]);
    assert.equal(again.generated, false);
    assert.equal(again.path, a.path);
  });

  it("has the promised shapes, keys and indexes", () => {
    const { path } = ensureBenchDb(ROWS, dirs[0]);
    const db = new Database(path, { readonly: true });
    try {
      const sizes = tableSizes(ROWS);
      for (const [t, n] of Object.entries(sizes)) {
        assert.equal((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, n, t);
      }
      const runs = db.prepare("SELECT id, started_at, finished_at, success, score, cost, payload FROM agent_runs").all() as {
        id: string; started_at: string; finished_at: string | null; success: number; score: number | null; cost: number; payload: string;
      }[];
      assert.equal(new Set(runs.map((r) => r.id)).size, ROWS, "uuids are unique");
      const micro = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;
      for (const r of runs) {
        assert.match(r.id, /^[0-9a-f]{32}$/);
        assert.match(r.started_at, micro);
        if (r.finished_at !== null) assert.match(r.finished_at, micro);
        assert.ok(r.success === 0 || r.success === 1);
        assert.match(String(r.cost), /^\d+(\.\d{1,4})?$/, "NUMERIC(10,4) values have at most 4 decimals");
        JSON.parse(r.payload);
      }
      // Doubles that need all 17 significant digits: a 15-digit rendering would lose them.
      const full = runs.filter((r) => r.score !== null && Number((r.score as number).toPrecision(15)) !== r.score);
      assert.ok(full.length > ROWS / 2, `most scores need 17 digits (got ${full.length})`);
      assert.ok(runs.some((r) => r.finished_at === null) && runs.some((r) => r.score === null), "nullable columns hold NULLs");
      assert.deepEqual(db.prepare("PRAGMA foreign_key_check").all(), []);
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      assert.deepEqual(indexes, ["ix_agent_runs_agent_started", "ix_agent_runs_status", "ix_agent_runs_user_id", "ix_agents_owner_id"]);
    } finally {
      db.close();
    }
  });
});

describe("bench limit pipeline", { skip: limitPipelineSkipReason() }, () => {
  const pg = withPostgres();
  const dir = mkdtempSync(join(tmpdir(), "s2p-limit-test-"));
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads every agent_runs value exactly, in our target types", async () => {
    const { path } = ensureBenchDb(ROWS, dir);
    const database = await pg.createDatabase("limit");
    const m = await runLimitPipeline(path, { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database });
    assert.equal(m.exitCode, 0, m.stderr);
    const rows = await pg.query<{
      id: string; agent_id: string; started_at: string; finished_at: string | null; success: boolean;
      score: number | null; cost: string; tokens: string; payload: unknown; output: string | null;
    }>(
      `SELECT replace(id::text, '-', '') AS id, agent_id::text, success, score, cost::text, tokens::text, payload, output,
              to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS started_at,
              to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS finished_at
         FROM agent_runs`,
      [],
      database,
    );
    assert.equal(rows.length, ROWS);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const db = new Database(path, { readonly: true });
    try {
      const source = db.prepare("SELECT * FROM agent_runs").all() as {
        id: string; agent_id: number; started_at: string; finished_at: string | null; success: number;
        score: number | null; cost: number; tokens: number; payload: string; output: string | null;
      }[];
      for (const s of source) {
        const t = byId.get(s.id);
        assert.ok(t, `row ${s.id} loaded`);
        assert.equal(t.agent_id, String(s.agent_id));
        assert.equal(t.started_at, s.started_at);
        assert.equal(t.finished_at, s.finished_at);
        assert.equal(t.success, s.success === 1);
        assert.equal(t.score, s.score, `score of ${s.id}`);
        assert.equal(Number(t.cost), s.cost);
        assert.equal(t.tokens, String(s.tokens));
        assert.deepEqual(t.payload, JSON.parse(s.payload));
        assert.equal(t.output, s.output);
      }
    } finally {
      db.close();
    }
    const types = await pg.query<{ c: string; t: string }>(
      "SELECT attname AS c, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'agent_runs'::regclass AND attnum > 0 ORDER BY attnum",
      [],
      database,
    );
    assert.deepEqual(Object.fromEntries(types.map((r) => [r.c, r.t])), {
      id: "uuid", agent_id: "bigint", user_id: "bigint", status: "character varying(20)", payload: "jsonb",
      started_at: "timestamp with time zone", finished_at: "timestamp with time zone", success: "boolean",
      score: "double precision", cost: "numeric(10,4)", tokens: "bigint", output: "text",
    });
  });
});
