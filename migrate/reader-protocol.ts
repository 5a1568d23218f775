/**
 * Messages between the main thread and the reader threads of `ReaderPool`.
 * Plain data only (structured clone); COPY text chunks travel as strings.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { ColumnPlan, Plan } from "./plan-types";
import type { BinKind } from "./binary-predict";
import type { TailKind } from "./verify-predict";
import type { MappingOptions } from "./types";

/** Int32 slots per reader in the shared signal array. */
export const READER_SIGNAL = {
  stride: 5,
  /** 0 starting, 1 file open, -1 failed to open. */
  ready: 0,
  /** Id of the last answered aggregate. */
  reply: 1,
  /** Chunks the reader may still send before waiting. */
  credits: 2,
  /** Non-zero: stop the current stream. */
  cancel: 3,
  /** Generation of the last `begin` the reader carried out (its read transaction is open); negative: failed. */
  began: 4,
} as const;

export interface ReaderInit {
  path: string;
  index: number;
  signal: SharedArrayBuffer;
  /** Replies read synchronously by the main thread (receiveMessageOnPort). */
  syncPort: MessagePort;
  /** Streamed chunks, read by the main thread's event loop. */
  streamPort: MessagePort;
}

/**
 * Binary prediction: bytes per shared slot (one slot per credit). A chunk is sent at 60,000 bytes,
 * so a slot holds it plus a row of up to ~70 KB; a bigger chunk travels as a latin1 string.
 */
export const PREDICT_SLOT_BYTES = 128 * 1024;

export type ReaderTask =
  /** (Re)start the read transaction now; answered through the `began` slot. */
  | { kind: "begin"; generation: number }
  | { kind: "aggregate"; id: number; sql: string }
  /**
   * The whole plan (full value scan) on this reader's snapshot; answered on the stream port.
   * With `helper`, the scan of each table of `minRows` rows or more is split by rowid: the upper
   * half is asked of the helper reader (task "help") over `port`, which answers in its `reply` slot.
   */
  | { kind: "plan"; id: number; from: string; options: MappingOptions; helper?: { port: MessagePort; index: number; minRows: number } }
  /** Answer `HelpRequest`s on `port` (one aggregate query each) until closed: the planner's second thread. */
  | { kind: "help"; port: MessagePort }
  /** `sql` selects one COPY text line per row (SQLite builds it). */
  | { kind: "lines"; id: number; sql: string; chunkChars: number }
  /** `sql` selects the columns' source expressions; the reader encodes them. */
  | { kind: "rows"; id: number; sql: string; chunkChars: number; columns: ColumnPlan[]; zone: string; safeIntegers: boolean }
  /**
   * Verification: `sql` selects, for the rowids between its two parameters in rowid order, the
   * predicted line of the SQL-predicted columns (or NULL) then the values of the `tails`; the
   * reader appends the tails' predicted text. Ranges are read in order, each ending with `end`.
   * With `binary`, `sql` selects the source values of every column and the chunks are binary
   * COPY tuples (`chunkChars` counts bytes), written into `slots` (chunk number mod the credits,
   * `PREDICT_SLOT_BYTES` each), or sent as a latin1 string when bigger than a slot.
   */
  | { kind: "predict"; id: number; sql: string; hasLine: boolean; tails: TailKind[]; ranges: [bigint, bigint][]; safeIntegers: boolean; chunkChars: number; binary?: BinKind[]; slots?: SharedArrayBuffer }
  | { kind: "close" };

export interface StreamDone {
  rows: number;
  /** Some line held U+FFFD (possible invalid UTF-8 in the source). */
  lineSuspect: boolean;
  /** Column indexes whose values held U+FFFD (the "rows" form). */
  suspectCols: number[];
}

/** Written into the helper's `reply` slot by the pool when the helper thread exits. */
export const HELPER_GONE = -1;

/**
 * The row of aggregate `id`, answered on `port` by the thread whose `reply` slot is `at` in
 * `signal` (it posts the reply, then writes `id` there). Blocks this thread until then; throws
 * the answering thread's error, or when it is gone (`HELPER_GONE`) or answered something else.
 */
export function takeReply(signal: Int32Array, at: number, port: MessagePort, id: number, who: string): unknown[] {
  for (let v = Atomics.load(signal, at); v !== id; v = Atomics.load(signal, at)) {
    if (v === HELPER_GONE) throw new Error(`${who} stopped`);
    Atomics.wait(signal, at, v, 100);
  }
  const reply = receiveMessageOnPort(port)?.message as ReaderReply | undefined;
  if (!reply || reply.id !== id) throw new Error(`${who} answered out of order`);
  if ("error" in reply) throw Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {});
  if (!("row" in reply)) throw new Error(`${who} sent no result`);
  return reply.row;
}

/** Planner → helper: one aggregate query, answered with `{ id, row }` or `{ id, error }` on the same port. */
export interface HelpRequest {
  id: number;
  sql: string;
}

export type ReaderReply =
  | { id: number; row: unknown[] }
  | { id: number; plan: Plan }
  /**
   * `first`/`end` only for "predict": the chunk's first row within its range, the range's last chunk.
   * `slot`/`bytes`: a binary chunk written into that shared slot (`chunk` is then empty).
   */
  | { id: number; chunk: string; rows: number; first?: number; end?: boolean; slot?: number; bytes?: number }
  | { id: number; done: StreamDone }
  | { id: number; error: { message: string; code?: string } };
