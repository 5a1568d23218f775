/**
 * A target database with the owner and app roles the Pulumi program would
 * create, with the same grants: the access plan from infra/access-plan.ts,
 * rendered to SQL by infra/access-sql.ts and applied as the superuser.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { planAccess } from "../../../infra/access-plan";
import { renderPlan } from "../../../infra/access-sql";
import type { TestServer } from "../../support/postgres";

export interface Login {
  readonly role: string;
  readonly password: string;
  /** libpq URL, for our CLI and node-postgres. */
  readonly url: string;
  /** SQLAlchemy URL, for the app and Alembic. */
  readonly sqlalchemyUrl: string;
}

export interface TargetDatabase {
  readonly database: string;
  readonly owner: Login;
  readonly app: Login;
}

export async function provisionTarget(server: TestServer, name: string): Promise<TargetDatabase> {
  const database = name;
  const ownerRole = `${name}_owner`;
  const appRole = `${name}_app`;
  const ownerPassword = randomBytes(12).toString("hex");
  const appPassword = randomBytes(12).toString("hex");
  const steps = planAccess({ database, schema: "public", ownerRole, appRole, lockDatabases: [] });
  for (const st of renderPlan(steps, { ownerPassword, appPassword })) {
    await server.query(st.sql, [], st.database ?? "postgres");
  }
  const login = (role: string, password: string): Login => {
    const url = server.url(database, role, password);
    return { role, password, url, sqlalchemyUrl: url.replace(/^postgresql:/, "postgresql+psycopg2:") };
  };
  return { database, owner: login(ownerRole, ownerPassword), app: login(appRole, appPassword) };
}

/** Runs one query as `login` (e.g. the app role) against its database. */
export async function queryAs<T extends Record<string, unknown>>(login: Login, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: login.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
