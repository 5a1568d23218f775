/**
 * Connection details handed from the server (container or external) to the
 * access layer, the migration resource and the stack outputs, and the URLs
 * built from them. Every value that holds a password is a secret Output.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SslMode } from "./config";
import { databaseUrl, type DatabaseUrlForm } from "./env-file";

/** How to reach the application database as one role. */
export interface DatabaseConnection {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly database: pulumi.Input<string>;
  readonly user: string;
  /** Secret. */
  readonly password: pulumi.Output<string>;
  readonly sslmode: SslMode;
  /** Absolute path of a CA certificate (PEM). */
  readonly sslRootCert?: string;
}

/**
 * A connection URL (`plain`: `postgresql://`, `sqlalchemy`: `postgresql+psycopg2://`, the
 * AgentGrid `.env` form), built by the one URL builder in env-file.ts. Always a secret Output.
 */
export function connectionUrl(c: DatabaseConnection, form: DatabaseUrlForm = "plain"): pulumi.Output<string> {
  const url = pulumi.all([c.host, c.port, c.database, c.password]).apply(([host, port, database, password]) => {
    const base = databaseUrl({ host, port, database, user: c.user, password, sslmode: c.sslmode }, form);
    return c.sslRootCert ? `${base}&sslrootcert=${encodeURIComponent(c.sslRootCert)}` : base;
  });
  return pulumi.secret(url);
}
