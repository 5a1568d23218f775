/**
 * Docker mode: PostgreSQL 16 in a container, its data in a named volume.
 *
 * `wait: true` with a `pg_isready` healthcheck makes the container resource
 * complete only when the server accepts TCP connections, so a provider built
 * from this component's outputs never connects too early
 * (https://github.com/pulumi/pulumi/issues/3166).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface PostgresContainerArgs {
  /** Image reference, e.g. `postgres:16`. */
  readonly image: string;
  readonly containerName: string;
  readonly volumeName: string;
  /** Superuser created by the image's entrypoint. */
  readonly adminUser: string;
  /** Superuser password: must be a secret Output. */
  readonly adminPassword: pulumi.Output<string>;
  /** Host address the port is published on; 127.0.0.1 keeps it off the network. */
  readonly bindAddress: string;
  /** Published host port. */
  readonly port: number;
  /** Address this machine connects to (the published address, or the remote Docker host's). */
  readonly connectHost: string;
  /** Keep the data volume on `pulumi destroy`. */
  readonly keepDataVolume: boolean;
  /** Protect the data volume from `pulumi destroy`. */
  readonly protectVolume: boolean;
  /** Labels for the container and volume, e.g. the stack they belong to. */
  readonly labels: Readonly<Record<string, string>>;
  /** Remote Docker daemon (`ssh://user@host`); default: the local one / DOCKER_HOST. */
  readonly dockerHost?: string;
}

/** Where the image keeps its data; the volume is mounted here. */
const PGDATA = "/var/lib/postgresql/data";
const INTERNAL_PORT = 5432;

export class PostgresContainer extends pulumi.ComponentResource {
  public readonly image: docker.RemoteImage;
  public readonly volume: docker.Volume;
  public readonly container: docker.Container;
  /** Known only once the container is healthy. */
  public readonly host: pulumi.Output<string>;
  /** The published port, known only once the container is healthy. */
  public readonly port: pulumi.Output<number>;

  constructor(name: string, args: PostgresContainerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sqlite-to-postgres:infra:PostgresContainer", name, {}, opts);

    const provider = args.dockerHost ? new docker.Provider(`${name}-docker`, { host: args.dockerHost }, { parent: this }) : undefined;
    const labels = Object.entries(args.labels).map(([label, value]) => ({ label, value }));

    this.image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this, provider });

    this.volume = new docker.Volume(`${name}-data`, { name: args.volumeName, labels }, {
      parent: this,
      provider,
      retainOnDelete: args.keepDataVolume,
      protect: args.protectVolume,
    });

    const env = pulumi.secret(pulumi.interpolate`POSTGRES_PASSWORD=${args.adminPassword}`);
    this.container = new docker.Container(`${name}-container`, {
      name: args.containerName,
      image: this.image.imageId,
      envs: [`POSTGRES_USER=${args.adminUser}`, env],
      ports: [{ internal: INTERNAL_PORT, external: args.port, ip: args.bindAddress }],
      volumes: [{ volumeName: this.volume.name, containerPath: PGDATA }],
      healthcheck: {
        // -h 127.0.0.1: during first start the entrypoint runs a temporary server on the
        // Unix socket only; ready over TCP means the real server is up.
        tests: ["CMD-SHELL", `pg_isready -h 127.0.0.1 -p ${INTERNAL_PORT} -U ${args.adminUser} -d postgres`],
        interval: "2s",
        timeout: "5s",
        retries: 30,
        startPeriod: "5s",
      },
      wait: true,
      waitTimeout: 180,
      restart: "unless-stopped",
      labels,
    }, { parent: this, provider });

    this.host = this.container.id.apply(() => args.connectHost);
    this.port = this.container.ports.apply((ports) => ports?.find((p) => p.internal === INTERNAL_PORT)?.external ?? args.port);
    this.registerOutputs({ host: this.host, port: this.port });
  }
}
