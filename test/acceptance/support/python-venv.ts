/**
 * The acceptance app's Python virtualenv, built from its pinned
 * requirements.txt into a cache outside the repository:
 * `${XDG_CACHE_HOME:-~/.cache}/sqlite-to-postgres/venv-<sha256 of requirements + python version>`.
 *
 * The first run creates it with `python3 -m venv` and `pip install` (wheels
 * only, from PyPI); later runs reuse it. A venv is built in a temporary
 * directory and renamed into place when complete, so an interrupted build or
 * two test processes at once never leave a half-installed venv behind. Only
 * `bin/python -m …` is used, never console-script shebangs, which would
 * still point at the temporary directory.
 *
 * No python3 or no pip is an error, not a skip: CI has both.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const COMPLETE_MARKER = ".s2p-complete";

function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "sqlite-to-postgres");
}

function pythonVersion(python: string): string {
  const r = spawnSync(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(
      `the acceptance test needs ${python} (Python >= 3.9 with venv and pip) to build the AgentGrid app's virtualenv, ` +
        `but it could not be run: ${r.error?.message ?? r.stderr.trim()}. Install python3, python3-venv and python3-pip.`,
    );
  }
  return r.stdout.trim();
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" } });
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status ?? r.error?.message}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  }
}

/** The AgentGrid app's modules (the default `imports`). */
const AGENTGRID_IMPORTS = ["sqlalchemy", "alembic", "fastapi", "uvicorn", "psycopg2", "httpx"];

/**
 * Returns the path of the venv's python, building the venv first if the cache has none.
 * `imports`: modules that must import once installed (the first is checked again from the final place).
 */
export function ensureVenv(requirementsFile: string, python = process.env.PYTHON ?? "python3", imports: string[] = AGENTGRID_IMPORTS): string {
  const version = pythonVersion(python);
  const key = createHash("sha256").update(readFileSync(requirementsFile)).update(`\0python ${version}`).digest("hex").slice(0, 16);
  const root = cacheRoot();
  const dir = join(root, `venv-${key}`);
  const venvPython = join(dir, "bin", "python");
  if (existsSync(join(dir, COMPLETE_MARKER)) && existsSync(venvPython)) return venvPython;

  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.venv-${key}-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    run(python, ["-m", "venv", tmp], `${python} -m venv (is python3-venv installed?)`);
    const tmpPython = join(tmp, "bin", "python");
    // Wheels only: no compiler needed, and a missing wheel fails here, loudly.
    run(tmpPython, ["-m", "pip", "install", "--quiet", "--only-binary=:all:", "-r", requirementsFile], `pip install -r ${requirementsFile}`);
    run(tmpPython, ["-c", `import ${imports.join(", ")}`], "importing the installed packages");
    writeFileSync(join(tmp, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // an incomplete leftover
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished first: use its venv.
      if (!existsSync(join(dir, COMPLETE_MARKER))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // The venv must run from its final place.
  execFileSync(venvPython, ["-c", `import ${imports[0]}`], { stdio: "ignore" });
  return venvPython;
}

/**
 * `ensureVenv`, or the reason to skip: only when the venv is not cached and the package index
 * cannot be reached (asked through pip itself, about the first pinned package). Under CI
 * (`CI` set) nothing is skipped: a failure is the test's failure.
 */
export function venvOrSkip(requirementsFile: string, imports: string[], python = process.env.PYTHON ?? "python3"): { python: string } | { skip: string } {
  try {
    return { python: ensureVenv(requirementsFile, python, imports) };
  } catch (err) {
    if (process.env.CI) throw err;
    const first = readFileSync(requirementsFile, "utf8").split("\n").map((l) => l.trim()).find((l) => /^[A-Za-z0-9_.-]+==/.test(l));
    if (!first) throw err;
    const name = first.split("==")[0];
    const probe = spawnSync(python, ["-m", "pip", "index", "versions", name], { encoding: "utf8", timeout: 60_000, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
    if (probe.status === 0) throw err; // the index answers: the failure is real
    return { skip: `PyPI is unreachable from here (pip index versions ${name}: ${(probe.stderr || probe.error?.message || "").trim().split("\n").pop()}), and no cached venv for ${requirementsFile}` };
  }
}
