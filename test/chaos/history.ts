/**
 * The record of one chaos run: what the workload runner writes and what the checkers in
 * ./checker judge. One run is one JSON document (`formatHistory` / `parseHistory`).
 *
 * Conventions:
 * - Times are milliseconds (fractions allowed) of one monotonic clock, the runner's
 *   (`performance.now()`), for every client, watcher and member alike.
 * - Keys and values are strings. Key ranges compare keys as JavaScript strings (UTF-16 code
 *   units), which is etcd's byte order for ASCII keys: keep workload keys ASCII.
 * - Every write (plain or compare-and-swap) of a key puts a value no other write of that key
 *   puts, so a value read names the write that made it.
 * - Revisions are etcd's: a write's revision is its response header's revision; a read's
 *   `modRevision` is the key's mod_revision and its `revision` the header's.
 */

export const HISTORY_VERSION = 1;

/**
 * How an operation ended.
 * - `ok`: the member answered; `result` holds the answer.
 * - `failed`: the operation certainly did not take effect (for example the client never
 *   reached any member). An error that leaves this in doubt (a timeout, a lost connection
 *   after sending, "leader changed") is `unknown`, never `failed`: a `failed` write found
 *   applied is reported as a violation. A compare that does not hold is `ok` with
 *   `succeeded: false`, not `failed`.
 * - `unknown`: no answer. A write or compare-and-swap may take effect at any time after its
 *   invoke, or never; an unknown read tells nothing and is ignored.
 */
export type Outcome = "ok" | "failed" | "unknown";

export type Ending<R> =
  | { readonly outcome: "ok"; readonly complete: number; readonly result: R }
  | { readonly outcome: "failed"; readonly complete: number; readonly error?: string }
  /** `complete`, if given, is when the client gave up: the operation may still take effect later. */
  | { readonly outcome: "unknown"; readonly complete?: number; readonly error?: string };

export interface OpBase {
  /** Unique among the run's operations. */
  readonly id: number;
  /**
   * The logical client; it runs one operation at a time. After an unknown outcome the runner
   * should go on under a fresh process number, since the old call may still be in flight.
   */
  readonly process: number;
  /** The member (its name or endpoint) the client sent the operation to. */
  readonly member?: string;
  readonly key: string;
  /** When the client sent the request. */
  readonly invoke: number;
}

/** A key as a read sees it. */
export interface KeyState {
  /** null: the key did not exist. */
  readonly value: string | null;
  /** The key's mod_revision, when it existed and the client recorded it. */
  readonly modRevision?: number;
}

export interface ReadResult extends KeyState {
  /** The response header's revision: the store revision the read was served at. */
  readonly revision?: number;
}

export interface WriteResult {
  /** The response header's revision, which is the revision of this put. */
  readonly revision?: number;
}

/** The guard of a compare-and-swap: an etcd Txn whose compare is `target == expected`. */
export type CasCompare =
  | { readonly target: "value"; readonly value: string }
  /** 0 compares with a key that does not exist (etcd's create-if-absent idiom). */
  | { readonly target: "modRevision"; readonly modRevision: number };

export interface CasResult {
  /** The compare held and the put was applied. */
  readonly succeeded: boolean;
  /** The response header's revision: the put's revision when it succeeded, else the store's. */
  readonly revision?: number;
  /** What a Range of the key in the Txn's failure branch returned, when the client asked. */
  readonly current?: KeyState;
}

export type ReadOp = OpBase & { readonly type: "read" } & Ending<ReadResult>;
export type WriteOp = OpBase & { readonly type: "write"; readonly value: string } & Ending<WriteResult>;
/** An etcd Txn: if the compare holds, put `value`; otherwise (optionally) read the key. */
export type CasOp = OpBase & {
  readonly type: "cas";
  readonly compare: CasCompare;
  readonly value: string;
} & Ending<CasResult>;
export type KvOp = ReadOp | WriteOp | CasOp;

/** One change of the store, as a watch delivers it. */
export type ChangeEvent =
  | { readonly revision: number; readonly key: string; readonly type: "PUT"; readonly value: string }
  | { readonly revision: number; readonly key: string; readonly type: "DELETE" };

export interface WatchResponseRecord {
  /** When the client received it. */
  readonly at: number;
  /** The response header's revision. */
  readonly revision?: number;
  /**
   * A progress notification (no events): the member promises that every event up to
   * `revision` has been delivered, so the reliability check extends to it.
   */
  readonly progressNotify?: boolean;
  readonly events: readonly ChangeEvent[];
}

export interface WatchEnd {
  readonly at: number;
  /** closed: the runner stopped it; canceled, compacted, error: the member or the stream ended it. */
  readonly reason: "closed" | "canceled" | "compacted" | "error";
  readonly compactRevision?: number;
  readonly error?: string;
}

export interface WatchRecord {
  /** Unique among the run's watches. */
  readonly id: number;
  readonly process: number;
  readonly member?: string;
  readonly key: string;
  /** etcd's range_end: absent for the single key, "\0" for every key ≥ key, else [key, rangeEnd). */
  readonly rangeEnd?: string;
  /**
   * The first revision the watch covers (inclusive): the start_revision sent, or for a watch
   * from "now" (start_revision 0) the created response's header revision + 1.
   */
  readonly startRevision: number;
  /**
   * The watch this one continues after the stream broke. It must start right after the last
   * revision the previous one delivered (or at the previous start if it delivered nothing).
   */
  readonly resumes?: number;
  readonly invoke: number;
  /** Responses in the order received, the created response excluded. */
  readonly responses: readonly WatchResponseRecord[];
  /** Absent: still open when the history was written. */
  readonly end?: WatchEnd;
}

/**
 * The authoritative change log read from one member at the end of the run (a watch from
 * `fromRevision`, or every key's history), in revision order. It must hold every change of
 * every key the workload used in [fromRevision, toRevision]; other keys may be left out.
 */
export interface FinalLog {
  readonly member: string;
  /** 1 when nothing was compacted. */
  readonly fromRevision: number;
  /** The member's revision when the log was read. */
  readonly toRevision: number;
  readonly events: readonly ChangeEvent[];
}

/** One member's HashKV answer. */
export interface HashRecord {
  readonly member: string;
  readonly revision: number;
  readonly hash: number;
  readonly compactRevision?: number;
}

export interface History {
  readonly version: typeof HISTORY_VERSION;
  /** Free-form facts about the run (seed, faults, cluster size) for the report. */
  readonly meta?: Readonly<Record<string, string | number | boolean>>;
  readonly ops: readonly KvOp[];
  readonly watches: readonly WatchRecord[];
  readonly finalLog?: FinalLog;
  readonly hashes: readonly HashRecord[];
}

/** The text is not a history this version can read; `problems` says where and why. */
export class HistoryFormatError extends Error {
  override readonly name = "HistoryFormatError";
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    const shown = problems.slice(0, 20).join("\n  ");
    const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : "";
    super(`invalid history:\n  ${shown}${more}`, options);
    this.problems = problems;
  }
}

/** JSON with one operation, watch or event per line, so that histories diff and grep well. */
export function formatHistory(history: History): string {
  const lines = (items: readonly unknown[]): string =>
    items.length === 0 ? "[]" : `[\n${items.map((i) => `    ${JSON.stringify(i)}`).join(",\n")}\n  ]`;
  const parts = [`  "version": ${JSON.stringify(history.version)}`];
  if (history.meta !== undefined) parts.push(`  "meta": ${JSON.stringify(history.meta)}`);
  parts.push(`  "ops": ${lines(history.ops)}`);
  parts.push(`  "watches": ${lines(history.watches)}`);
  if (history.finalLog !== undefined) {
    const { events, ...rest } = history.finalLog;
    const head = JSON.stringify(rest).slice(0, -1);
    parts.push(`  "finalLog": ${head},"events":${lines(events)}}`);
  }
  parts.push(`  "hashes": ${lines(history.hashes)}`);
  return `{\n${parts.join(",\n")}\n}\n`;
}

/** Parses and validates a history; throws HistoryFormatError listing every problem found. */
export function parseHistory(text: string): History {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HistoryFormatError([`not JSON: ${(err as Error).message}`], { cause: err });
  }
  const shape = new ShapeChecker();
  shape.history(raw);
  if (shape.problems.length > 0) throw new HistoryFormatError(shape.problems);
  const history = raw as History;
  const problems = historyProblems(history);
  if (problems.length > 0) throw new HistoryFormatError(problems);
  return history;
}

/**
 * What makes a well-typed history unusable by the checkers: duplicate ids, completions before
 * invocations, a value written twice to one key, events out of revision order, a resumed
 * watch that does not exist. The runner can call it before saving.
 */
export function historyProblems(history: History): string[] {
  const problems: string[] = [];
  const ids = new Set<number>();
  const written = new Map<string, Map<string, number>>();
  for (const op of history.ops) {
    const at = `op ${op.id}`;
    if (ids.has(op.id)) problems.push(`${at}: duplicate id`);
    ids.add(op.id);
    if (op.complete !== undefined && op.complete < op.invoke) {
      problems.push(`${at}: completes at ${op.complete}, before its invoke at ${op.invoke}`);
    }
    if (op.type !== "read") {
      let values = written.get(op.key);
      if (values === undefined) written.set(op.key, (values = new Map()));
      const other = values.get(op.value);
      if (other !== undefined) {
        problems.push(`${at}: writes ${JSON.stringify(op.value)} to ${JSON.stringify(op.key)}, as op ${other} does: values must be unique per key`);
      }
      values.set(op.value, op.id);
    }
    if (op.outcome !== "ok") continue;
    const states: KeyState[] = [];
    if (op.type === "read") states.push(op.result);
    if (op.type === "cas" && op.result.current !== undefined) states.push(op.result.current);
    for (const s of states) {
      if (s.value === null && s.modRevision !== undefined) problems.push(`${at}: a missing key has no mod_revision`);
    }
    if (op.type === "cas" && op.result.succeeded && op.result.current !== undefined) {
      problems.push(`${at}: a compare-and-swap that succeeded has no failure-branch read`);
    }
  }
  const watchIds = new Set<number>();
  for (const w of history.watches) {
    if (watchIds.has(w.id)) problems.push(`watch ${w.id}: duplicate id`);
    watchIds.add(w.id);
  }
  for (const w of history.watches) {
    if (w.resumes !== undefined && !watchIds.has(w.resumes)) problems.push(`watch ${w.id}: resumes watch ${w.resumes}, which is not in the history`);
    if (w.resumes === w.id) problems.push(`watch ${w.id}: resumes itself`);
  }
  const log = history.finalLog;
  if (log !== undefined) {
    let prev = 0;
    const seen = new Set<string>();
    for (const [i, e] of log.events.entries()) {
      if (e.revision < prev) problems.push(`finalLog.events[${i}]: revision ${e.revision} after ${prev}`);
      if (e.revision < log.fromRevision || e.revision > log.toRevision) {
        problems.push(`finalLog.events[${i}]: revision ${e.revision} outside [${log.fromRevision}, ${log.toRevision}]`);
      }
      const id = `${e.revision}\u0000${e.key}`;
      if (seen.has(id)) problems.push(`finalLog.events[${i}]: a second event for ${JSON.stringify(e.key)} at revision ${e.revision}`);
      seen.add(id);
      prev = Math.max(prev, e.revision);
    }
  }
  return problems;
}

/** Structural validation of parsed JSON against the types above. */
class ShapeChecker {
  readonly problems: string[] = [];

  history(v: unknown): void {
    if (!this.object(v, "history")) return;
    if (v["version"] !== HISTORY_VERSION) this.problems.push(`version: expected ${HISTORY_VERSION}, got ${JSON.stringify(v["version"])}`);
    if (v["meta"] !== undefined) this.object(v["meta"], "meta");
    this.array(v["ops"], "ops", (op, at) => this.op(op, at));
    this.array(v["watches"], "watches", (w, at) => this.watch(w, at));
    if (v["finalLog"] !== undefined && this.object(v["finalLog"], "finalLog")) {
      const log = v["finalLog"];
      this.string(log["member"], "finalLog.member");
      this.number(log["fromRevision"], "finalLog.fromRevision");
      this.number(log["toRevision"], "finalLog.toRevision");
      this.array(log["events"], "finalLog.events", (e, at) => this.event(e, at));
    }
    this.array(v["hashes"], "hashes", (h, at) => {
      if (!this.object(h, at)) return;
      this.string(h["member"], `${at}.member`);
      this.number(h["revision"], `${at}.revision`);
      this.number(h["hash"], `${at}.hash`);
      this.optional(h["compactRevision"], `${at}.compactRevision`, (x, p) => this.number(x, p));
    });
  }

  private op(v: unknown, at: string): void {
    if (!this.object(v, at)) return;
    this.number(v["id"], `${at}.id`);
    this.number(v["process"], `${at}.process`);
    this.optional(v["member"], `${at}.member`, (x, p) => this.string(x, p));
    this.string(v["key"], `${at}.key`);
    this.number(v["invoke"], `${at}.invoke`);
    const type = v["type"];
    if (type === "write" || type === "cas") this.string(v["value"], `${at}.value`);
    if (type === "cas" && this.object(v["compare"], `${at}.compare`)) {
      const c = v["compare"];
      if (c["target"] === "value") this.string(c["value"], `${at}.compare.value`);
      else if (c["target"] === "modRevision") this.number(c["modRevision"], `${at}.compare.modRevision`);
      else this.problems.push(`${at}.compare.target: expected "value" or "modRevision"`);
    }
    if (type !== "read" && type !== "write" && type !== "cas") {
      this.problems.push(`${at}.type: expected "read", "write" or "cas", got ${JSON.stringify(type)}`);
      return;
    }
    const outcome = v["outcome"];
    if (outcome === "unknown") {
      this.optional(v["complete"], `${at}.complete`, (x, p) => this.number(x, p));
    } else if (outcome === "ok" || outcome === "failed") {
      this.number(v["complete"], `${at}.complete`);
    } else {
      this.problems.push(`${at}.outcome: expected "ok", "failed" or "unknown", got ${JSON.stringify(outcome)}`);
      return;
    }
    this.optional(v["error"], `${at}.error`, (x, p) => this.string(x, p));
    if (outcome !== "ok") return;
    const r = v["result"];
    const rat = `${at}.result`;
    if (!this.object(r, rat)) return;
    this.optional(r["revision"], `${rat}.revision`, (x, p) => this.number(x, p));
    if (type === "read") this.keyState(r, rat);
    if (type === "cas") {
      if (typeof r["succeeded"] !== "boolean") this.problems.push(`${rat}.succeeded: expected a boolean`);
      this.optional(r["current"], `${rat}.current`, (x, p) => {
        if (this.object(x, p)) this.keyState(x, p);
      });
    }
  }

  private keyState(v: Record<string, unknown>, at: string): void {
    if (v["value"] !== null) this.string(v["value"], `${at}.value`);
    this.optional(v["modRevision"], `${at}.modRevision`, (x, p) => this.number(x, p));
  }

  private watch(v: unknown, at: string): void {
    if (!this.object(v, at)) return;
    this.number(v["id"], `${at}.id`);
    this.number(v["process"], `${at}.process`);
    this.optional(v["member"], `${at}.member`, (x, p) => this.string(x, p));
    this.string(v["key"], `${at}.key`);
    this.optional(v["rangeEnd"], `${at}.rangeEnd`, (x, p) => this.string(x, p));
    this.number(v["startRevision"], `${at}.startRevision`);
    this.optional(v["resumes"], `${at}.resumes`, (x, p) => this.number(x, p));
    this.number(v["invoke"], `${at}.invoke`);
    this.array(v["responses"], `${at}.responses`, (r, rat) => {
      if (!this.object(r, rat)) return;
      this.number(r["at"], `${rat}.at`);
      this.optional(r["revision"], `${rat}.revision`, (x, p) => this.number(x, p));
      this.optional(r["progressNotify"], `${rat}.progressNotify`, (x, p) => {
        if (typeof x !== "boolean") this.problems.push(`${p}: expected a boolean`);
      });
      this.array(r["events"], `${rat}.events`, (e, eat) => this.event(e, eat));
    });
    this.optional(v["end"], `${at}.end`, (e, eat) => {
      if (!this.object(e, eat)) return;
      this.number(e["at"], `${eat}.at`);
      if (!["closed", "canceled", "compacted", "error"].includes(e["reason"] as string)) {
        this.problems.push(`${eat}.reason: expected "closed", "canceled", "compacted" or "error"`);
      }
    });
  }

  private event(v: unknown, at: string): void {
    if (!this.object(v, at)) return;
    this.number(v["revision"], `${at}.revision`);
    this.string(v["key"], `${at}.key`);
    if (v["type"] === "PUT") this.string(v["value"], `${at}.value`);
    else if (v["type"] !== "DELETE") this.problems.push(`${at}.type: expected "PUT" or "DELETE"`);
  }

  private object(v: unknown, at: string): v is Record<string, unknown> {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return true;
    this.problems.push(`${at}: expected an object`);
    return false;
  }

  private array(v: unknown, at: string, each: (item: unknown, at: string) => void): void {
    if (!Array.isArray(v)) {
      this.problems.push(`${at}: expected an array`);
      return;
    }
    v.forEach((item, i) => each(item, `${at}[${i}]`));
  }

  private number(v: unknown, at: string): void {
    if (typeof v !== "number" || !Number.isFinite(v)) this.problems.push(`${at}: expected a finite number`);
  }

  private string(v: unknown, at: string): void {
    if (typeof v !== "string") this.problems.push(`${at}: expected a string`);
  }

  private optional(v: unknown, at: string, check: (v: unknown, at: string) => void): void {
    if (v !== undefined) check(v, at);
  }
}
