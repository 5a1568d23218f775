/**
 * Renders the access plan (access-plan.ts) as SQL statements, with the same
 * meaning @pulumi/postgresql gives the matching resources: a grant sets
 * exactly the listed privileges (REVOKE ALL, then GRANT).
 *
 * Uses: the script a DBA runs when `manageAccess` is false, and the tests
 * that apply the plan to a real PostgreSQL 16 and connect as the app role.
 */
import { quoteIdent, quoteLiteral } from "../migrate/quote";
import { PUBLIC_ROLE, type AccessStep, type PasswordRef } from "./access-plan";

export interface RenderedStatement {
  /** The database the statement must run in (`undefined`: any, e.g. the admin database). */
  readonly database?: string;
  readonly sql: string;
}

/** `PUBLIC` is a keyword, not a role name; everything else is quoted. */
function grantee(role: string): string {
  return role === PUBLIC_ROLE ? "PUBLIC" : quoteIdent(role);
}

function list(privileges: readonly string[]): string {
  return privileges.join(", ");
}

/**
 * Statements for one step. `passwords` supplies the role passwords; pass
 * placeholders to print a script without secrets.
 */
export function renderStep(step: AccessStep, passwords: Readonly<Record<PasswordRef, string>>): RenderedStatement[] {
  switch (step.kind) {
    case "role":
      return [{ sql: `CREATE ROLE ${quoteIdent(step.name)} LOGIN PASSWORD ${quoteLiteral(passwords[step.password])}` }];
    case "database":
      return [{ sql: `CREATE DATABASE ${quoteIdent(step.name)} OWNER ${quoteIdent(step.owner)}` }];
    case "schema":
      return [{ database: step.database, sql: `CREATE SCHEMA ${quoteIdent(step.name)} AUTHORIZATION ${quoteIdent(step.owner)}` }];
    case "database-grant": {
      const on = `ON DATABASE ${quoteIdent(step.database)}`;
      return exact(undefined, on, step.role, step.privileges);
    }
    case "schema-grant":
      return exact(step.database, `ON SCHEMA ${quoteIdent(step.schema)}`, step.role, step.privileges);
    case "table-grant":
      return exact(step.database, `ON ALL TABLES IN SCHEMA ${quoteIdent(step.schema)}`, step.role, step.privileges);
    case "sequence-grant":
      return exact(step.database, `ON ALL SEQUENCES IN SCHEMA ${quoteIdent(step.schema)}`, step.role, step.privileges);
    case "default-privileges": {
      const prefix = `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(step.owner)} IN SCHEMA ${quoteIdent(step.schema)}`;
      const objects = step.objectType === "table" ? "TABLES" : "SEQUENCES";
      return [
        { database: step.database, sql: `${prefix} REVOKE ALL ON ${objects} FROM ${grantee(step.role)}` },
        ...(step.privileges.length ? [{ database: step.database, sql: `${prefix} GRANT ${list(step.privileges)} ON ${objects} TO ${grantee(step.role)}` }] : []),
      ];
    }
    default: {
      const never: never = step;
      throw new Error(`unknown access step ${JSON.stringify(never)}`);
    }
  }
}

/** Exactly `privileges` on the object: an empty list only revokes. */
function exact(database: string | undefined, on: string, role: string, privileges: readonly string[]): RenderedStatement[] {
  return [
    { database, sql: `REVOKE ALL ${on} FROM ${grantee(role)}` },
    ...(privileges.length ? [{ database, sql: `GRANT ${list(privileges)} ${on} TO ${grantee(role)}` }] : []),
  ];
}

/** The whole plan, in order. */
export function renderPlan(steps: readonly AccessStep[], passwords: Readonly<Record<PasswordRef, string>>): RenderedStatement[] {
  return steps.flatMap((s) => renderStep(s, passwords));
}

/** A psql script (`\connect` between databases), e.g. for a DBA; passwords stay `:'owner_password'` variables. */
export function renderPsqlScript(steps: readonly AccessStep[]): string {
  const placeholders: Record<PasswordRef, string> = { ownerPassword: "\u0001owner_password\u0001", appPassword: "\u0001app_password\u0001" };
  const lines = ["-- Run with: psql -v owner_password=... -v app_password=... -f access.sql", "\\set ON_ERROR_STOP on"];
  let current: string | undefined;
  for (const st of renderPlan(steps, placeholders)) {
    if (st.database !== undefined && st.database !== current) {
      lines.push(`\\connect ${st.database}`);
      current = st.database;
    }
    // psql interpolates :'var' as a quoted literal; replace the quoted placeholder with it.
    lines.push(`${st.sql.replace(/'\u0001(\w+)\u0001'/g, ":'$1'")};`);
  }
  return lines.join("\n") + "\n";
}
