/**
 * Every database of the shared corpus either migrates and verifies
 * losslessly, or is refused with the specific error listed here, before
 * the target is touched. Also runs the CLI (`plan` on every file without a
 * server; `migrate` and `verify` on a few) and checks its exit codes.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { migrate, verify } from "../migrate/index";
import { catalogSnapshot, relationsIn } from "./support/catalog-snapshot";
import { withPostgres } from "./support/postgres";
import { CORPUS_DIR as CORPUS, corpusSkip } from "./support/corpus";
import { runCli } from "./support/run-cli";


type Expected =
  | {
      outcome: "migrates";
      /** Views that must exist in PostgreSQL afterwards. */
      views?: number;
      /** Each must match one of the report's warnings. */
      warnings?: RegExp[];
    }
  | {
      outcome: "refused";
      /** Each must match the error message. */
      errors: RegExp[];
      /** An explicit, lossless choice that makes the file migrate (and verify). */
      fixedBy?: Record<string, string>;
    };

const EXPECTED: Record<string, Expected> = {
  "chinook.sqlite": { outcome: "migrates" },
  "chinook_autoincrement_pks.sqlite": { outcome: "migrates" },
  "dblab_EssentialSQL.db": { outcome: "migrates" },
  "northwind_jpwhite3_create_sql.db": {
    outcome: "migrates",
    views: 10,
    warnings: [
      // (FirstName + ' ' + LastName): SQLite's + turns text into numbers.
      /view Invoices not created: "\+" on text/,
      // OrderDate BETWEEN DATETIME('1997-01-01') AND DATETIME('1997-12-31') compares text in SQLite: stored
      // '1997-12-31 00:00:00.000' is outside the range there, inside it in PostgreSQL.
      /view Quarterly Orders not created: comparison involving "Orders"\."OrderDate"/,
      /view Product Sales for 1997 not created: comparison involving/,
      /view Category Sales for 1997 not created: .*Product Sales for 1997" does not exist/,
    ],
  },
  "northwind_small.db": {
    outcome: "migrates",
    views: 10,
    warnings: [/view Invoices not created: "\+" on text/, /ProductDetails_V not created: .*column c\.id does not exist/, /view Sales by Category not created: comparison involving/],
  },
  "pgloader_bad-utf8.db": {
    outcome: "refused",
    errors: [/table "files" column "filename"/, /row id=2/, /x'66696c65966e616d652e747874'/, /--type files\.filename=bytea/],
    fixedBy: { "files.filename": "bytea" },
  },
  "pgloader_chinook_sqlite.sqlite": { outcome: "migrates" },
  "pgloader_chinook_sqlite_autoincrementpks.sqlite": { outcome: "migrates" },
  "pgloader_cli_with.db": { outcome: "migrates" },
  "pgloader_collision.db": {
    outcome: "migrates",
    warnings: [/col_very_long_name_that_exceeds_postgresql_identifier_limit_aaax → \S+ \(shortened\)/, /col_very_long_name_that_exceeds_postgresql_identifier_limit_aaay → \S+ \(shortened\)/],
  },
  "pgloader_matviews.sqlite": { outcome: "migrates", views: 2 },
  "pgloader_matviews_def.sqlite": { outcome: "migrates" },
  "pgloader_spaced_path.sqlite": { outcome: "migrates" },
  "pgloader_sqlite.db": {
    outcome: "refused",
    // `id integer auto_increment primary key` is not a rowid alias, so SQLite let NULLs in; and 'toto' sits in an integer column.
    errors: [/table "autoinc".*NULL in primary key \(id\)/, /table "intege" column "id".*'toto'.*--type intege\.id=text/],
  },
  "pgloader_storage.sqlite": { outcome: "migrates" },
  "pgloader_test_pk.db": { outcome: "migrates" },
  "pgloader_type-mismatch.db": {
    outcome: "refused",
    errors: [/table "products" column "qty"/, /row id=2/, /'lots-of-it'/, /--type products\.qty=text/],
    fixedBy: { "products.qty": "text" },
  },
  "sakila_jooq_schema_pgdata.sqlite": { outcome: "migrates", views: 5, warnings: [/30 trigger\(s\) not migrated/] },
};

const files = corpusSkip ? [] : readdirSync(CORPUS).filter((f) => /\.(db|sqlite)$/.test(f)).sort();

/** SQLite tables that are copied (not internal, not FTS shadow tables), with row counts. */
function sourceTables(file: string): Map<string, number> {
  const db = new Database(resolve(CORPUS, file), { readonly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().all() as string[];
    return new Map(names.map((n) => [n, Number(db.prepare(`SELECT count(*) FROM "${n.replace(/"/g, '""')}"`).pluck().get())]));
  } finally {
    db.close();
  }
}

/**
 * A value as text comparable across engines: numbers to 12 significant digits (SQLite computes view
 * arithmetic in doubles, PostgreSQL partly in numeric), dates as UTC instants, booleans as 0/1.
 */
function comparable(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "1" : "0";
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `x${v.toString("hex")}`;
  if (typeof v === "number" || typeof v === "bigint") return String(Number(Number(v).toPrecision(12)));
  const s = String(v);
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return comparable(Number(s));
  const m = /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d:\d\d(?:\.\d+)?))?$/.exec(s);
  if (m) return new Date(`${m[1]}T${m[2] ?? "00:00:00"}Z`).toISOString();
  return s;
}

const server = withPostgres();

test("the expectation table lists exactly the corpus files", { skip: corpusSkip }, () => {
  assert.deepEqual(Object.keys(EXPECTED).sort(), files);
});

describe("corpus: migrate + verify, or refuse before touching the target", () => {
  for (const file of files) {
    const expected = EXPECTED[file];
    if (!expected) continue;
    const from = resolve(CORPUS, file);
    if (expected.outcome === "migrates") {
      test(`${file} migrates and verifies losslessly`, async () => {
        const db = await server.createDatabase("corpus");
        const report = await migrate({ from, to: server.url(db) });
        assert.equal(report.verified, true);
        for (const w of expected.warnings ?? []) assert.ok(report.warnings.some((x) => w.test(x)), `no warning matches ${w}: ${JSON.stringify(report.warnings)}`);
        // Independent of the engine's own check: every SQLite table is there with the same row count.
        const tables = sourceTables(file);
        assert.equal(report.tables.length, tables.size);
        for (const t of report.tables) {
          assert.ok(tables.has(t.source), `unexpected table ${t.source}`);
          const [row] = await server.query<{ n: string }>(`SELECT count(*) AS n FROM public."${t.target.replace(/"/g, '""')}"`, [], db);
          assert.equal(Number(row.n), tables.get(t.source), `row count of ${t.source}`);
        }
        const rels = await relationsIn(server, db);
        assert.equal(rels.filter((r) => r.kind === "v").length, expected.views ?? 0, `views: ${JSON.stringify(rels.filter((r) => r.kind === "v"))}`);
        // Every view that was created returns the same rows as in SQLite.
        for (const view of rels.filter((r) => r.kind === "v")) {
          const src = new Database(from, { readonly: true });
          const want = (src.prepare(`SELECT * FROM "${view.name.replace(/"/g, '""')}"`).raw().all() as unknown[][]).map((row) => JSON.stringify(row.map(comparable))).sort();
          src.close();
          const got = (await server.query(`SELECT * FROM public."${view.name.replace(/"/g, '""')}"`, [], db)).map((row) => JSON.stringify(Object.values(row).map(comparable))).sort();
          assert.deepEqual(got, want, `view ${view.name}`);
        }
        // A second, separate verification against the committed data.
        const v = await verify({ from, to: server.url(db) });
        assert.equal(v.equal, true, JSON.stringify(v.mismatches.slice(0, 5)));
        assert.equal(v.tables.length, tables.size);
      });
    } else {
      test(`${file} is refused with a precise error and the target untouched`, async () => {
        const db = await server.createDatabase("corpus");
        const beforeSnap = await catalogSnapshot(server, db);
        await assert.rejects(migrate({ from, to: server.url(db) }), (err: Error) => {
          for (const e of expected.errors) assert.match(err.message, e);
          assert.ok(!err.message.includes(server.password), "password in message");
          return true;
        });
        assert.equal(await catalogSnapshot(server, db), beforeSnap);
      });
      if (expected.fixedBy) {
        const overrides = expected.fixedBy;
        test(`${file} migrates losslessly with the explicit choice ${JSON.stringify(overrides)}`, async () => {
          const db = await server.createDatabase("corpus");
          const report = await migrate({ from, to: server.url(db), typeOverrides: overrides });
          assert.equal(report.verified, true);
          const v = await verify({ from, to: server.url(db), typeOverrides: overrides });
          assert.equal(v.equal, true, JSON.stringify(v.mismatches.slice(0, 5)));
          // The offending value arrived intact.
          if (file === "pgloader_type-mismatch.db") {
            const rows = await server.query<{ id: string; qty: string }>("SELECT id, qty FROM public.products ORDER BY id", [], db);
            assert.deepEqual(rows.map((r) => [Number(r.id), r.qty]), [[1, "10"], [2, "lots-of-it"], [3, "5"]]);
          }
          if (file === "pgloader_bad-utf8.db") {
            const rows = await server.query<{ id: string; filename: Buffer }>("SELECT id, filename FROM public.files ORDER BY id", [], db);
            assert.deepEqual(rows.map((r) => [Number(r.id), r.filename.toString("hex")]), [
              [1, Buffer.from("valid-file.txt").toString("hex")],
              [2, "66696c65966e616d652e747874"],
              [3, Buffer.from("another-valid.txt").toString("hex")],
            ]);
          }
        });
      }
    }
  }
});

describe("CLI on the corpus", { skip: corpusSkip }, () => {
  for (const file of files) {
    const expected = EXPECTED[file];
    if (!expected) continue;
    test(`plan --from ${file} (no server): exit ${expected.outcome === "migrates" ? 0 : 1}`, async () => {
      const r = await runCli(["plan", "--from", resolve(CORPUS, file)]);
      assert.equal(r.code, expected.outcome === "migrates" ? 0 : 1, r.stderr);
      for (const t of sourceTables(file).keys()) assert.ok(r.stdout.includes(t), `plan does not mention table ${t}`);
      if (expected.outcome === "refused") for (const e of expected.errors) assert.match(r.stdout + r.stderr, e);
    });
  }

  test("plan --json is machine-readable and lists every table with chosen types and reasons", async () => {
    const r = await runCli(["plan", "--from", resolve(CORPUS, "chinook.sqlite"), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { tables: { source: string; columns: { source: string; pgType: string; reason: string }[] }[] };
    assert.deepEqual(plan.tables.map((t) => t.source).sort(), [...sourceTables("chinook.sqlite").keys()].sort());
    const invoice = plan.tables.find((t) => t.source === "Invoice")!;
    const total = invoice.columns.find((c) => c.source === "Total")!;
    assert.match(total.pgType, /^numeric\(10,\s?2\)$/);
    assert.ok(total.reason.length > 0);
  });

  test("migrate then verify through the CLI: exit 0, password never printed", async () => {
    const db = await server.createDatabase("cli");
    const url = server.url(db);
    const m = await runCli(["migrate", "--from", resolve(CORPUS, "chinook.sqlite"), "--to", url]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /migrated 11 tables/);
    const v = await runCli(["verify", "--from", resolve(CORPUS, "chinook.sqlite"), "--to", url]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /verified/);
    for (const out of [m.stdout, m.stderr, v.stdout, v.stderr]) assert.ok(!out.includes(server.password));
  });

  test("migrate with PGPASSWORD and --report, on a file whose table names have spaces", async () => {
    const db = await server.createDatabase("cli");
    const urlNoPassword = `postgresql://${server.user}@${server.host}:${server.port}/${db}`;
    const reportPath = resolve(tmpdir(), `s2p-report-${process.pid}.json`);
    const m = await runCli(["migrate", "--from", resolve(CORPUS, "northwind_small.db"), "--to", urlNoPassword, "--report", reportPath], { PGPASSWORD: server.password });
    assert.equal(m.code, 0, m.stderr);
    assert.ok(!m.stdout.includes(server.password) && !m.stderr.includes(server.password));
    const report = JSON.parse(readFileSync(reportPath, "utf8")) as { verified: boolean; tables: { source: string; rows: number }[] };
    rmSync(reportPath, { force: true });
    assert.equal(report.verified, true);
    assert.equal(report.tables.find((t) => t.source === "Order Details")?.rows, sourceTables("northwind_small.db").get("Order Details"));
  });

  test("a refused file: migrate exits 1 naming the row and the fix; the target is untouched", async () => {
    const db = await server.createDatabase("cli");
    const beforeSnap = await catalogSnapshot(server, db);
    const m = await runCli(["migrate", "--from", resolve(CORPUS, "pgloader_type-mismatch.db"), "--to", server.url(db)]);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /table "products" column "qty".*row id=2.*--type products\.qty=text/s);
    assert.equal(await catalogSnapshot(server, db), beforeSnap);
    const fixed = await runCli(["migrate", "--from", resolve(CORPUS, "pgloader_type-mismatch.db"), "--to", server.url(db), "--type", "products.qty=text"]);
    assert.equal(fixed.code, 0, fixed.stderr);
  });

  test("verify exits 1 when the target differs, naming table, column and key", async () => {
    const db = await server.createDatabase("cli");
    const from = resolve(CORPUS, "pgloader_matviews.sqlite");
    assert.equal((await runCli(["migrate", "--from", from, "--to", server.url(db)])).code, 0);
    await server.query("UPDATE public.products SET name = name || ' (edited)' WHERE id = 2", [], db);
    const v = await runCli(["verify", "--from", from, "--to", server.url(db)]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /products/);
    assert.match(v.stdout, /name/);
    assert.match(v.stdout, /id=2/);
  });

  test("usage errors exit 2", async () => {
    const noTo = await runCli(["migrate", "--from", resolve(CORPUS, "chinook.sqlite")]);
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /--to is required/);
    assert.equal((await runCli(["plan"])).code, 2);
    assert.equal((await runCli(["frobnicate"])).code, 2);
    assert.equal((await runCli(["plan", "--from", "x.db", "--type", "nodot"])).code, 2);
    assert.equal((await runCli(["plan", "--from", "x.db", "--bogus"])).code, 2);
    for (const cmd of ["plan", "migrate", "verify"]) {
      const h = await runCli([cmd, "--help"]);
      assert.equal(h.code, 0);
      assert.match(h.stdout, /Examples:/);
    }
  });
});
