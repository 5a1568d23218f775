/**
 * Prints, as a psql script, the database, roles and grants the Pulumi program
 * would create: for a DBA who sets them up by hand on a server where the
 * stack runs with `manageAccess: false`. Same plan, same statements.
 *
 *   npm run -s access-sql -- --database agentgrid --owner agentgrid_owner --app agentgrid_app [--schema public] > access.sql
 *   psql -h HOST -U ADMIN -d postgres -v owner_password=... -v app_password=... -f access.sql
 */
import { parseArgs } from "node:util";
import { planAccess } from "../infra/access-plan";
import { renderPsqlScript } from "../infra/access-sql";

const { values } = parseArgs({
  options: {
    database: { type: "string" },
    schema: { type: "string", default: "public" },
    owner: { type: "string" },
    app: { type: "string" },
  },
});
if (!values.database || !values.owner || !values.app) {
  console.error("usage: access-sql --database NAME --owner ROLE --app ROLE [--schema NAME]");
  process.exit(2);
}
process.stdout.write(renderPsqlScript(planAccess({
  database: values.database,
  schema: values.schema ?? "public",
  ownerRole: values.owner,
  appRole: values.app,
  lockDatabases: [],
})));
