/**
 * pgloader, the reference tool, with its SQLite defaults (create tables,
 * indexes, foreign keys, reset sequences). The password goes into a
 * private load-command file, not onto the command line.
 * Its types differ from ours (REAL -> real, CHAR(32) -> text, JSON -> json;
 * see shared/notes/pgloader-failures.md): it is timed, not checked.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measure, type Measurement } from "./measure";
import type { BenchTarget } from "./target";

/** Undefined when pgloader can run here, else why not. */
export function pgloaderSkipReason(): string | undefined {
  try {
    execFileSync("pgloader", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "skipped: not installed";
  }
}

export async function runPgloader(dbPath: string, target: BenchTarget, nice?: number): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), "s2p-pgloader-"));
  try {
    const file = join(dir, "bench.load");
    const into = `pgsql://${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}@${target.host}:${target.port}/${encodeURIComponent(target.database)}`;
    writeFileSync(
      file,
      `LOAD DATABASE\n  FROM sqlite://${dbPath}\n  INTO ${into}\n  WITH include drop, create tables, create indexes, reset sequences, foreign keys;\n`,
      { mode: 0o600 },
    );
    // pgloader writes its logs under --root-dir; keep them out of /tmp/pgloader.
    return await measure("pgloader", ["--root-dir", dir, file], { nice });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
