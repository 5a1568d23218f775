/**
 * Runs one contender as a child process tree and measures its wall time and
 * peak resident memory. Peak RSS is the largest of:
 * - the sum of VmRSS over the whole process tree, sampled every 50 ms
 *   (new descendants are discovered every 250 ms by scanning /proc);
 * - any single process's own high-water mark (VmHWM), which catches spikes
 *   between samples;
 * - GNU time's %M (the largest ru_maxrss in the tree) when /usr/bin/time exists.
 * GNU time also gives the tree's CPU seconds, which help read wall times
 * taken on a busy machine.
 * Servers the contender talks to (PostgreSQL) are not its children and are
 * not counted.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run under `nice -n N` (the machine is shared). */
  nice?: number;
}

export interface Measurement {
  wallMs: number;
  peakRssKb: number;
  /** User + system CPU seconds of the contender's process tree (GNU time), when known. Not the server's. */
  cpuS?: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

const GNU_TIME = "/usr/bin/time";
const SAMPLE_MS = 50;
const DISCOVER_EVERY = 5; // samples

function readStatus(pid: number): { rssKb: number; hwmKb: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "latin1");
  } catch {
    return undefined; // exited
  }
  const rss = /VmRSS:\s+(\d+) kB/.exec(text);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(text);
  return { rssKb: rss ? Number(rss[1]) : 0, hwmKb: hwm ? Number(hwm[1]) : 0 };
}

/** pid -> ppid for every process, from /proc/<pid>/stat (field 4, after the parenthesised comm). */
function parentMap(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      map.set(Number(entry), Number(rest[1]));
    } catch {
      // exited while we looked
    }
  }
  return map;
}

function descendants(root: number, parents: Map<number, number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out = new Set<number>([root]);
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    for (const child of children.get(pid) ?? []) {
      if (!out.has(child)) {
        out.add(child);
        stack.push(child);
      }
    }
  }
  return out;
}

export async function measure(command: string, args: string[], options: MeasureOptions = {}): Promise<Measurement> {
  const useTime = existsSync(GNU_TIME);
  const dir = mkdtempSync(join(tmpdir(), "s2p-measure-"));
  const timeFile = join(dir, "maxrss");
  let argv = [command, ...args];
  if (options.nice !== undefined) argv = ["nice", "-n", String(options.nice), ...argv];
  if (useTime) argv = [GNU_TIME, "-f", "%M %U %S", "-o", timeFile, ...argv];

  const started = process.hrtime.bigint();
  const child = spawn(argv[0] as string, argv.slice(1), { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  const root = child.pid;
  if (root === undefined) throw new Error(`could not start ${command}`);

  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => stdout.push(b));
  child.stderr.on("data", (b: Buffer) => stderr.push(b));

  let tree = new Set<number>([root]);
  let peakSum = 0;
  let peakSingle = 0;
  let tick = 0;
  const sample = (): void => {
    if (tick++ % DISCOVER_EVERY === 0) tree = descendants(root, parentMap());
    let sum = 0;
    for (const pid of tree) {
      // The GNU time wrapper is measurement overhead, not the contender.
      if (useTime && pid === root) continue;
      const s = readStatus(pid);
      if (!s) continue;
      sum += s.rssKb;
      if (s.hwmKb > peakSingle) peakSingle = s.hwmKb;
    }
    if (sum > peakSum) peakSum = sum;
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);

  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  clearInterval(timer);

  let timeKb = 0;
  let cpuS: number | undefined;
  if (useTime) {
    try {
      // GNU time prints "Command exited with non-zero status N" before its line on failure.
      const lines = readFileSync(timeFile, "utf8").trim().split("\n");
      const [kb, user, sys] = (lines[lines.length - 1] ?? "").split(" ").map(Number);
      timeKb = kb || 0;
      if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpuS = user + sys;
    } catch {
      // no file: the command never started
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    wallMs,
    peakRssKb: Math.max(peakSum, peakSingle, timeKb),
    cpuS,
    exitCode,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
}
