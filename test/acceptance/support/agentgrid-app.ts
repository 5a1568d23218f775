/**
 * Runs the AgentGrid acceptance app (test/acceptance/agentgrid-app) with a
 * given DATABASE_URL: its Alembic commands, its seed script, and the FastAPI
 * app itself under uvicorn on a free 127.0.0.1 port.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../../support/postgres";

export const APP_DIR = join(__dirname, "..", "agentgrid-app");
export const REQUIREMENTS = join(APP_DIR, "requirements.txt");

export interface CommandResult {
  status: number;
  output: string;
}

function appEnv(databaseUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // PGPASSWORD etc. from the test process must not leak into the app: it gets exactly its URL.
  const { PGPASSWORD: _pw, PGUSER: _u, PGDATABASE: _d, PGHOST: _h, PGPORT: _p, DATABASE_URL: _url, ...rest } = process.env;
  return { ...rest, DATABASE_URL: databaseUrl, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", ...extra };
}

/** Runs `python -m <module> <args>` in the app directory; never throws on a non-zero exit. */
export function runPython(python: string, databaseUrl: string, moduleArgs: string[], extraEnv: NodeJS.ProcessEnv = {}): CommandResult {
  const r = spawnSync(python, ["-m", ...moduleArgs], { cwd: APP_DIR, env: appEnv(databaseUrl, extraEnv), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Like runPython, but a non-zero exit throws with the output. */
export function runPythonOk(python: string, databaseUrl: string, moduleArgs: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
  const r = runPython(python, databaseUrl, moduleArgs, extraEnv);
  if (r.status !== 0) throw new Error(`python -m ${moduleArgs.join(" ")} exited ${r.status}:\n${r.output.slice(-4000)}`);
  return r.output;
}

export interface RunningApp {
  readonly baseUrl: string;
  /** Everything uvicorn printed so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts uvicorn with the app and waits until /healthz answers. */
export async function startApp(python: string, databaseUrl: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningApp> {
  const port = await freePort();
  // --timeout-keep-alive above undici's 4 s: otherwise uvicorn (5 s) can close an idle
  // connection just as fetch reuses it, and the request fails with "fetch failed" on a busy machine.
  const child: ChildProcess = spawn(python, ["-m", "uvicorn", "agentgrid.api:app", "--host", "127.0.0.1", "--port", String(port), "--no-access-log", "--timeout-keep-alive", "75"], {
    cwd: APP_DIR,
    env: appEnv(databaseUrl, extraEnv),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`uvicorn exited with ${child.exitCode} before answering:\n${output.slice(-4000)}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`uvicorn did not answer /healthz within 60 s:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { baseUrl, log: () => output, stop };
}
