/**
 * Runs the Pulumi program (index.ts) under `pulumi.runtime.setMocks` and
 * records what it registers: type, name, inputs (secrets still wrapped), and
 * what the engine would be told about dependencies, parent, provider,
 * protect and retainOnDelete. The program is loaded fresh on every run, after
 * the mocks and the config are in place.
 */
import * as pulumi from "@pulumi/pulumi";
import { join, resolve } from "node:path";

export const PROJECT = "sqlite-to-postgres";
const REPO = resolve(__dirname, "../..");

/** The marker the SDK puts on secret values it serializes. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  /** Inputs as sent to the engine; secrets are `{ [SIG_KEY]: SECRET_SIG, value }`. */
  readonly inputs: Record<string, unknown>;
  /** URNs of the resources this one waits for (components expanded to their children). */
  readonly dependencies: readonly string[];
  readonly parent: string;
  /** Provider reference `urn::id`, empty for the default provider. */
  readonly provider: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
}

export interface ProgramRun {
  readonly resources: readonly Registered[];
  /** The program's exports (stack outputs). */
  readonly exports: Record<string, unknown>;
  byType(type: string): Registered[];
  one(type: string, name?: string): Registered;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProvider(): string;
  getProtect(): boolean;
  getRetainondelete?(): boolean;
  getDependenciesList(): string[];
  getObject(): unknown;
}

interface MonitorPrototype {
  registerResource(this: MonitorPrototype, req: RegisterRequest, cb: unknown): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

let recording: Registered[] | undefined;
let patched = false;

/** Wraps the mock monitor's registerResource to see the request the engine would get. */
function patchMonitor(): void {
  if (patched) return;
  patched = true;
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: MonitorPrototype } };
  const { deserializeProperties } = require("@pulumi/pulumi/runtime/rpc") as { deserializeProperties(o: unknown): Record<string, unknown> };
  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (req, cb) {
    recording?.push({
      type: req.getType(),
      name: req.getName(),
      urn: this.newUrn(req.getParent(), req.getType(), req.getName()),
      custom: req.getCustom(),
      inputs: deserializeProperties(req.getObject()),
      parent: req.getParent(),
      provider: req.getProvider(),
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete?.() ?? false,
      dependencies: req.getDependenciesList(),
    });
    return original.call(this, req, cb);
  };
}

/** Mock outputs the program reads back from providers. */
function mockState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: "sha256:4e1c4ab4d3d2a0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829" };
    default:
      return inputs;
  }
}

/**
 * Runs index.ts with `config` (keys without the project prefix; values as the
 * engine passes them: strings, arrays as JSON). `secretKeys` are the keys the
 * stack holds encrypted.
 */
export async function runProgram(config: Record<string, string>, secretKeys: string[] = [], stack = "test"): Promise<ProgramRun> {
  patchMonitor();
  recording = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: mockState(args.type, args.inputs) }),
    call: (args) => args.inputs,
  }, PROJECT, stack, false);
  const prefixed = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v]));
  pulumi.runtime.setAllConfig(prefixed, secretKeys.map((k) => `${PROJECT}:${k}`));

  // A fresh copy of the program and of every infra module it imports.
  for (const key of Object.keys(require.cache)) {
    if (key === join(REPO, "index.ts") || key.startsWith(join(REPO, "infra") + "/")) delete require.cache[key];
  }
  const exports = require(join(REPO, "index.ts")) as Record<string, unknown>;
  // Wait for every output, then for every registration still in flight.
  await Promise.all(Object.values(exports).map((v) => (pulumi.Output.isInstance(v) ? resolveOutput(v) : v)));
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();

  const resources = recording;
  recording = undefined;
  return {
    resources,
    exports,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
      if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${resources.map((r) => `${r.type}::${r.name}`).join(", ")}`);
      return found[0];
    },
  };
}

export function resolveOutput<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((res) => o.apply((v) => { res(v); return v; }));
}

/** True for a value the SDK sent as a secret. */
export function isWrappedSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Every string in `v` that is NOT inside a secret wrapper. */
export function plaintextStrings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (isWrappedSecret(v)) return [];
  if (Array.isArray(v)) return v.flatMap(plaintextStrings);
  if (typeof v === "object" && v !== null) return Object.values(v).flatMap(plaintextStrings);
  return [];
}
