/**
 * Medians, ratios against the targets of issue 6, and the printed table.
 */
import type { OursTimings } from "./ours";

export type ContenderId = "ours" | "ours-verify" | "pgloader" | "limit";

export const CONTENDER_LABELS: Record<ContenderId, string> = {
  ours: "ours, no verify",
  "ours-verify": "ours, full verify",
  pgloader: "pgloader",
  limit: "limit: sqlite3 | psql \\copy",
};

export interface RunFigures {
  wallMs: number;
  peakRssKb: number;
  cpuS?: number;
  /** CPU seconds PostgreSQL spent during the run (all backends and workers). */
  serverCpuS?: number;
  timings?: OursTimings;
}

export interface ContenderResult {
  id: ContenderId;
  label: string;
  /** Why it did not run (not installed, not built). */
  skipped?: string;
  /** Why it failed (exit code and the end of stderr). */
  failed?: string;
  runs: RunFigures[];
  medianWallMs?: number;
  medianPeakRssMb?: number;
  /** Median client-side CPU seconds (the contender's processes, not the server). */
  medianCpuS?: number;
  medianServerCpuS?: number;
}

export interface Ratios {
  /** ours (no verify) / limit pipeline, wall time. Target ≤ 1.15 at 1M rows. */
  oursOverLimit?: number;
  /** ours (no verify) / pgloader, wall time. */
  oursOverPgloader?: number;
  /** (verify - no verify) / no verify. Target ≤ 0.5. */
  verificationOverhead?: number;
  /**
   * ours (no verify) / limit in total CPU seconds (client + server). Not a
   * target: on a busy shared machine wall time follows CPU share, and this
   * ratio says how much work each does regardless of the load.
   */
  oursOverLimitCpu?: number;
}

export interface SizeResult {
  rows: number;
  /** Runs per contender (the medians are over these). */
  runs: number;
  tableRows: Record<string, number>;
  sqliteMb: number;
  contenders: ContenderResult[];
  ratios: Ratios;
  /** True when both ours and the limit pipeline ran and their targets were compared. */
  targetChecked: boolean;
  /** Differences between what ours and the limit pipeline left in PostgreSQL; empty when they match. */
  targetDiffs: string[];
  notes: string[];
}

export interface Scaling {
  fromRows: number;
  toRows: number;
  rowsFactor: number;
  /** ours (no verify) median wall time factor. Target ≤ 1.1 × rowsFactor. */
  timeFactor?: number;
  fromPeakRssMb?: number;
  toPeakRssMb?: number;
}

export const TARGETS = { oursOverLimit: 1.15, verificationOverhead: 0.5, peakRssMb: 250, scalingSlack: 1.1 };

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function finish(c: ContenderResult): ContenderResult {
  if (c.runs.length === 0 || c.failed) return c;
  return {
    ...c,
    medianWallMs: median(c.runs.map((r) => r.wallMs)),
    medianPeakRssMb: median(c.runs.map((r) => r.peakRssKb)) / 1024,
    medianCpuS: c.runs.every((r) => r.cpuS !== undefined) ? median(c.runs.map((r) => r.cpuS as number)) : undefined,
    medianServerCpuS: c.runs.every((r) => r.serverCpuS !== undefined) ? median(c.runs.map((r) => r.serverCpuS as number)) : undefined,
  };
}

export function ratios(contenders: ContenderResult[]): Ratios {
  const wall = (id: ContenderId) => contenders.find((c) => c.id === id)?.medianWallMs;
  const ours = wall("ours");
  const verify = wall("ours-verify");
  const limit = wall("limit");
  const pgl = wall("pgloader");
  const cpu = (id: ContenderId) => {
    const c = contenders.find((x) => x.id === id);
    return c?.medianCpuS !== undefined && c.medianServerCpuS !== undefined ? c.medianCpuS + c.medianServerCpuS : undefined;
  };
  const oursCpu = cpu("ours");
  const limitCpu = cpu("limit");
  return {
    oursOverLimitCpu: oursCpu !== undefined && limitCpu ? oursCpu / limitCpu : undefined,
    oursOverLimit: ours !== undefined && limit ? ours / limit : undefined,
    oursOverPgloader: ours !== undefined && pgl ? ours / pgl : undefined,
    verificationOverhead: ours && verify !== undefined ? (verify - ours) / ours : undefined,
  };
}

export function scaling(sizes: SizeResult[]): Scaling[] {
  const out: Scaling[] = [];
  const sorted = [...sizes].sort((a, b) => a.rows - b.rows);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as SizeResult;
    const b = sorted[i] as SizeResult;
    const oa = a.contenders.find((c) => c.id === "ours");
    const ob = b.contenders.find((c) => c.id === "ours");
    out.push({
      fromRows: a.rows,
      toRows: b.rows,
      rowsFactor: b.rows / a.rows,
      timeFactor: oa?.medianWallMs && ob?.medianWallMs ? ob.medianWallMs / oa.medianWallMs : undefined,
      fromPeakRssMb: oa?.medianPeakRssMb,
      toPeakRssMb: ob?.medianPeakRssMb,
    });
  }
  return out;
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
const secs = (ms: number) => (ms / 1000).toFixed(2);
const check = (ok: boolean) => (ok ? "ok" : "MISSED");

export function formatSize(r: SizeResult): string {
  const lines: string[] = [];
  const t = r.tableRows;
  lines.push(
    `AgentGrid-like SQLite, ${r.rows.toLocaleString("en-US")} rows in agent_runs (+${(t.users ?? 0).toLocaleString("en-US")} users, ` +
      `${(t.agents ?? 0).toLocaleString("en-US")} agents), ${r.sqliteMb.toFixed(0)} MB; median of ${r.runs} run(s)`,
  );
  lines.push(`${pad("contender", 30)}${lpad("wall s", 9)}${lpad("peak RSS MB", 13)}${lpad("client CPU s", 14)}${lpad("server CPU s", 14)}   runs (wall s)`);
  for (const c of r.contenders) {
    if (c.skipped || c.failed) {
      lines.push(`${pad(c.label, 30)}  ${c.skipped ?? `FAILED: ${c.failed}`}`);
      continue;
    }
    lines.push(
      `${pad(c.label, 30)}${lpad(secs(c.medianWallMs ?? 0), 9)}${lpad((c.medianPeakRssMb ?? 0).toFixed(0), 13)}` +
        `${lpad(c.medianCpuS === undefined ? "n/a" : c.medianCpuS.toFixed(2), 14)}` +
        `${lpad(c.medianServerCpuS === undefined ? "n/a" : c.medianServerCpuS.toFixed(2), 14)}   ` +
        c.runs.map((x) => secs(x.wallMs)).join(" "),
    );
    const phases = c.runs.map((x) => x.timings).filter((x): x is OursTimings => x !== undefined);
    if (phases.length > 0) {
      const keys = ["planMs", "schemaMs", "loadMs", "constraintsMs", "verifyMs"] as const;
      const parts = keys
        .filter((k) => phases.some((p) => typeof p[k] === "number"))
        .map((k) => `${k.replace("Ms", "")} ${secs(median(phases.map((p) => p[k] ?? 0)))}`);
      if (parts.length > 0) lines.push(`${pad("", 30)}  phases (median s): ${parts.join(", ")}`);
    }
  }
  const q = r.ratios;
  const parts: string[] = [];
  if (q.oursOverLimit !== undefined) parts.push(`ours/limit ${q.oursOverLimit.toFixed(2)} (target <= ${TARGETS.oursOverLimit} at 1M: ${check(q.oursOverLimit <= TARGETS.oursOverLimit)})`);
  if (q.oursOverLimitCpu !== undefined) parts.push(`ours/limit in CPU s ${q.oursOverLimitCpu.toFixed(2)}`);
  if (q.oursOverPgloader !== undefined) parts.push(`ours/pgloader ${q.oursOverPgloader.toFixed(2)}`);
  if (q.verificationOverhead !== undefined)
    parts.push(`verification overhead ${(q.verificationOverhead * 100).toFixed(0)}% (target <= ${TARGETS.verificationOverhead * 100}%: ${check(q.verificationOverhead <= TARGETS.verificationOverhead)})`);
  const ours = r.contenders.find((c) => c.id === "ours");
  if (ours?.medianPeakRssMb !== undefined) parts.push(`ours peak RSS ${ours.medianPeakRssMb.toFixed(0)} MB (target <= ${TARGETS.peakRssMb}: ${check(ours.medianPeakRssMb <= TARGETS.peakRssMb)})`);
  lines.push(`ratios: ${parts.length > 0 ? parts.join("; ") : "none (contenders missing)"}`);
  if (r.targetChecked) lines.push(r.targetDiffs.length === 0 ? "target check: ours and the limit pipeline left the same rows, column types, constraints and indexes" : `target check: ${r.targetDiffs.length} difference(s) between ours and the limit pipeline:`);
  for (const d of r.targetDiffs.slice(0, 20)) lines.push(`  ${d}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

export function formatScaling(s: Scaling[]): string {
  return s
    .map((x) => {
      const time = x.timeFactor === undefined ? "n/a" : `${x.timeFactor.toFixed(2)}x (target <= ${(x.rowsFactor * TARGETS.scalingSlack).toFixed(2)}x: ${check(x.timeFactor <= x.rowsFactor * TARGETS.scalingSlack)})`;
      const rss = x.fromPeakRssMb === undefined || x.toPeakRssMb === undefined ? "" : `, ours peak RSS ${x.fromPeakRssMb.toFixed(0)} -> ${x.toPeakRssMb.toFixed(0)} MB`;
      return `scaling ${x.fromRows.toLocaleString("en-US")} -> ${x.toRows.toLocaleString("en-US")} rows (x${x.rowsFactor.toFixed(2)}): ours time ${time}${rss}`;
    })
    .join("\n");
}
