/**
 * Post-migration cleanup (seed step 7): a gzip copy of the SQLite file (and
 * its `-wal`) with a sha256 manifest, then, only when asked, removal of the
 * source.
 *
 * The copy is checked before anything is deleted: each `.gz` is read back,
 * decompressed and hashed, and the source is hashed again afterwards to make
 * sure nobody wrote to it while it was being archived.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { digestFile, digestSqlite, fingerprintFromDigests, type FileDigest, type SqliteDigests } from "./fingerprint";

export interface ArchivedFile {
  /** Role of the file: the database or its write-ahead log. */
  kind: "main" | "wal";
  /** Absolute path of the original. */
  source: string;
  /** Size and sha256 of the original (= of the decompressed archive). */
  original: FileDigest;
  /** File name of the gzip copy, inside the archive directory. */
  archive: string;
  /** Size and sha256 of the `.gz` file itself. */
  gzip: FileDigest;
}

export interface ArchiveManifest {
  version: 1;
  createdAt: string;
  /** Absolute path of the SQLite file. */
  source: string;
  /** The content fingerprint (infra/fingerprint.ts) of what was archived. */
  fingerprint: string;
  files: ArchivedFile[];
  /** True when the source files were removed after the archive was verified. */
  sourceDeleted: boolean;
}

export interface ArchiveResult {
  manifestPath: string;
  manifest: ArchiveManifest;
}

const MANIFEST_SUFFIX = ".manifest.json";

/** sha256 and size of a stream's bytes, passed through unchanged. */
function hashing(): { stream: Transform; digest: () => FileDigest } {
  const h = createHash("sha256");
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) { h.update(chunk); bytes += chunk.length; cb(null, chunk); },
  });
  return { stream, digest: () => ({ bytes, sha256: h.digest("hex") }) };
}

async function gzipFile(src: string, dest: string): Promise<FileDigest> {
  const tmp = `${dest}.tmp`;
  const h = hashing();
  await pipeline(createReadStream(src), h.stream, createGzip({ level: 6 }), createWriteStream(tmp, { flags: "w", mode: 0o600 }));
  renameSync(tmp, dest);
  return h.digest();
}

async function gunzipDigest(gz: string): Promise<FileDigest> {
  const h = hashing();
  await pipeline(createReadStream(gz), createGunzip(), h.stream, async function* (src) { for await (const _ of src) { /* drain */ } });
  return h.digest();
}

/**
 * Archives `sqlitePath` (and `-wal`) into `archiveDir` as
 * `<name>.<fingerprint prefix>.gz` plus a manifest. Idempotent for the same
 * content. Deletes the source (and `-wal`, `-shm`) only when `deleteSource`.
 */
export async function archiveSqlite(sqlitePath: string, archiveDir: string, opts: { deleteSource?: boolean } = {}): Promise<ArchiveResult> {
  const source = resolve(sqlitePath);
  const dir = resolve(archiveDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const before = digestSqlite(source);
  const fingerprint = fingerprintFromDigests(before);
  const stem = `${basename(source)}.${fingerprint.slice("sha256:".length, "sha256:".length + 16)}`;
  const files: ArchivedFile[] = [];
  const parts: [ArchivedFile["kind"], string, FileDigest | undefined][] = [["main", source, before.main], ["wal", `${source}-wal`, before.wal]];
  for (const [kind, path, expected] of parts) {
    if (!expected) continue;
    const archive = `${stem}${kind === "wal" ? "-wal" : ""}.gz`;
    const gzPath = join(dir, archive);
    const copied = await gzipFile(path, gzPath);
    const readBack = await gunzipDigest(gzPath);
    if (copied.sha256 !== expected.sha256 || readBack.sha256 !== expected.sha256) {
      throw new Error(
        `archive of ${path} does not match the source (sha256 ${readBack.sha256} != ${expected.sha256}); the file changed while it was copied: stop writes to the SQLite database and run again`,
      );
    }
    files.push({ kind, source: path, original: expected, archive, gzip: digestFile(gzPath) });
  }
  const after = digestSqlite(source);
  if (fingerprintFromDigests(after) !== fingerprint) {
    throw new Error(`${source} changed while it was archived; stop writes to the SQLite database and run again (the source was not deleted)`);
  }
  const manifest: ArchiveManifest = { version: 1, createdAt: new Date().toISOString(), source, fingerprint, files, sourceDeleted: false };
  const manifestPath = join(dir, `${stem}${MANIFEST_SUFFIX}`);
  const writeManifest = () => {
    writeFileSync(`${manifestPath}.tmp`, JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600 });
    renameSync(`${manifestPath}.tmp`, manifestPath);
  };
  writeManifest();
  if (opts.deleteSource) {
    for (const p of [source, `${source}-wal`, `${source}-shm`]) {
      if (existsSync(p)) unlinkSync(p);
    }
    manifest.sourceDeleted = true;
    writeManifest();
  }
  return { manifestPath, manifest };
}

/** Recomputes each archived file's sha256 from the `.gz` and compares with the manifest. Throws on any difference. */
export async function verifyArchive(manifestPath: string): Promise<ArchiveManifest> {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ArchiveManifest;
  const dir = resolve(manifestPath, "..");
  const digests: Partial<SqliteDigests> = {};
  for (const f of manifest.files) {
    const gz = join(dir, f.archive);
    const got = await gunzipDigest(gz);
    if (got.sha256 !== f.original.sha256 || got.bytes !== f.original.bytes) {
      throw new Error(`archive ${gz} is corrupt: sha256 ${got.sha256} != manifest ${f.original.sha256}`);
    }
    digests[f.kind] = f.original;
  }
  if (!digests.main || fingerprintFromDigests(digests as SqliteDigests) !== manifest.fingerprint) {
    throw new Error(`manifest ${manifestPath} is inconsistent: its files do not give fingerprint ${manifest.fingerprint}`);
  }
  return manifest;
}

/**
 * The fingerprint of a SQLite file that was archived and deleted, read from
 * the newest manifest in `archiveDir` for that path; undefined when none.
 * Lets `pulumi preview` keep working (with no diff) after the source is gone.
 */
export function archivedFingerprint(sqlitePath: string, archiveDir: string): string | undefined {
  const source = resolve(sqlitePath);
  const dir = resolve(archiveDir);
  if (!existsSync(dir)) return undefined;
  let best: ArchiveManifest | undefined;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(MANIFEST_SUFFIX)) continue;
    try {
      const m = JSON.parse(readFileSync(join(dir, name), "utf8")) as ArchiveManifest;
      if (m.source === source && m.sourceDeleted && (!best || m.createdAt > best.createdAt)) best = m;
    } catch { /* not ours */ }
  }
  return best?.fingerprint;
}
