/**
 * The JSON every AgentGrid endpoint returns, recorded so that the app on
 * PostgreSQL can be compared with the app on SQLite.
 */
import { jsonTextDifferences } from "./json-semantic";

export interface Exchange {
  readonly path: string;
  readonly status: number;
  readonly body: string;
}

/** A UUID no seeded agent has, for the 404 case. */
const MISSING_AGENT = "00000000-0000-4000-8000-000000000000";

async function get(baseUrl: string, path: string): Promise<Exchange> {
  const res = await fetch(baseUrl + path);
  return { path, status: res.status, body: await res.text() };
}

/**
 * GET of: the agent list (default page and an inner page), every agent's
 * detail (owner and runs included), and an unknown agent.
 */
export async function recordApi(baseUrl: string, agentIds: readonly string[]): Promise<Exchange[]> {
  const paths = ["/api/v1/agents/", "/api/v1/agents/?limit=7&offset=5", ...agentIds.map((id) => `/api/v1/agents/${id}`), `/api/v1/agents/${MISSING_AGENT}`];
  const out: Exchange[] = [];
  for (const p of paths) out.push(await get(baseUrl, p));
  return out;
}

/** Every difference between two recordings, as readable lines (empty: the same JSON everywhere). */
export function compareRecordings(expected: readonly Exchange[], actual: readonly Exchange[]): string[] {
  const problems: string[] = [];
  if (expected.length !== actual.length) problems.push(`${expected.length} exchanges vs ${actual.length}`);
  for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
    const e = expected[i];
    const a = actual[i];
    if (e.path !== a.path) {
      problems.push(`exchange ${i}: ${e.path} vs ${a.path}`);
      continue;
    }
    if (e.status !== a.status) problems.push(`GET ${e.path}: status ${e.status} vs ${a.status} (${a.body.slice(0, 300)})`);
    else for (const d of jsonTextDifferences(e.body, a.body, 10)) problems.push(`GET ${e.path}: ${d}`);
  }
  return problems;
}
