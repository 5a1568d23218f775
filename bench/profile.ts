/**
 * `node --import tsx bench/profile.ts --rows N [--verify] [--top 25] [--keep DIR]`
 *
 * Runs our migrate once under `node --cpu-prof` into a fresh database and
 * summarises the profiles (the main thread and any worker threads): self
 * time per function, and time per source file / package, so the hot spots
 * of the load path are read from data rather than guessed.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { startPostgres } from "../test/support/postgres";
import { defaultCacheDir, ensureBenchDb } from "./generate-db";
import { REPO_ROOT, runOurs } from "./ours";

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[]; positionTicks?: { line: number; ticks: number }[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  file: string;
  totalMs: number;
  byFunction: { name: string; selfMs: number; share: number }[];
  byFile: { file: string; selfMs: number; share: number }[];
  /** For the hottest functions of our own code: the hottest source lines (of the compiled JS). */
  hotLines: { name: string; lines: { line: number; share: number }[] }[];
}

function where(url: string): string {
  if (url === "") return "(native/vm)";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = path.slice(nm + "node_modules/".length).split("/");
    return `npm:${parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (path.startsWith("node:")) return path;
  return path.startsWith("/") ? relative(REPO_ROOT, path) : path;
}

export function summariseProfile(file: string, top: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const lineTicks = new Map<string, Map<number, number>>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const cf = (byId.get(id) as ProfileNode).callFrame;
    const w = where(cf.url);
    const name = `${cf.functionName || "(anonymous)"} ${w}${cf.url ? `:${cf.lineNumber + 1}` : ""}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const node = byId.get(id) as ProfileNode;
    if (node.positionTicks && w.startsWith("dist/")) {
      const m = lineTicks.get(name) ?? new Map<number, number>();
      for (const p of node.positionTicks) m.set(p.line, (m.get(p.line) ?? 0) + p.ticks);
      lineTicks.set(name, m);
    }
    files.set(w, (files.get(w) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ k, selfMs: us / 1000, share: totalUs ? us / totalUs : 0 }));
  return {
    file,
    totalMs: totalUs / 1000,
    byFunction: rank(fn).map((x) => ({ name: x.k, selfMs: x.selfMs, share: x.share })),
    byFile: rank(files).map((x) => ({ file: x.k, selfMs: x.selfMs, share: x.share })),
    hotLines: rank(fn)
      .filter((x) => lineTicks.has(x.k))
      .slice(0, 6)
      .map((x) => {
        const m = lineTicks.get(x.k) as Map<number, number>;
        const total = [...m.values()].reduce((a, b) => a + b, 0);
        return { name: x.k, lines: [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([line, t]) => ({ line, share: t / total })) };
      }),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${s.file}: ${(s.totalMs / 1000).toFixed(2)} s sampled`, "  self time by file/package:"];
  for (const f of s.byFile) lines.push(`    ${pct(f.share)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.file}`);
  lines.push("  self time by function:");
  for (const f of s.byFunction) lines.push(`    ${pct(f.share)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}`);
  lines.push("  hottest lines of the hottest functions (share of that function's self time; native calls count on the calling line):");
  for (const h of s.hotLines) lines.push(`    ${h.name}: ${h.lines.map((l) => `line ${l.line} ${(l.share * 100).toFixed(0)}%`).join(", ")}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "250000" },
      verify: { type: "boolean", default: false },
      top: { type: "string", default: "25" },
      keep: { type: "string" },
      "cache-dir": { type: "string" },
    },
  });
  const rows = Number(values.rows);
  const top = Number(values.top);
  const db = ensureBenchDb(rows, values["cache-dir"] ?? defaultCacheDir());
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), "s2p-prof-"));
  mkdirSync(dir, { recursive: true });
  const pg = await startPostgres();
  try {
    const database = await pg.createDatabase("prof");
    const m = await runOurs(db.path, { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database }, values.verify, [], [
      "--cpu-prof",
      "--cpu-prof-dir",
      dir,
    ]);
    console.log(`migrate ${values.verify ? "with" : "without"} verification, ${rows} rows: exit ${m.exitCode}, ${(m.wallMs / 1000).toFixed(2)} s, ${(m.peakRssKb / 1024).toFixed(0)} MB (profiling slows it down)`);
    if (m.timings) console.log(`phases: ${JSON.stringify(m.timings)}`);
    if (m.exitCode !== 0) console.log(m.stderr.split(pg.password).join("***").slice(-3000));
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".cpuprofile")).sort()) {
      console.log(formatProfile(summariseProfile(join(dir, f), top)));
    }
    if (values.keep) console.log(`profiles kept in ${dir} (open them in Chrome DevTools > Performance)`);
  } finally {
    await pg.stop();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack ?? err.message : String(err));
    process.exit(1);
  });
}
