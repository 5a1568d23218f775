/**
 * Measures the cutover downtime of the migration resource on the benchmark
 * database (bench/generate-db.ts): create (first `pulumi up`), then the app
 * writes to SQLite, then the re-sync (final `pulumi up` after writes stop),
 * through the dynamic provider's own methods against an embedded PostgreSQL 16.
 *
 *   npm run build && nice node --import tsx scripts/measure-resync.ts --rows 1000000 [--small]
 *
 * Prints one JSON line per phase. Figures only: targets live in `npm run bench`.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { ensureBenchDb } from "../bench/generate-db";
import { sqliteFingerprint } from "../infra/fingerprint";
import { migrationProvider } from "../infra/migration-provider";
import type { MigrationInputs } from "../infra/migration-types";
import { startPostgres } from "../test/support/postgres";

async function main(): Promise<void> {
  // --small: the application wrote only to the small tables (users, agents), not to agent_runs.
  const { values } = parseArgs({ options: { rows: { type: "string", default: "250000" }, small: { type: "boolean", default: false } } });
  const rows = Number(values.rows);
  const bench = ensureBenchDb(rows);
  const dir = mkdtempSync(join(tmpdir(), "s2p-resync-"));
  const sqlitePath = join(dir, "agentgrid.db");
  copyFileSync(bench.path, sqlitePath); // never modify the shared cache
  const pg = await startPostgres();
  try {
    await pg.query(`CREATE ROLE bench_owner LOGIN PASSWORD 'bench-owner-pw'`);
    const db = await pg.createDatabase("resync");
    await pg.query(`ALTER DATABASE ${db} OWNER TO bench_owner`);
    const provider = migrationProvider();
    const inputs: MigrationInputs = {
      connection: { host: pg.host, port: pg.port, database: db, user: "bench_owner" },
      password: "bench-owner-pw",
      sqlitePath,
      sourceFingerprint: sqliteFingerprint(sqlitePath),
      schema: "public",
      mapping: {},
      allowOverwrite: false,
      deleteSourceAfterArchive: false,
    };
    let t = Date.now();
    const created = await provider.create(inputs);
    console.log(JSON.stringify({ phase: "create", rows: bench.sizes, ms: Date.now() - t, timings: created.outs!.timings }));

    // The app keeps writing until it is stopped: touch 0.1% of the big table (unless --small) and add a user.
    const w = new Database(sqlitePath);
    w.exec(values.small
      ? `UPDATE agents SET is_active = 1 - is_active WHERE id % 100 = 0; INSERT INTO users (email, name) VALUES ('late@example.com', 'Late Writer');`
      : `UPDATE agent_runs SET status = 'cancelled' WHERE rowid % 1000 = 0; INSERT INTO users (email, name) VALUES ('late@example.com', 'Late Writer');`);
    w.close();
    const news = { ...inputs, sourceFingerprint: sqliteFingerprint(sqlitePath) };
    t = Date.now();
    const updated = await provider.update!(created.id, created.outs!, news);
    const o = updated.outs!;
    console.log(JSON.stringify({ phase: "re-sync", reloaded: o.reloadedTables, swapDowntimeMs: o.swapDowntimeMs, ms: Date.now() - t, timings: o.timings }));
    await provider.delete!(created.id, o);
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
