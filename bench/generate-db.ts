/**
 * Generates an AgentGrid-like SQLite database, deterministically: users,
 * agents (JSON config) and agent_runs (the big table: CHAR(32) hex uuid key,
 * FKs, JSON payload, DATETIME text with microseconds, BOOLEAN 0/1, REAL
 * doubles at full precision, NUMERIC(10,4), long text), with secondary
 * indexes. Files are cached by row count and generator version.
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrng, type Prng } from "./prng";

/** Bump when the schema or the values change, so cached files are rebuilt. */
export const GENERATOR_VERSION = 1;

export const BENCH_SCHEMA = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email VARCHAR(255) NOT NULL UNIQUE,
  name TEXT NOT NULL,
  is_admin BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  config JSON NOT NULL,
  is_active BOOLEAN NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME
);
CREATE TABLE agent_runs (
  id CHAR(32) NOT NULL PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  status VARCHAR(20) NOT NULL,
  payload JSON NOT NULL,
  started_at DATETIME NOT NULL,
  finished_at DATETIME,
  success BOOLEAN NOT NULL,
  score REAL,
  cost NUMERIC(10,4) NOT NULL,
  tokens INTEGER NOT NULL,
  output TEXT
);
`;

export const BENCH_INDEXES = `
CREATE INDEX ix_agents_owner_id ON agents(owner_id);
CREATE INDEX ix_agent_runs_agent_started ON agent_runs(agent_id, started_at);
CREATE INDEX ix_agent_runs_user_id ON agent_runs(user_id);
CREATE INDEX ix_agent_runs_status ON agent_runs(status);
`;

export interface BenchTableSizes {
  users: number;
  agents: number;
  agent_runs: number;
}

/** The small tables grow with the big one, as they would in a real app. */
export function tableSizes(rows: number): BenchTableSizes {
  return {
    users: 10 + Math.ceil(rows / 500),
    agents: 20 + Math.ceil(rows / 100),
    agent_runs: rows,
  };
}

export interface GeneratedDb {
  path: string;
  sizes: BenchTableSizes;
  bytes: number;
  /** False when the file came from the cache. */
  generated: boolean;
  ms: number;
}

export function defaultCacheDir(): string {
  return process.env.S2P_BENCH_CACHE ?? join(tmpdir(), "s2p-bench-cache");
}

/** Returns the cached database for `rows`, generating it first if needed. */
export function ensureBenchDb(rows: number, cacheDir = defaultCacheDir()): GeneratedDb {
  const started = Date.now();
  const sizes = tableSizes(rows);
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `agentgrid-v${GENERATOR_VERSION}-${rows}.db`);
  if (existsSync(path)) {
    return { path, sizes, bytes: statSync(path).size, generated: false, ms: Date.now() - started };
  }
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  try {
    writeBenchDb(tmp, rows);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  return { path, sizes, bytes: statSync(path).size, generated: true, ms: Date.now() - started };
}

const FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Zoë", "José", "Søren", "Ngozi", "Hiroshi", "Chloé", "Ming", "Olúwaseun", "Björk", "Ana"];
const LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Müller", "García", "Kierkegaard", "Okafor", "山田", "Dubois", "Li", "O'Brien", "Ng", "Ström"];
const MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-70b", "mistral-large", "gemini-1.5-pro"];
const TOOLS = ["web_search", "code_interpreter", "file_reader", "sql_query", "http_get", "calculator", "calendar", "email"];
const STATUSES = ["succeeded", "succeeded", "succeeded", "failed", "cancelled", "running", "timeout"];
const WORDS = [
  "the", "agent", "called", "tool", "returned", "result", "with", "error", "retrying", "after", "timeout", "parsed",
  "response", "JSON", "schema", "validated", "user", "asked", "about", "invoice", "résumé", "naïve", "café", "données",
  "ĉiuj", "日本語", "テスト", "данные", "émoji 🚀", "summary:", "\"quoted\"", "comma,separated", "path\\to\\file", "tab\there",
];

function words(r: Prng, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(r.pick(WORDS));
  return out.join(" ");
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, the way SQLAlchemy writes DATETIME. */
function datetimeText(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = epochMicros % 1000000;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros).padStart(6, "0")}`;
}

/** 32 lowercase hex digits, v4-shaped, unique by construction (the first 8 digits are a bijection of `index`). */
function uuidHex(r: Prng, index: number): string {
  const head = (Math.imul(index + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, "0");
  const a = r.u32().toString(16).padStart(8, "0");
  const b = (((r.u32() & 0xffff0fff) | 0x00004000) >>> 0).toString(16).padStart(8, "0");
  const c = (((r.u32() & 0x3fffffff) | 0x80000000) >>> 0).toString(16).padStart(8, "0");
  return head + a + b + c;
}

const T0 = Date.UTC(2024, 0, 1) * 1000; // microseconds
const SPAN = 2 * 365 * 86400 * 1000000; // two years of microseconds

function writeBenchDb(path: string, rows: number): void {
  const sizes = tableSizes(rows);
  const r = createPrng(0x5eed0000 + GENERATOR_VERSION);
  const db = new Database(path);
  try {
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("page_size = 4096");
    db.exec(BENCH_SCHEMA);

    const insertUser = db.prepare("INSERT INTO users (id, email, name, is_admin, created_at) VALUES (?, ?, ?, ?, ?)");
    db.transaction(() => {
      for (let id = 1; id <= sizes.users; id++) {
        const name = `${r.pick(FIRST)} ${r.pick(LAST)}`;
        insertUser.run(id, `user${id}@example.com`, name, r.chance(0.05) ? 1 : 0, datetimeText(T0 + r.int(0, SPAN / 4)));
      }
    })();

    const agentOwner: number[] = [0];
    const insertAgent = db.prepare("INSERT INTO agents (id, owner_id, name, config, is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    db.transaction(() => {
      for (let id = 1; id <= sizes.agents; id++) {
        const owner = r.int(1, sizes.users);
        agentOwner.push(owner);
        const created = T0 + r.int(0, SPAN / 2);
        const config = {
          model: r.pick(MODELS),
          temperature: Math.round(r.float() * 100) / 100,
          max_tokens: r.pick([256, 1024, 4096, 8192]),
          tools: TOOLS.filter(() => r.chance(0.35)),
          system_prompt: words(r, r.int(5, 30)),
          retry: { attempts: r.int(0, 5), backoff_ms: r.int(100, 5000) },
        };
        insertAgent.run(
          id, owner, `agent-${id}-${r.pick(TOOLS)}`, JSON.stringify(config), r.chance(0.9) ? 1 : 0,
          datetimeText(created), r.chance(0.5) ? datetimeText(created + r.int(0, SPAN / 4)) : null,
        );
      }
    })();

    const insertRun = db.prepare(
      "INSERT INTO agent_runs (id, agent_id, user_id, status, payload, started_at, finished_at, success, score, cost, tokens, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const agent = r.int(1, sizes.agents);
        const user = r.chance(0.8) ? (agentOwner[agent] as number) : r.int(1, sizes.users);
        const status = r.pick(STATUSES);
        const started = T0 + r.int(0, SPAN);
        const finished = status === "running" ? null : datetimeText(started + r.int(1000, 600 * 1000000));
        const payload = {
          model: r.pick(MODELS),
          tools: TOOLS.filter(() => r.chance(0.15)),
          temperature: Math.round(r.float() * 100) / 100,
          step: r.int(1, 40),
        };
        const long = r.chance(0.01);
        const output = r.chance(0.1) ? null : long ? `${words(r, r.int(100, 300))}\n${words(r, 30)}` : words(r, r.int(1, 8));
        insertRun.run(
          uuidHex(r, i), agent, user, status, JSON.stringify(payload),
          datetimeText(started), finished,
          status === "succeeded" ? 1 : 0,
          r.chance(0.1) ? null : r.float() * 10000 - 1000, // full-precision doubles, some negative
          r.int(0, 99999999) / 10000, // NUMERIC(10,4): at most 4 decimals, stored as REAL by SQLite
          r.int(0, 2 ** 40), // beyond 32 bits
          output,
        );
      }
    });
    const step = 50000;
    for (let from = 0; from < rows; from += step) batch(from, Math.min(rows, from + step));

    db.exec(BENCH_INDEXES);
  } finally {
    db.close();
  }
}
