/**
 * Content fingerprint of a SQLite database file, computed by the Pulumi
 * program at preview time so that a changed file shows as a pending update in
 * `pulumi preview`.
 *
 * The fingerprint covers the main file and its write-ahead log (`-wal`): in
 * WAL mode, committed rows can live only in the `-wal` until a checkpoint.
 * `-shm` is an index into the WAL rebuilt on open, so it is left out.
 *
 * It detects change; it is not a consistent snapshot. A checkpoint moves pages
 * from `-wal` into the main file and so changes the fingerprint without
 * changing the content: the resulting update compares per-table checksums and
 * reloads nothing.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync } from "node:fs";

/** Size and sha256 of one file. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** The digests the fingerprint is built from. `wal` is absent when there is no `-wal` file. */
export interface SqliteDigests {
  main: FileDigest;
  wal?: FileDigest;
}

/** sha256 of a file, read in 1 MiB chunks so memory does not grow with the file. */
export function digestFile(path: string): FileDigest {
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, "r");
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** Digests of the SQLite file and of its `-wal` when one exists. */
export function digestSqlite(sqlitePath: string): SqliteDigests {
  if (!existsSync(sqlitePath)) {
    throw new Error(
      `SQLite file ${sqlitePath} does not exist; fix the path in the stack config (pulumi config set migrationSource <path>)`,
    );
  }
  const main = digestFile(sqlitePath);
  const walPath = `${sqlitePath}-wal`;
  const wal = existsSync(walPath) ? digestFile(walPath) : undefined;
  return wal ? { main, wal } : { main };
}

/** Combines the per-file digests into the fingerprint, so an archive manifest can reproduce it. */
export function fingerprintFromDigests(d: SqliteDigests): string {
  const h = createHash("sha256");
  h.update(`main:${d.main.bytes}:${d.main.sha256}\n`);
  h.update(d.wal ? `wal:${d.wal.bytes}:${d.wal.sha256}\n` : "wal:none\n");
  return `sha256:${h.digest("hex")}`;
}

/** The content fingerprint of a SQLite file (main + `-wal`), e.g. `sha256:3f1c…`. */
export function sqliteFingerprint(sqlitePath: string): string {
  return fingerprintFromDigests(digestSqlite(sqlitePath));
}
