/**
 * Where a contender loads: one fresh database on the benchmark's PostgreSQL
 * server. The password travels in the environment (PGPASSWORD), never on a
 * command line, where `ps` would show it.
 */
export interface BenchTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** A URL without the password, for command lines. */
export function targetUrl(t: BenchTarget): string {
  return `postgresql://${encodeURIComponent(t.user)}@${t.host}:${t.port}/${encodeURIComponent(t.database)}`;
}

/** libpq environment for psql and friends. */
export function targetEnv(t: BenchTarget): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGUSER: t.user,
    PGPASSWORD: t.password,
    PGDATABASE: t.database,
    // Naive SQLite datetimes are read as UTC, as our engine does by default.
    PGTZ: "UTC",
  };
}
