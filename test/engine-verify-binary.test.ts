/**
 * Verification over binary COPY on reader threads (`migrate/verify-binary.ts`,
 * `migrate/binary-predict.ts`) against a real PostgreSQL 16 and a real
 * SQLite file: datetime texts become PostgreSQL's own timestamptz bytes,
 * the pass concludes by itself on a clean migration of every kind it
 * predicts (int8/int4/int2, boolean, double, numeric as double, uuid in
 * both spellings, text, jsonb, timestamptz, bytea), judges only what it
 * could not predict, and gives up (the text passes then decide and name
 * the difference) when rows are in another order or a value differs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { binaryKinds, timestamptzMicros } from "../migrate/binary-predict";
import { migrate, planFromDatabase, verify } from "../migrate/index";
import { setSession } from "../migrate/migrate";
import { binaryVerifyTable } from "../migrate/verify-binary";
import { withPostgres } from "./support/postgres";
import { readerPassTwice } from "./support/reader-pass";
import { DUPLICATE_KEYS_JSON, idOf, RUN_NOTES, RUN_PAYLOADS } from "./support/runs-values";

const server = withPostgres();
let dir: string;
let file: string;
let db: string;

const ROWS = 3000;
const OVERRIDES = { "runs.small": "smallint", "runs.mid": "integer" };
const TIMES = ["2024-02-11 20:11:41.780909", "2024-02-11T20:11:41.7809", "2024-02-11 20:11", "2024-02-11", "1999-12-31 23:59:59.999999Z", "2024-02-29 01:02:03+05:30", "1900-03-01 00:00:00-0800", "2400-02-29 12:00:00.5"];
const SCORES = [0.1, 1483.8198528034973, 1e-7, 1e20, -2.5, 123456789012345680000, 5, null, 76908581716790600, 0.30000000000000004, -0.0001, 9e999];

function makeSource(path: string): void {
  const w = new Database(path);
  // id holds dashed UUIDs: declared UUID (UUID-shaped text in CHAR(36) stays text, issue 16).
  w.exec(`CREATE TABLE runs (
    id UUID PRIMARY KEY,
    ref_id CHAR(32),
    n INTEGER,
    small INTEGER,
    mid INTEGER,
    payload JSON,
    at DATETIME,
    score REAL,
    cost NUMERIC(10,4),
    note TEXT,
    label VARCHAR(40),
    ok BOOLEAN,
    blob BLOB
  )`);
  const ins = w.prepare(`INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const dashed = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  const tx = w.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      ins.run(
        dashed(idOf(i)), i % 5 === 0 ? null : idOf(i * 7).toUpperCase(), i % 7 === 0 ? null : (i % 2 ? 1 : -1) * i * 1_000_000_007, (i % 600) - 300, i * 1000 - 1_500_000,
        i % 50 === 4 ? DUPLICATE_KEYS_JSON : RUN_PAYLOADS[i % RUN_PAYLOADS.length], i % 13 === 0 ? null : TIMES[i % TIMES.length], SCORES[i % SCORES.length],
        // Row 1500's note alone is bigger than a shared slot (128 KB): its chunk travels as a string.
        i % 9 === 0 ? 5 : Number(((i * 37.1234) % 9999).toFixed(4)), i === 1500 ? "é\t".repeat(70_000) : RUN_NOTES[i % RUN_NOTES.length], `label ${i}`, i % 3 === 0 ? 1 : 0,
        i % 4 === 0 ? null : Buffer.from([i & 255, 0, 10, 92, 255]),
      );
    }
  });
  tx();
  w.close();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "s2p-verify-binary-"));
  file = join(dir, "runs.db");
  makeSource(file);
  db = await server.createDatabase("verifybinary");
  const report = await migrate({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0, typeOverrides: OVERRIDES });
  assert.equal(report.verified, true);
});
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("timestamptz bytes", () => {
  test("are PostgreSQL's own for each form read, and null for forms left to the text passes", async () => {
    const read = [...TIMES, "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1970-01-01T00:00:00Z", "2024-06-30 12:00:00-02", "2024-06-30 12:00:00+1445".replace("1445", "14:45"), "1582-10-10 10:10:10.1"];
    const c = new Client({ connectionString: server.url() });
    await c.connect();
    try {
      await setSession(c, "UTC");
      for (const s of read) {
        const us = timestamptzMicros(s);
        assert.notEqual(us, null, s);
        const r = await c.query({ text: "SELECT encode(timestamptz_send($1::timestamptz), 'hex') AS h", values: [s] });
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(BigInt(us!));
        assert.equal(b.toString("hex"), r.rows[0].h, s);
      }
    } finally {
      await c.end();
    }
    for (const s of ["2024-02-30 00:00:00", "2024-02-11 24:00:00", "2024-02-11 20:11:60", "2024-02-11 20:11:41.1234567", "2024-02-11 20:11:41 UTC", "2024-02-11 20:11:41z", " 2024-02-11", "20240211", "2024-2-11", "0000-01-01"]) {
      assert.equal(timestamptzMicros(s), null, s);
    }
  });

  test("a table with a kind the binary pass does not predict is left to the text passes", () => {
    const plan = planFromDatabase(new Database(file, { readonly: true }), file, { typeOverrides: OVERRIDES });
    assert.ok(binaryKinds(plan.tables[0].columns, "UTC"), "every column of runs has a binary kind");
    assert.equal(binaryKinds(plan.tables[0].columns, "Europe/Paris"), null, "naive datetimes outside UTC");
    assert.equal(binaryKinds(plan.tables[0].columns.map((c) => (c.source === "label" ? { ...c, pgType: "char(40)" } : c)), "UTC"), null, "char(n) pads");
  });
});

/** The binary pass alone over the table (2 readers, many rowid ranges), run twice on the same readers. */
async function binaryPass(): Promise<Awaited<ReturnType<typeof binaryVerifyTable>>> {
  return readerPassTwice(binaryVerifyTable, file, server.url(db), ROWS, { typeOverrides: OVERRIDES });
}

describe("binary pass", () => {
  test("concludes equal by itself on a clean migration, rechecking only the JSON it could not predict", async () => {
    const types = await server.query<{ column_name: string; data_type: string }>(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'runs' ORDER BY ordinal_position`, [], db);
    assert.deepEqual(types.map((r) => r.data_type), ["uuid", "uuid", "bigint", "smallint", "integer", "jsonb", "timestamp with time zone", "double precision", "numeric", "text", "character varying", "boolean", "bytea"]);
    const out = await binaryPass();
    assert.ok(out && out.equal === true, JSON.stringify(out));
    // Duplicate-key JSON (every 50th row) only: doubles travel as their 8 bytes, so 1e16+ ones need no recheck.
    let expected = 0;
    for (let i = 1; i <= ROWS; i++) if (i % 50 === 4) expected++;
    assert.equal(out.rechecked, expected);
  });

  test("gives up when PostgreSQL's rows are in another order; verification still concludes equal", async () => {
    await server.query(`UPDATE runs SET n = n WHERE id::text < '00000100'`, [], db);
    try {
      const out = await binaryPass();
      assert.ok(out && out.equal === "unsure", JSON.stringify(out));
      const v = await verify({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0, typeOverrides: OVERRIDES });
      assert.equal(v.equal, true, JSON.stringify(v.mismatches));
    } finally {
      await server.query(`CLUSTER runs USING runs_pkey`, [], db);
    }
  });

  test("a changed value of each kind is not accepted; verification names table, column and key", async () => {
    const row = 27; // not a duplicate-key JSON row, every column non-NULL
    const id = (await server.query<{ id: string }>(`SELECT id::text FROM runs ORDER BY id OFFSET ${row - 1} LIMIT 1`, [], db))[0].id;
    const cases: [string, string][] = [
      ["n", "n = n + 1"], ["small", "small = small + 1"], ["mid", "mid = mid - 1"], ["ref_id", "ref_id = gen_random_uuid()"],
      ["payload", `payload = payload || '{"extra": 1}'`], ["at", "at = at + interval '1 microsecond'"], ["score", "score = score * (1 + 1e-15)"],
      ["cost", "cost = cost + 0.0001"], ["note", "note = note || ' '"], ["label", "label = upper(label)"], ["ok", "ok = NOT ok"], ["blob", "blob = blob || '\\x00'::bytea"],
    ];
    await server.query(`CREATE TABLE runs_keep AS SELECT * FROM runs WHERE id = $1`, [id], db);
    for (const [column, set] of cases) {
      await server.query(`UPDATE runs SET ${set} WHERE id = $1`, [id], db);
      await server.query(`CLUSTER runs USING runs_pkey`, [], db);
      try {
        const out = await binaryPass();
        assert.ok(out && out.equal === "unsure", `${column}: ${JSON.stringify(out)}`);
        assert.match(out.reason, new RegExp(`column ${column}$`), column);
        const v = await verify({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0, typeOverrides: OVERRIDES });
        assert.equal(v.equal, false, column);
        assert.ok(v.mismatches.some((m) => m.table === "runs" && m.column === column && m.key?.includes(id)), `${column}: ${JSON.stringify(v.mismatches)}`);
      } finally {
        await server.query(`UPDATE runs r SET ${column} = k.${column} FROM runs_keep k WHERE r.id = k.id`, [], db);
        await server.query(`CLUSTER runs USING runs_pkey`, [], db);
      }
    }
    await server.query(`DROP TABLE runs_keep`, [], db);
    const v = await verify({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0, typeOverrides: OVERRIDES });
    assert.equal(v.equal, true, JSON.stringify(v.mismatches));
  });
});
