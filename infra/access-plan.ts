/**
 * The database, roles and privileges the application needs, as plain data.
 *
 * This list is the ONE description of access: `database-access.ts` turns each
 * step into a @pulumi/postgresql resource, `access-sql.ts` renders the same
 * steps as SQL (for a DBA when `manageAccess` is false, and for the tests that
 * check the semantics against a real PostgreSQL 16). Steps are in the order
 * they must be applied; the Pulumi resources are chained in this order, which
 * keeps the provider's "tuple concurrently updated" race from happening
 * (https://github.com/pulumi/pulumi-postgresql/issues/126).
 */

/** Privileges PostgreSQL knows for the object types we grant on. */
export type DatabasePrivilege = "CONNECT" | "TEMPORARY" | "CREATE";
export type SchemaPrivilege = "USAGE" | "CREATE";
export type TablePrivilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE" | "REFERENCES" | "TRIGGER";
export type SequencePrivilege = "USAGE" | "SELECT" | "UPDATE";

/** `PUBLIC` (every role) is written `public`, as @pulumi/postgresql expects. */
export const PUBLIC_ROLE = "public";

/** Which configured password a role logs in with. */
export type PasswordRef = "ownerPassword" | "appPassword";

export type AccessStep =
  /** A role that can log in with a password. */
  | { readonly kind: "role"; readonly name: string; readonly password: PasswordRef }
  /** A database owned by `owner`. */
  | { readonly kind: "database"; readonly name: string; readonly owner: string }
  /** A schema owned by `owner` (never `public`, which every database has). */
  | { readonly kind: "schema"; readonly database: string; readonly name: string; readonly owner: string }
  /** Exactly these privileges on a database; an empty list revokes all. */
  | { readonly kind: "database-grant"; readonly database: string; readonly role: string; readonly privileges: readonly DatabasePrivilege[] }
  /** Exactly these privileges on a schema; an empty list revokes all. */
  | { readonly kind: "schema-grant"; readonly database: string; readonly schema: string; readonly role: string; readonly privileges: readonly SchemaPrivilege[] }
  /** These privileges on all tables that exist in the schema now. */
  | { readonly kind: "table-grant"; readonly database: string; readonly schema: string; readonly role: string; readonly privileges: readonly TablePrivilege[] }
  /** These privileges on all sequences that exist in the schema now. */
  | { readonly kind: "sequence-grant"; readonly database: string; readonly schema: string; readonly role: string; readonly privileges: readonly SequencePrivilege[] }
  /** Privileges on tables/sequences that `owner` creates later (ALTER DEFAULT PRIVILEGES). */
  | {
      readonly kind: "default-privileges";
      readonly database: string;
      readonly schema: string;
      readonly owner: string;
      readonly role: string;
      readonly objectType: "table" | "sequence";
      readonly privileges: readonly (TablePrivilege | SequencePrivilege)[];
    };

export interface AccessPlanInput {
  readonly database: string;
  readonly schema: string;
  readonly ownerRole: string;
  readonly appRole: string;
  /**
   * Other databases on the server from which PUBLIC's CONNECT is revoked too,
   * so the app role reaches nothing but its own database. Only for servers the
   * stack owns (docker mode); never touch a DBA's other databases.
   */
  readonly lockDatabases: readonly string[];
}

/** Data manipulation only: no TRUNCATE, REFERENCES or TRIGGER for the application. */
export const APP_TABLE_PRIVILEGES: readonly TablePrivilege[] = ["SELECT", "INSERT", "UPDATE", "DELETE"];
/** nextval() needs USAGE or UPDATE, currval() USAGE or SELECT, setval() UPDATE. */
export const APP_SEQUENCE_PRIVILEGES: readonly SequencePrivilege[] = ["USAGE", "SELECT", "UPDATE"];

/** The steps, in the order they are applied. */
export function planAccess(input: AccessPlanInput): readonly AccessStep[] {
  const { database, schema, ownerRole: owner, appRole: app } = input;
  const steps: AccessStep[] = [
    { kind: "role", name: owner, password: "ownerPassword" },
    { kind: "role", name: app, password: "appPassword" },
    { kind: "database", name: database, owner },
  ];
  if (schema !== "public") steps.push({ kind: "schema", database, name: schema, owner });
  steps.push(
    // Every role may CONNECT and create TEMP tables in a new database by default; take that away.
    { kind: "database-grant", database, role: PUBLIC_ROLE, privileges: [] },
    ...input.lockDatabases.map((db): AccessStep => ({ kind: "database-grant", database: db, role: PUBLIC_ROLE, privileges: [] })),
    // Before PostgreSQL 15 every role could CREATE in `public`; make the schema private on any version.
    { kind: "schema-grant", database, schema, role: PUBLIC_ROLE, privileges: [] },
  );
  // `public` is owned by pg_database_owner from PostgreSQL 15 on, and by the bootstrap
  // superuser before; an explicit grant keeps the owner role able to create in it on both.
  if (schema === "public") steps.push({ kind: "schema-grant", database, schema, role: owner, privileges: ["USAGE", "CREATE"] });
  steps.push(
    { kind: "database-grant", database, role: app, privileges: ["CONNECT"] },
    { kind: "schema-grant", database, schema, role: app, privileges: ["USAGE"] },
    { kind: "table-grant", database, schema, role: app, privileges: APP_TABLE_PRIVILEGES },
    { kind: "sequence-grant", database, schema, role: app, privileges: APP_SEQUENCE_PRIVILEGES },
    { kind: "default-privileges", database, schema, owner, role: app, objectType: "table", privileges: APP_TABLE_PRIVILEGES },
    { kind: "default-privileges", database, schema, owner, role: app, objectType: "sequence", privileges: APP_SEQUENCE_PRIVILEGES },
  );
  return Object.freeze(steps.map((s) => Object.freeze(s)));
}

/** A stable, readable name for a step, used for Pulumi resource names. */
export function stepName(step: AccessStep): string {
  switch (step.kind) {
    case "role":
      return `role-${step.name}`;
    case "database":
      return `database-${step.name}`;
    case "schema":
      return `schema-${step.name}`;
    case "database-grant":
      return `grant-${step.role}-database-${step.database}`;
    case "schema-grant":
      return `grant-${step.role}-schema-${step.schema}`;
    case "table-grant":
      return `grant-${step.role}-tables-${step.schema}`;
    case "sequence-grant":
      return `grant-${step.role}-sequences-${step.schema}`;
    case "default-privileges":
      return `default-${step.role}-${step.objectType}s-${step.schema}`;
    default: {
      const never: never = step;
      throw new Error(`unknown access step ${JSON.stringify(never)}`);
    }
  }
}
