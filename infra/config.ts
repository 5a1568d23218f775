/**
 * Stack configuration: read every key of the project's `config:` schema
 * (Pulumi.yaml), validate it, and return one typed, frozen object.
 *
 * A missing or invalid value stops `pulumi preview` with ONE message that names
 * the key, says what is wrong and gives the exact `pulumi config set` command
 * that fixes it. Secret values never appear in a message.
 */
import { existsSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";

export type Mode = "docker" | "external";
export type SslMode = "disable" | "require" | "verify-ca" | "verify-full";
export type SchemaMode = "translate" | "existing";
export type OrphanForeignKeys = "refuse" | "not-valid";
export type EnvUrlStyle = "sqlalchemy" | "plain";

/** Where values come from: the Pulumi runtime in a deployment, a plain map in tests. */
export interface ConfigSource {
  readonly project: string;
  readonly stack: string;
  /** Raw value of a project key (without the `project:` prefix), or undefined. */
  get(key: string): string | undefined;
  /** True when the stack holds the key as a `secure:` (encrypted) value. */
  isSecret(key: string): boolean;
  /** Directory relative paths in config are resolved against (the project directory). */
  readonly baseDir: string;
}

/** The PostgreSQL server the program talks to as an administrator. */
export interface ServerConfig {
  /** Host this machine connects to (docker mode: the published address). */
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  /** Secret. Absent only in external mode with `manageAccess: false`. */
  readonly adminPassword?: pulumi.Output<string>;
  readonly adminDatabase: string;
  /** False for managed services (RDS, Cloud SQL) whose admin is not a superuser. */
  readonly adminIsSuperuser: boolean;
  readonly sslmode: SslMode;
  /** Absolute path of a CA certificate (PEM), if configured. */
  readonly sslRootCert?: string;
}

/** Docker mode only. */
export interface DockerConfig {
  readonly image: string;
  /** Host address the container port is published on (127.0.0.1 unless configured). */
  readonly bindAddress: string;
  /** Remote Docker host (`ssh://user@host`, `tcp://host:2376`); undefined = local daemon / DOCKER_HOST. */
  readonly dockerHost?: string;
  /** Keep the named data volume on `pulumi destroy`. */
  readonly keepDataVolume: boolean;
  readonly containerName: string;
  readonly volumeName: string;
}

/** The application database and its two roles. */
export interface AccessConfig {
  /** False: a DBA already created database and roles; the program creates no PostgreSQL objects. */
  readonly manage: boolean;
  readonly database: string;
  readonly schema: string;
  readonly ownerRole: string;
  readonly ownerPassword: pulumi.Output<string>;
  readonly appRole: string;
  readonly appPassword: pulumi.Output<string>;
}

/** Inputs for the migration resource (infra/migration.ts). Absent when `migrationSource` is empty. */
export interface MigrationConfig {
  /** Absolute path of the SQLite file. */
  readonly sqlitePath: string;
  readonly schemaMode: SchemaMode;
  /**
   * `existing` mode only: the shell command that creates the schema before the
   * first load (e.g. `alembic upgrade head`), run with DATABASE_URL and PG* set
   * to the target as the owner role.
   */
  readonly schemaCommand?: string;
  /** Absolute directory the schema command runs in (default: the project directory). Set only with schemaCommand. */
  readonly schemaCommandCwd?: string;
  readonly sourceTimezone: string;
  /** `{ "agents.config": "text" }`, from `["agents.config=text"]`. */
  readonly typeOverrides: Readonly<Record<string, string>>;
  readonly foldIdentifiers: boolean;
  readonly orphanForeignKeys: OrphanForeignKeys;
  /** Tables never copied in `existing` schema mode. */
  readonly skipTables: readonly string[];
  readonly allowOverwrite: boolean;
  readonly archiveDir?: string;
  readonly deleteSourceAfterArchive: boolean;
  readonly seedCommand?: string;
  /** The application's `.env` that receives DATABASE_URL after a verified sync. */
  readonly envFile?: string;
  readonly envUrlStyle: EnvUrlStyle;
}

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  readonly mode: Mode;
  /** Protect the data-bearing resources (volume, database, migration). */
  readonly protect: boolean;
  readonly server: ServerConfig;
  /** Present in docker mode only. */
  readonly docker?: DockerConfig;
  readonly access: AccessConfig;
  readonly migration?: MigrationConfig;
}

/**
 * A configuration error. It is a `pulumi.RunError`, so `pulumi preview` prints
 * just the message, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
  constructor(
    /** The project key, without the project prefix. */
    readonly key: string,
    /** What is wrong. */
    readonly problem: string,
    /** The command that fixes it. */
    readonly fix: string,
    project: string,
    stack: string,
  ) {
    super(`invalid configuration ${project}:${key} on stack "${stack}": ${problem}.\n  Fix: ${fix}`);
    this.name = "ConfigError";
  }
}

const LOOPBACK = "127.0.0.1";
const SSL_MODES: readonly SslMode[] = ["disable", "require", "verify-ca", "verify-full"];
/** Lower-case identifiers only: they never need quoting, so no name can smuggle SQL or clash by case. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED_DATABASES = ["postgres", "template0", "template1"];
/** `public` is the PUBLIC pseudo-role; `pg_*` names belong to PostgreSQL. */
const RESERVED_ROLES = ["public", "none", "current_user", "session_user", "current_role"];
const MIN_PASSWORD_LENGTH = 8;

/** Reads and validates the stack configuration. Throws the first problem as a ConfigError. */
export function loadConfig(src: ConfigSource): StackConfig {
  const r: Reader = new Reader(src);

  const mode = r.oneOf<Mode>("mode", ["docker", "external"], "docker");
  const protect = r.bool("protect", false);
  const manage = r.bool("manageAccess", true);
  if (!manage && mode === "docker") {
    r.fail("manageAccess", "false is only possible in external mode (a docker server starts empty, so the program must create database and roles)", r.cmd("manageAccess", "true"));
  }

  const adminUser = r.identifier("adminUser", "postgres");
  const adminDatabase = r.identifier("adminDatabase", "postgres");
  const adminPassword = manage || mode === "docker" ? r.password("adminPassword") : r.optionalPassword("adminPassword");
  const port = r.port("port", 5432);

  let docker: DockerConfig | undefined;
  let host: string;
  let sslmode: SslMode;
  let adminIsSuperuser: boolean;
  if (mode === "docker") {
    const bindAddress = r.string("bindAddress", LOOPBACK);
    if (isIP(bindAddress) === 0) r.fail("bindAddress", `${JSON.stringify(bindAddress)} is not an IP address`, r.cmd("bindAddress", LOOPBACK));
    const dockerHost = r.optionalString("dockerHost");
    if (dockerHost !== undefined && !/^(unix|tcp|ssh|npipe):\/\/\S+$/.test(dockerHost)) {
      r.fail("dockerHost", `${JSON.stringify(dockerHost)} is not a Docker host URL (ssh://user@host, tcp://host:2376, unix:///path)`, r.cmd("dockerHost", "ssh://user@host"));
    }
    const explicitHost = r.optionalString("host");
    const remote = dockerHost !== undefined && !dockerHost.startsWith("unix://") && !dockerHost.startsWith("npipe://");
    if (remote && explicitHost === undefined) {
      r.fail("host", "is required when dockerHost names a remote Docker host: the container's port is published on that machine, so say which address reaches it from here (the Docker host's name, or the local end of an SSH tunnel)", r.cmd("host", "<address>"));
    }
    host = explicitHost ?? (bindAddress === "0.0.0.0" || bindAddress === "::" ? LOOPBACK : bindAddress);
    // The container serves plain TCP; TLS settings only apply to external servers.
    sslmode = "disable";
    adminIsSuperuser = true;
    const image = r.string("image", "postgres:16");
    if (!/^\S+$/.test(image)) r.fail("image", `${JSON.stringify(image)} is not an image reference`, r.cmd("image", "postgres:16"));
    const base = `${src.project}-${src.stack}`.toLowerCase().replace(/[^a-z0-9_.-]/g, "-");
    docker = {
      image,
      bindAddress,
      dockerHost,
      keepDataVolume: r.bool("keepDataVolume", false),
      containerName: `${base}-postgres`,
      volumeName: `${base}-pgdata`,
    };
  } else {
    const h = r.optionalString("host");
    if (h === undefined) r.fail("host", "is required in external mode (the PostgreSQL server's address)", r.cmd("host", "db.example.com"));
    host = h;
    sslmode = r.oneOf<SslMode>("sslmode", SSL_MODES, "require");
    adminIsSuperuser = r.bool("adminIsSuperuser", true);
  }

  const sslRootCert = r.optionalFile("sslRootCert");
  if (sslRootCert !== undefined && mode === "docker") {
    r.fail("sslRootCert", "only applies to external servers (the docker container serves no TLS)", r.rm("sslRootCert"));
  }

  const database = r.identifier("database", "app", RESERVED_DATABASES);
  const schema = r.identifier("schema", "public", ["information_schema"]);
  const ownerRole = r.identifier("ownerRole", "app_owner", RESERVED_ROLES);
  const appRole = r.identifier("appRole", "app_user", RESERVED_ROLES);
  if (appRole === ownerRole) r.fail("appRole", `must differ from ownerRole (both are ${JSON.stringify(appRole)})`, r.cmd("appRole", `${ownerRole}_app`));
  if (manage && (ownerRole === adminUser || appRole === adminUser)) {
    const key = ownerRole === adminUser ? "ownerRole" : "appRole";
    r.fail(key, `must differ from adminUser (${JSON.stringify(adminUser)}): the program creates this role`, r.cmd(key, `${database}_${key === "ownerRole" ? "owner" : "app"}`));
  }
  const ownerPassword = r.password("ownerPassword");
  const appPassword = r.password("appPassword");

  return deepFreeze({
    project: src.project,
    stack: src.stack,
    mode,
    protect,
    server: { host, port, adminUser, adminPassword, adminDatabase, adminIsSuperuser, sslmode, sslRootCert },
    docker,
    access: { manage, database, schema, ownerRole, ownerPassword, appRole, appPassword },
    migration: readMigration(r),
  });
}

function readMigration(r: Reader): MigrationConfig | undefined {
  const sqlitePath = r.optionalFile("migrationSource");
  const typeOverrides: Record<string, string> = {};
  for (const item of r.stringArray("migrationTypeOverrides")) {
    const m = /^([^=.\s]+)\.([^=\s]+)=(.+)$/.exec(item);
    if (!m) r.fail("migrationTypeOverrides", `entry ${JSON.stringify(item)} is not of the form table.column=type`, r.cmd("migrationTypeOverrides[0]", "agents.config=text", { path: true }));
    typeOverrides[`${m[1]}.${m[2]}`] = m[3].trim();
  }
  const settings = {
    schemaMode: r.oneOf<SchemaMode>("migrationSchemaMode", ["translate", "existing"], "translate"),
    schemaCommand: r.optionalString("migrationSchemaCommand"),
    schemaCommandCwd: r.optionalDirectory("migrationSchemaCommandCwd"),
    sourceTimezone: r.string("migrationSourceTimezone", "UTC"),
    typeOverrides,
    foldIdentifiers: r.bool("migrationFoldIdentifiers", false),
    orphanForeignKeys: r.oneOf<OrphanForeignKeys>("migrationOrphanForeignKeys", ["refuse", "not-valid"], "refuse"),
    skipTables: r.stringArray("migrationSkipTables", ["alembic_version"]),
    allowOverwrite: r.bool("migrationAllowOverwrite", false),
    archiveDir: r.optionalPath("migrationArchiveDir"),
    deleteSourceAfterArchive: r.bool("migrationDeleteSourceAfterArchive", false),
    seedCommand: r.optionalString("migrationSeedCommand"),
    envFile: r.optionalPath("appEnvFile"),
    envUrlStyle: r.oneOf<EnvUrlStyle>("appEnvUrlStyle", ["sqlalchemy", "plain"], "sqlalchemy"),
  };
  if (settings.schemaCommand !== undefined && settings.schemaMode !== "existing") {
    r.fail("migrationSchemaCommand", `only runs in existing schema mode, and migrationSchemaMode is ${JSON.stringify(settings.schemaMode)} (the tables are created from the SQLite schema)`,
      `${r.cmd("migrationSchemaMode", "existing")} (or, to translate the SQLite schema, ${r.rm("migrationSchemaCommand")})`);
  }
  if (settings.schemaCommandCwd !== undefined && settings.schemaCommand === undefined) {
    r.fail("migrationSchemaCommandCwd", "is set but migrationSchemaCommand is not (it is the directory that command runs in)", r.cmd("migrationSchemaCommand", "alembic upgrade head"));
  }
  if (settings.schemaCommand !== undefined && settings.schemaCommandCwd === undefined) settings.schemaCommandCwd = r.baseDir;
  if (!isTimeZone(settings.sourceTimezone)) {
    r.fail("migrationSourceTimezone", `${JSON.stringify(settings.sourceTimezone)} is not an IANA time zone`, r.cmd("migrationSourceTimezone", "Europe/Berlin"));
  }
  if (settings.deleteSourceAfterArchive && settings.archiveDir === undefined) {
    r.fail("migrationArchiveDir", "is required when migrationDeleteSourceAfterArchive is true (the source is deleted only after it is archived)", r.cmd("migrationArchiveDir", "./archive"));
  }
  if (sqlitePath === undefined) return undefined;
  return { sqlitePath, ...settings };
}

/** True for a zone name the runtime's IANA database knows (aliases such as `UTC` included). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Typed access to raw values; every failure goes through `fail`. */
class Reader {
  constructor(private readonly src: ConfigSource) {}

  fail(key: string, problem: string, fix: string): never {
    throw new ConfigError(key, problem, fix, this.src.project, this.src.stack);
  }

  /** The exact command that sets `key` on this stack. */
  cmd(key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): string {
    const flags = [opts.secret ? "--secret" : "", opts.path ? "--path" : ""].filter(Boolean).join(" ");
    return `pulumi config set ${flags ? flags + " " : ""}${shellWord(key)} ${shellWord(value)} --stack ${this.src.stack}`;
  }

  rm(key: string): string {
    return `pulumi config rm ${key} --stack ${this.src.stack}`;
  }

  private raw(key: string): string | undefined {
    const v = this.src.get(key);
    return v === undefined || v === "" ? undefined : v;
  }

  optionalString(key: string): string | undefined {
    const v = this.raw(key);
    return v?.trim() === "" ? undefined : v?.trim();
  }

  string(key: string, def: string): string {
    return this.optionalString(key) ?? def;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], def: T): T {
    const v = this.string(key, def);
    if (!(allowed as readonly string[]).includes(v)) {
      this.fail(key, `${JSON.stringify(v)} is not one of ${allowed.join(", ")}`, this.cmd(key, def));
    }
    return v as T;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.optionalString(key);
    if (v === undefined) return def;
    if (v === "true") return true;
    if (v === "false") return false;
    return this.fail(key, `${JSON.stringify(v)} is not a boolean (true or false)`, this.cmd(key, String(def)));
  }

  port(key: string, def: number): number {
    const v = this.optionalString(key);
    if (v === undefined) return def;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > 65535) this.fail(key, `${JSON.stringify(v)} is not a TCP port (1-65535)`, this.cmd(key, String(def)));
    return n;
  }

  /** A lower-case identifier; `reserved` names (and `pg_*`) are refused. */
  identifier(key: string, def: string, reserved: readonly string[] = []): string {
    const v = this.string(key, def);
    if (!IDENTIFIER.test(v)) {
      this.fail(key, `${JSON.stringify(v)} is not a lower-case PostgreSQL identifier (a-z, 0-9 and _, not starting with a digit, at most 63 characters)`, this.cmd(key, def));
    }
    if (reserved.includes(v) || (reserved.length > 0 && v.startsWith("pg_"))) {
      this.fail(key, `${JSON.stringify(v)} is reserved by PostgreSQL`, this.cmd(key, def));
    }
    return v;
  }

  stringArray(key: string, def: string[] = []): string[] {
    const v = this.optionalString(key);
    if (v === undefined) return def;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
      return this.fail(key, "is not a list of strings", this.cmd(`${key}[0]`, "<value>", { path: true }));
    }
    return parsed as string[];
  }

  optionalPath(key: string): string | undefined {
    const v = this.optionalString(key);
    return v === undefined ? undefined : resolve(this.src.baseDir, v);
  }

  /** The project directory relative paths are resolved against. */
  get baseDir(): string {
    return resolve(this.src.baseDir);
  }

  optionalDirectory(key: string): string | undefined {
    const p = this.optionalPath(key);
    if (p !== undefined && !(existsSync(p) && statSync(p).isDirectory())) {
      this.fail(key, `directory ${JSON.stringify(this.optionalString(key))} does not exist (resolved to ${p})`, this.cmd(key, "<directory>"));
    }
    return p;
  }

  optionalFile(key: string): string | undefined {
    const p = this.optionalPath(key);
    if (p !== undefined && !(existsSync(p) && statSync(p).isFile())) {
      this.fail(key, `file ${JSON.stringify(this.optionalString(key))} does not exist (resolved to ${p})`, this.cmd(key, "<path>"));
    }
    return p;
  }

  /** A required secret: set, encrypted in the stack file, long enough. The value never reaches a message. */
  password(key: string): pulumi.Output<string> {
    const v = this.optionalPassword(key);
    if (v === undefined) this.fail(key, "is not set", this.cmd(key, "<password>", { secret: true }));
    return v;
  }

  optionalPassword(key: string): pulumi.Output<string> | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!this.src.isSecret(key)) {
      this.fail(key, "is stored in plaintext; passwords must be secrets (encrypted in the stack file)", this.cmd(key, "<password>", { secret: true }));
    }
    if (v.length < MIN_PASSWORD_LENGTH) {
      this.fail(key, `is shorter than ${MIN_PASSWORD_LENGTH} characters`, this.cmd(key, "<password>", { secret: true }));
    }
    return pulumi.secret(v);
  }
}

/** Quotes a value for a POSIX shell; `<placeholders>` are shown as they are. */
function shellWord(v: string): string {
  if (/^<[^<>]+>$/.test(v) || /^[A-Za-z0-9_@%+=:,./-]+$/.test(v)) return v;
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !pulumi.Output.isInstance(o)) {
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The live source: the Pulumi runtime's config for the current project and stack. */
export function pulumiConfigSource(baseDir: string = process.cwd()): ConfigSource {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  // `isConfigSecret` is exported by the runtime module but missing from its typings.
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return {
    project,
    stack,
    baseDir,
    // Raw reads: pulumi.Config#get would warn on every secret key.
    get: (key) => pulumi.runtime.getConfig(`${project}:${key}`),
    isSecret: (key) => runtimeConfig.isConfigSecret?.(`${project}:${key}`) ?? false,
  };
}
