/**
 * A second client that polls one query in a loop while something else runs,
 * counting every distinct answer it saw. Re-sync tests use it to show that
 * readers see the old table or the new one, never a partial one.
 */
import { Client } from "pg";

export interface PollingReader {
  /** How many times each distinct answer (`n:h`) was seen so far. */
  readonly seen: Map<string, number>;
  /** Errors the reader hit (it keeps polling after one). */
  readonly errors: string[];
  /** Stops polling and closes the connection. */
  stop(): Promise<void>;
}

/** `query` must return one row `{ n, h }` (e.g. a count and a content hash). */
export async function startPollingReader(connectionString: string, query: string): Promise<PollingReader> {
  const client = new Client({ connectionString });
  await client.connect();
  const seen = new Map<string, number>();
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const r = (await client.query<{ n: number; h: string }>(query)).rows[0]!;
        const key = `${r.n}:${r.h}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  })();
  return {
    seen,
    errors,
    async stop() {
      stopped = true;
      await loop;
      await client.end();
    },
  };
}
