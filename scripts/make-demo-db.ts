/**
 * Writes the bundled demo database, `demo/agentgrid-demo.sqlite`: a small
 * AgentGrid-like app database (the schema SQLAlchemy creates on SQLite) that
 * the dev stack migrates. Deterministic: a seeded PRNG and fixed timestamps,
 * so running it again yields the same rows.
 *
 *   npx tsx scripts/make-demo-db.ts [out-path]
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";

const SCHEMA = `
CREATE TABLE alembic_version (
  version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE users (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  email VARCHAR(255) NOT NULL UNIQUE,
  display_name VARCHAR(120),
  is_admin BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
);
CREATE TABLE agents (
  id CHAR(32) NOT NULL PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  config JSON NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT 1,
  temperature REAL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME
);
CREATE TABLE agent_runs (
  id CHAR(32) NOT NULL PRIMARY KEY,
  agent_id CHAR(32) NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  status VARCHAR(20) NOT NULL,
  started_at DATETIME NOT NULL,
  finished_at DATETIME,
  tokens_used INTEGER,
  cost_usd NUMERIC(10, 4),
  success BOOLEAN,
  output TEXT
);
CREATE INDEX ix_agent_runs_agent_id_started_at ON agent_runs (agent_id, started_at);
CREATE INDEX ix_agents_owner_id ON agents (owner_id);
`;

/** mulberry32: a tiny seeded PRNG, so the data is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20240917);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
/** A uuid4-shaped hex string without dashes, as SQLAlchemy's `Uuid` stores it in CHAR(32). */
const uuidHex = () => Array.from({ length: 32 }, (_, i) => (i === 12 ? "4" : i === 16 ? pick(["8", "9", "a", "b"]) : int(0, 15).toString(16))).join("");
/** SQLAlchemy's SQLite DATETIME format: naive, microseconds. */
const ts = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "000");

const EPOCH = Date.UTC(2024, 0, 15, 9, 0, 0);
const NAMES = ["Ada", "Grace", "Linus", "Zoë", "Jürgen", "Aiko", "Olu", "Marta", "Søren", "Priya", "Chen", "Émile"];
const MODELS = ["gpt-4o", "claude-3-5-sonnet", "llama-3.1-70b", "mistral-large"];
const TOOLS = ["web_search", "code_exec", "sql", "email", "calendar", "files"];
const STATUSES = ["succeeded", "succeeded", "succeeded", "failed", "cancelled", "running"] as const;

export function makeDemoDb(out: string): { users: number; agents: number; runs: number } {
  rmSync(out, { force: true });
  mkdirSync(dirname(out), { recursive: true });
  const db = new Database(out);
  try {
    db.pragma("journal_mode = DELETE");
    db.pragma("foreign_keys = ON");
    db.exec(SCHEMA);
    const counts = { users: 20, agents: 0, runs: 0 };
    db.transaction(() => {
      db.prepare("INSERT INTO alembic_version (version_num) VALUES (?)").run("3f2a9c1d7b44");
      const insUser = db.prepare("INSERT INTO users (email, display_name, is_admin, created_at) VALUES (?, ?, ?, ?)");
      const insAgent = db.prepare("INSERT INTO agents (id, owner_id, name, config, enabled, temperature, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      const insRun = db.prepare("INSERT INTO agent_runs (id, agent_id, status, started_at, finished_at, tokens_used, cost_usd, success, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (let u = 1; u <= counts.users; u++) {
        const name = `${NAMES[u % NAMES.length]} ${String.fromCharCode(65 + (u % 26))}`;
        insUser.run(`user${u}@agentgrid.example`, u % 7 === 0 ? null : name, u === 1 ? 1 : 0, ts(EPOCH + u * 3_600_000));
        for (let a = 0, n = int(1, 4); a < n; a++) {
          const agentId = uuidHex();
          const created = EPOCH + u * 3_600_000 + a * 60_000;
          const config = {
            model: pick(MODELS),
            tools: TOOLS.filter(() => rand() < 0.4),
            max_steps: int(3, 30),
            system_prompt: `You are agent #${a + 1} of ${name}. Answer "briefly"; never guess.`,
            retry: { attempts: int(0, 3), backoff_s: Math.round(rand() * 100) / 10 },
          };
          insAgent.run(agentId, u, `${pick(["Scout", "Scribe", "Auditor", "Planner", "Émissaire"])}-${a + 1}`, JSON.stringify(config),
            rand() < 0.85 ? 1 : 0, rand() < 0.1 ? null : Math.round(rand() * 150) / 100, ts(created), rand() < 0.3 ? null : ts(created + int(1, 90) * 86_400_000));
          counts.agents++;
          for (let r = 0, runs = int(2, 12); r < runs; r++) {
            const status = pick(STATUSES);
            const started = created + int(1, 120) * 3_600_000 + int(0, 59_999);
            const done = status !== "running";
            const tokens = done ? int(50, 40_000) : null;
            insRun.run(uuidHex(), agentId, status, ts(started), done ? ts(started + int(500, 600_000)) : null, tokens,
              tokens === null ? null : Math.round(tokens * 0.0000125 * 10_000) / 10_000,
              done ? (status === "succeeded" ? 1 : 0) : null,
              status === "succeeded" ? `Done in ${int(1, 20)} steps.\nSummary: ${pick(["ok", "all green ✅", "3 issues found", "nothing to do"])}` : null);
            counts.runs++;
          }
        }
      }
    })();
    db.exec("VACUUM");
    return counts;
  } finally {
    db.close();
  }
}

if (require.main === module) {
  const out = resolve(process.argv[2] ?? resolve(__dirname, "../demo/agentgrid-demo.sqlite"));
  const counts = makeDemoDb(out);
  console.log(`wrote ${out}: ${counts.users} users, ${counts.agents} agents, ${counts.runs} agent_runs`);
}
