/**
 * `npm run bench -- --rows N[,N…] [--runs 3[,R…]] [--json out.json] [--only ours,limit] [--no-build]`
 *
 * Generates (or reuses) the AgentGrid-like SQLite database, starts one
 * PostgreSQL 16 server, and times each contender into a fresh database,
 * round-robin over the runs so machine noise falls on all of them alike.
 * Prints medians and the ratios of issue 6, writes them as JSON.
 * On a shared machine, run it as `nice npm run bench -- …`: every contender
 * and the server inherit the same niceness.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startPostgres, type TestServer } from "../test/support/postgres";
import { defaultCacheDir, ensureBenchDb } from "./generate-db";
import { limitPipelineSkipReason, runLimitPipeline, type LimitMeasurement } from "./limit-pipeline";
import type { Measurement } from "./measure";
import { oursSkipReason, REPO_ROOT, runOurs, type OursMeasurement } from "./ours";
import { pgloaderSkipReason, runPgloader } from "./pgloader";
import { findPostmaster, serverCpuSeconds } from "./server-cpu";
import {
  CONTENDER_LABELS, finish, formatScaling, formatSize, ratios, scaling,
  type ContenderId, type ContenderResult, type SizeResult,
} from "./summary";
import type { BenchTarget } from "./target";
import { compareFingerprints, fingerprint, type TargetFingerprint } from "./target-check";

const USAGE = `usage: npm run bench -- --rows N[,N...] [--runs 3[,R...]] [--json out.json] [--only ours,ours-verify,pgloader,limit] [--no-build] [--cache-dir DIR] [--jobs N]
  e.g. nice npm run bench -- --rows 250000,1000000,2000000 --json bench/out/ratios.json`;

const ALL: ContenderId[] = ["ours", "ours-verify", "pgloader", "limit"];
const TABLES = ["users", "agents", "agent_runs"];

function parseCli(): { rows: number[]; runs: number[]; json: string; only: ContenderId[]; build: boolean; cacheDir: string } {
  const { values } = parseArgs({
    options: {
      rows: { type: "string" },
      runs: { type: "string", default: "3" },
      json: { type: "string" },
      only: { type: "string" },
      "no-build": { type: "boolean", default: false },
      "cache-dir": { type: "string" },
      jobs: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.jobs !== undefined) oursArgs = ["--jobs", values.jobs];
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const rows = (values.rows ?? "").split(",").filter((s) => s !== "").map((s) => Number(s.replace(/_/g, "")));
  // One run count for every size, or one per size (e.g. --runs 3,1,1 for the big ones on a shared machine).
  const runList = String(values.runs).split(",").map(Number);
  const runs = rows.map((_, i) => runList[Math.min(i, runList.length - 1)] as number);
  const only = values.only ? (values.only.split(",") as ContenderId[]) : ALL;
  if (rows.length === 0 || rows.some((n) => !Number.isInteger(n) || n < 1) || runs.some((r) => !Number.isInteger(r) || r < 1) || only.some((c) => !ALL.includes(c))) {
    console.error(USAGE);
    process.exit(2);
  }
  return {
    rows,
    runs,
    json: resolve(values.json ?? join(REPO_ROOT, "bench", "out", `bench-${rows.join("-")}.json`)),
    only,
    build: !values["no-build"],
    cacheDir: values["cache-dir"] ?? defaultCacheDir(),
  };
}

/** Compiles the project so the engine's CLI is what users run. Others' type errors do not stop emission. */
function build(): void {
  if (!existsSync(join(REPO_ROOT, "migrate", "cli.ts"))) return;
  const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(REPO_ROOT, "tsconfig.json")], { stdio: "pipe" });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? "");
    const errors = out.split("\n").filter((l) => l.includes("error TS")).length;
    console.log(`build: tsc reported ${errors} type error(s); benchmarking what it emitted`);
  }
}

/** The engine measured: HEAD and whether migrate/ had uncommitted changes (the bench compiles the working tree). */
function engineRevision(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "migrate"], { cwd: REPO_ROOT, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head}+uncommitted migrate/ changes` : head;
  } catch {
    return "unknown (not a git checkout)";
  }
}

function skipReason(id: ContenderId): string | undefined {
  switch (id) {
    case "ours":
    case "ours-verify":
      return oursSkipReason();
    case "pgloader":
      return pgloaderSkipReason();
    case "limit":
      return limitPipelineSkipReason();
    default: {
      const never: never = id;
      throw new Error(`unknown contender ${String(never)}`);
    }
  }
}

/** Extra arguments for our migrate (`--jobs N` on the bench command line). */
let oursArgs: string[] = [];

async function runOne(id: ContenderId, dbPath: string, target: BenchTarget): Promise<Measurement | OursMeasurement | LimitMeasurement> {
  switch (id) {
    case "ours":
      return await runOurs(dbPath, target, false, oursArgs);
    case "ours-verify":
      return await runOurs(dbPath, target, true, oursArgs);
    case "pgloader":
      return await runPgloader(dbPath, target);
    case "limit":
      return await runLimitPipeline(dbPath, target);
    default: {
      const never: never = id;
      throw new Error(`unknown contender ${String(never)}`);
    }
  }
}

function failure(m: Measurement, password: string): string {
  const tail = (m.stderr.trim() || m.stdout.trim()).split("\n").slice(-6).join(" | ");
  return `exit ${m.exitCode}: ${tail.split(password).join("***")}`.slice(0, 600);
}

async function benchSize(pg: TestServer, rows: number, runs: number, only: ContenderId[], cacheDir: string): Promise<SizeResult> {
  const db = ensureBenchDb(rows, cacheDir);
  console.log(`${db.generated ? "generated" : "cached"} ${db.path} (${(db.bytes / 1048576).toFixed(0)} MB, ${(db.ms / 1000).toFixed(1)} s)`);
  const results = new Map<ContenderId, ContenderResult>();
  for (const id of only) {
    results.set(id, { id, label: CONTENDER_LABELS[id], skipped: skipReason(id), runs: [] });
  }
  const prints = new Map<ContenderId, TargetFingerprint>();
  const notes: string[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const id of only) {
      const c = results.get(id) as ContenderResult;
      if (c.skipped || c.failed) continue;
      const database = await pg.createDatabase("bench");
      const target: BenchTarget = { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database };
      // Start each run from clean buffers, so no one pays for another's dirty pages.
      await pg.query("CHECKPOINT");
      const postmaster = findPostmaster();
      const cpu0 = postmaster ? serverCpuSeconds(postmaster) : undefined;
      const m = await runOne(id, db.path, target);
      // Let the contender's backends exit, so their CPU time is reaped into the postmaster's.
      await new Promise((r) => setTimeout(r, 200));
      const cpu1 = postmaster ? serverCpuSeconds(postmaster) : undefined;
      const serverCpuS = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
      if (m.exitCode !== 0) {
        c.failed = failure(m, pg.password);
      } else {
        c.runs.push({ wallMs: m.wallMs, peakRssKb: m.peakRssKb, cpuS: m.cpuS, serverCpuS, timings: "timings" in m ? m.timings : undefined });
        console.log(`  run ${run}/${runs} ${c.label}: ${(m.wallMs / 1000).toFixed(2)} s, ${(m.peakRssKb / 1024).toFixed(0)} MB`);
        if (run === 1) {
          const fp = await fingerprint(target, TABLES).catch((err: unknown) => {
            notes.push(`${c.label}: could not inspect the target (${String(err)})`);
            return undefined;
          });
          if (fp) {
            prints.set(id, fp);
            for (const t of TABLES) {
              if (fp.rows[t] !== (db.sizes as unknown as Record<string, number>)[t]) {
                notes.push(`${c.label}: ${t} has ${fp.rows[t]} rows, the source ${(db.sizes as unknown as Record<string, number>)[t]}`);
              }
            }
          }
        }
      }
      await pg.query(`DROP DATABASE ${database} WITH (FORCE)`);
    }
  }
  const contenders = only.map((id) => finish(results.get(id) as ContenderResult));
  const ours = prints.get("ours") ?? prints.get("ours-verify");
  const limit = prints.get("limit");
  const targetDiffs = ours && limit ? compareFingerprints(ours, limit, "ours", "limit") : [];
  if (!ours || !limit) notes.push("target check not done: needs both ours and the limit pipeline");
  return {
    rows,
    runs,
    tableRows: { ...db.sizes },
    sqliteMb: db.bytes / 1048576,
    contenders,
    ratios: ratios(contenders),
    targetChecked: ours !== undefined && limit !== undefined,
    targetDiffs,
    notes,
  };
}

async function main(): Promise<void> {
  const opts = parseCli();
  if (opts.build && (opts.only.includes("ours") || opts.only.includes("ours-verify"))) build();
  const revision = engineRevision();
  const pg = await startPostgres();
  const sizes: SizeResult[] = [];
  let serverVersion = "";
  try {
    serverVersion = String((await pg.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]?.v ?? "");
    console.log(`engine ${revision}`);
    console.log(`PostgreSQL ${serverVersion} on 127.0.0.1:${pg.port}; ${cpus().length} cores; run(s) per contender: ${opts.runs.join(", ")}`);
    for (const [i, rows] of opts.rows.entries()) {
      const r = await benchSize(pg, rows, opts.runs[i] as number, opts.only, opts.cacheDir);
      sizes.push(r);
      console.log(`\n${formatSize(r)}\n`);
    }
  } finally {
    await pg.stop();
  }
  const scale = scaling(sizes);
  if (scale.length > 0) console.log(formatScaling(scale));
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(
    opts.json,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        engine: revision,
        machine: { cores: cpus().length, memoryMb: Math.round(totalmem() / 1048576), node: process.version, postgres: serverVersion },
        runs: opts.runs,
        sizes,
        scaling: scale,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`wrote ${opts.json}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
