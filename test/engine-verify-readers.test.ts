/**
 * Verification on reader threads (`migrate/verify-readers.ts`) against a
 * real PostgreSQL 16 and a real SQLite file: the float8 text it predicts is
 * PostgreSQL's own, the pass concludes by itself on a clean migration
 * (doubles, numeric, JSON, uuid, datetimes, escapes, non-ASCII), judges the
 * lines it could not predict, and gives up (the single-thread passes then
 * decide and name the difference) when PostgreSQL's rows are in another
 * order or a value differs. The readers stay usable after a cancelled pass.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { migrate, verify } from "../migrate/index";
import { pgFloat8Text } from "../migrate/float-text";
import type { FastOutcome } from "../migrate/verify-fast";
import { readerVerifyTable } from "../migrate/verify-readers";
import { withPostgres } from "./support/postgres";
import { readerPassTwice } from "./support/reader-pass";
import { DUPLICATE_KEYS_JSON, idOf, RUN_NOTES, RUN_PAYLOADS } from "./support/runs-values";

const server = withPostgres();
let dir: string;
let file: string;
let db: string;

const ROWS = 3000;

function makeSource(path: string): void {
  const w = new Database(path);
  w.exec(`CREATE TABLE runs (
    id CHAR(32) PRIMARY KEY,
    n INTEGER,
    payload JSON,
    at DATETIME,
    score REAL,
    cost NUMERIC(10,4),
    note TEXT,
    ok BOOLEAN
  )`);
  const ins = w.prepare(`INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const times = ["2024-02-11 20:11:41.780909", "2024-02-11 20:11:41.780900", "2024-02-11 20:11:41", "2024-02-11 20:11:41.000000", "2024-02-11 20:10:00.120000"];
  // 7.690858171679059e+16: PostgreSQL prints 17 digits where the shortest has 16 (not predicted, judged as doubles).
  const scores = [0.1, 1483.8198528034973, 1e-7, 1e20, -2.5, 123456789012345680000, 5, null, 76908581716790600, 0.30000000000000004, -0.0001];
  const tx = w.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      ins.run(idOf(i), i % 7 === 0 ? null : i * 1_000_003, i % 50 === 4 ? DUPLICATE_KEYS_JSON : RUN_PAYLOADS[i % RUN_PAYLOADS.length], times[i % times.length], scores[i % scores.length], i % 9 === 0 ? 5 : Number(((i * 37.1234) % 9999).toFixed(4)), RUN_NOTES[i % RUN_NOTES.length], i % 3 === 0 ? 1 : 0);
    }
  });
  tx();
  w.close();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "s2p-verify-readers-"));
  file = join(dir, "runs.db");
  makeSource(file);
  db = await server.createDatabase("verifyreaders");
  const report = await migrate({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0 });
  assert.equal(report.verified, true);
});
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("float8 text", () => {
  test("is PostgreSQL's for doubles below 1e16, and always reads back as the same double", async () => {
    const values = [0, 1, -1, 0.1, 1e-4, 9.999999999999999e-5, 1e-5, 1e15, 999999999999999.9, 1e14, 1e21, 5e-324, 1.7976931348623157e308, 0.30000000000000004, 1.5e-7, 2 ** 53, 76908581716790600];
    const bits = new DataView(new ArrayBuffer(8));
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20000; i++) {
      if (i % 2) { bits.setUint32(0, (rand() * 2 ** 32) >>> 0); bits.setUint32(4, (rand() * 2 ** 32) >>> 0); const v = bits.getFloat64(0); if (Number.isFinite(v)) values.push(v); }
      else values.push(Number((rand() * 10 ** (Math.floor(rand() * 40) - 20)).toPrecision(1 + Math.floor(rand() * 17))));
    }
    const c = new Client({ connectionString: server.url() });
    await c.connect();
    try {
      await c.query("SET extra_float_digits = 1");
      const r = await c.query({ text: "SELECT x::text FROM unnest($1::float8[]) WITH ORDINALITY AS u(x, n) ORDER BY n", values: [values.map((v) => v.toExponential())], rowMode: "array" });
      let differs = 0;
      values.forEach((v, i) => {
        const ours = pgFloat8Text(v);
        assert.equal(Number(ours), v, `${ours} reads back as ${v}`);
        if (Math.abs(v) < 1e16) assert.equal(ours, r.rows[i][0], `float8 text of ${v}`);
        else if (ours !== r.rows[i][0]) differs++;
      });
      // Some of the large ones differ (PostgreSQL's Ryu keeps 17 digits): costs a recheck, never a wrong answer.
      assert.ok(differs > 0 && differs < values.length / 10, `large values printed differently: ${differs}`);
    } finally {
      await c.end();
    }
    assert.equal(pgFloat8Text(-0), "-0");
    assert.equal(pgFloat8Text(Infinity), "Infinity");
    assert.equal(pgFloat8Text(1e-5), "1e-05");
    assert.equal(pgFloat8Text(1e15), "1e+15");
  });
});

/** The reader pass alone over the table (2 readers, split into many rowid ranges). */
async function readerPass(): Promise<FastOutcome | null> {
  return readerPassTwice(readerVerifyTable, file, server.url(db), ROWS);
}

describe("reader pass", () => {
  test("concludes equal by itself on a clean migration, rechecking only what it could not predict", async () => {
    const out = await readerPass();
    assert.ok(out && out.equal === true, JSON.stringify(out));
    // Duplicate-key JSON (every 50th row) and the 17-digit double (every 11th) are judged again, nothing else.
    let expected = 0;
    for (let i = 1; i <= ROWS; i++) if (i % 50 === 4 || i % 11 === 8) expected++;
    assert.equal(out.rechecked, expected);
  });

  test("gives up when PostgreSQL's rows are in another order; verification still concludes equal", async () => {
    // Same values, new row versions: they move to the end of the heap.
    await server.query(`UPDATE runs SET n = n WHERE id::text < '00000100'`, [], db);
    try {
      const out = await readerPass();
      assert.ok(out && out.equal === "unsure", JSON.stringify(out));
      const v = await verify({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0 });
      assert.equal(v.equal, true, JSON.stringify(v.mismatches));
    } finally {
      await server.query(`CLUSTER runs USING runs_pkey`, [], db);
    }
  });

  test("a changed double, JSON or text value is not accepted; verification names table, column and key", async () => {
    const cases: [string, string, string][] = [
      ["score", `UPDATE runs SET score = score + 1e-9 WHERE id = '${idOf(2)}'`, `UPDATE runs SET score = 1483.8198528034973 WHERE id = '${idOf(2)}'`],
      ["payload", `UPDATE runs SET payload = '{"b": 1, "a": {"z": [1, 2.50, "x"], "y": null}, "ccc": false}' WHERE id = '${idOf(6)}'`, `UPDATE runs SET payload = '{"b": 1, "a": {"z": [1, 2.50, "x"], "y": null}, "ccc": true}' WHERE id = '${idOf(6)}'`],
      ["note", `UPDATE runs SET note = 'plain ' WHERE id = '${idOf(8)}'`, `UPDATE runs SET note = 'plain' WHERE id = '${idOf(8)}'`],
    ];
    for (const [column, change, undo] of cases) {
      // Rewritten in key order (= rowid order here) after the change: only the value differs.
      await server.query(change, [], db);
      await server.query(`CLUSTER runs USING runs_pkey`, [], db);
      try {
        const out = await readerPass();
        assert.ok(out && out.equal === "unsure", `${column}: ${JSON.stringify(out)}`);
        const v = await verify({ from: file, to: server.url(db), jobs: 2, parallelMinRows: 0 });
        assert.equal(v.equal, false, column);
        assert.ok(v.mismatches.some((m) => m.table === "runs" && m.column === column && m.key?.includes(idOf(column === "score" ? 2 : column === "payload" ? 6 : 8))), `${column}: ${JSON.stringify(v.mismatches)}`);
      } finally {
        await server.query(undo, [], db);
        await server.query(`CLUSTER runs USING runs_pkey`, [], db);
      }
    }
  });
});
