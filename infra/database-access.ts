/**
 * The application's database, owner role, app role and privileges, as
 * @pulumi/postgresql resources made from the access plan (access-plan.ts).
 *
 * Every resource depends on the one before it, in plan order: the provider
 * races with itself ("tuple concurrently updated") when grants on one database
 * run in parallel (https://github.com/pulumi/pulumi-postgresql/issues/126).
 */
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import { stepName, type AccessStep, type PasswordRef } from "./access-plan";

export interface DatabaseAccessArgs {
  /** The steps to apply, in order (from `planAccess`). */
  readonly steps: readonly AccessStep[];
  /** Secret passwords for the roles. */
  readonly passwords: Readonly<Record<PasswordRef, pulumi.Input<string>>>;
  /** A provider connected as the administrator, built after the server is healthy. */
  readonly provider: postgresql.Provider;
  /** Protect the database (it holds the data) from `pulumi destroy`. */
  readonly protectDatabase?: boolean;
}

export class DatabaseAccess extends pulumi.ComponentResource {
  /** Every resource, in the order applied; the last one is the end of the chain. */
  public readonly resources: readonly pulumi.CustomResource[];
  /** The grants and default privileges (what the migration must wait for). */
  public readonly grants: readonly pulumi.CustomResource[];
  /** Name of the database, known once it exists. */
  public readonly database: pulumi.Output<string>;

  constructor(name: string, args: DatabaseAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sqlite-to-postgres:infra:DatabaseAccess", name, {}, opts);

    const resources: pulumi.CustomResource[] = [];
    const grants: pulumi.CustomResource[] = [];
    let database: pulumi.Output<string> | undefined;
    for (const step of args.steps) {
      const previous = resources[resources.length - 1];
      const o: pulumi.CustomResourceOptions = { parent: this, provider: args.provider, dependsOn: previous ? [previous] : [] };
      const res = createStepResource(`${name}-${stepName(step)}`, step, args, o);
      resources.push(res);
      if (step.kind === "database") database = (res as postgresql.Database).name;
      if (step.kind.endsWith("-grant") || step.kind === "default-privileges") grants.push(res);
    }
    if (database === undefined) throw new Error("the access plan has no database step");

    this.resources = resources;
    this.grants = grants;
    this.database = database;
    this.registerOutputs({ database: this.database });
  }
}

function createStepResource(name: string, step: AccessStep, args: DatabaseAccessArgs, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  switch (step.kind) {
    case "role":
      return new postgresql.Role(name, {
        name: step.name,
        login: true,
        password: pulumi.secret(args.passwords[step.password]),
        // A dropped role must not take the migrated tables with it: DROP ROLE fails instead while it owns objects.
        skipReassignOwned: true,
      }, opts);
    case "database":
      return new postgresql.Database(name, {
        name: step.name,
        owner: step.owner,
        encoding: "UTF8",
        template: "template0",
      }, { ...opts, protect: args.protectDatabase });
    case "schema":
      return new postgresql.Schema(name, { database: step.database, name: step.name, owner: step.owner }, opts);
    case "database-grant":
      return new postgresql.Grant(name, { database: step.database, role: step.role, objectType: "database", privileges: [...step.privileges] }, opts);
    case "schema-grant":
      return new postgresql.Grant(name, { database: step.database, schema: step.schema, role: step.role, objectType: "schema", privileges: [...step.privileges] }, opts);
    case "table-grant":
      // `objects: []` means every table that exists now; later ones come from default privileges.
      return new postgresql.Grant(name, { database: step.database, schema: step.schema, role: step.role, objectType: "table", objects: [], privileges: [...step.privileges] }, opts);
    case "sequence-grant":
      return new postgresql.Grant(name, { database: step.database, schema: step.schema, role: step.role, objectType: "sequence", objects: [], privileges: [...step.privileges] }, opts);
    case "default-privileges":
      return new postgresql.DefaultPrivileges(name, {
        database: step.database,
        schema: step.schema,
        owner: step.owner,
        role: step.role,
        objectType: step.objectType,
        privileges: [...step.privileges],
      }, opts);
    default: {
      const never: never = step;
      throw new Error(`unknown access step ${JSON.stringify(never)}`);
    }
  }
}
