/**
 * Our engine, end to end, through its CLI exactly as a user runs it:
 * `sqlite-to-postgres migrate --from … --to … [--no-verify] --report …`.
 * The compiled JavaScript is used (not tsx), so the figures are what a user
 * gets after `npm ci`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { measure, type Measurement } from "./measure";
import { targetEnv, targetUrl, type BenchTarget } from "./target";

export const REPO_ROOT = resolve(__dirname, "..");

/** The engine's phase timings, from its `--report` JSON, when it wrote one. */
export interface OursTimings {
  planMs?: number;
  schemaMs?: number;
  loadMs?: number;
  constraintsMs?: number;
  verifyMs?: number;
  totalMs?: number;
}

export interface OursMeasurement extends Measurement {
  timings?: OursTimings;
}

/** The CLI entry: the package's bin when present, else the compiled CLI module. */
export function oursCli(): string | undefined {
  const candidates = [join(REPO_ROOT, "bin", "sqlite-to-postgres.js"), join(REPO_ROOT, "dist", "migrate", "cli.js")];
  return candidates.find((p) => existsSync(p));
}

export function oursSkipReason(): string | undefined {
  return oursCli() ? undefined : "skipped: engine CLI not built (no bin/sqlite-to-postgres.js or dist/migrate/cli.js; run npm run build)";
}

export async function runOurs(
  dbPath: string,
  target: BenchTarget,
  verify: boolean,
  extraArgs: string[] = [],
  nodeArgs: string[] = [],
  nice?: number,
): Promise<OursMeasurement> {
  const cli = oursCli();
  if (!cli) throw new Error(oursSkipReason());
  const dir = mkdtempSync(join(tmpdir(), "s2p-ours-"));
  try {
    const report = join(dir, "report.json");
    const args = [...nodeArgs, cli, "migrate", "--from", dbPath, "--to", targetUrl(target), "--report", report, ...extraArgs];
    if (!verify) args.push("--no-verify");
    const m = await measure(process.execPath, args, { env: targetEnv(target), cwd: dir, nice });
    let timings: OursTimings | undefined;
    try {
      const parsed = JSON.parse(readFileSync(report, "utf8")) as { timings?: OursTimings };
      timings = parsed.timings;
    } catch {
      // no report: the run failed before writing one
    }
    return { ...m, timings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
