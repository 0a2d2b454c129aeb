import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import { prefixEnd } from "../integration/grpc-client.js";
import type {
  CasCompare,
  CasOp,
  ChangeEvent,
  FinalLog,
  KeyState,
  KvOp,
  ReadOp,
  WatchEnd,
  WatchRecord,
  WatchResponseRecord,
  WriteOp,
} from "./history.js";

/** A member the workload may talk to, as the cluster sees it now. */
export interface Target {
  readonly name: string;
  /** host:port of its client URL, reachable from this process. */
  readonly endpoint: string;
}

export interface WorkloadOptions {
  /** The members to spread operations over; asked before every operation (membership changes). */
  readonly targets: () => readonly Target[];
  /** Seeded random numbers in [0, 1): the same seed gives the same choices. */
  readonly random: () => number;
  /** Concurrent clients, each one operation at a time. */
  readonly clients?: number;
  /** Keys under the prefix; few keys mean many operations per key, which is what finds bugs. */
  readonly keys?: number;
  readonly watchers?: number;
  /** A request not answered by then is recorded with an unknown outcome. */
  readonly timeoutMs?: number;
  /** Pause between one client's operations. */
  readonly thinkMs?: number;
  readonly prefix?: string;
}

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;
type KvClient = grpc.Client & Record<"Range" | "Put" | "Txn", UnaryFn>;
type WatchClient = grpc.Client & { Watch: (opts?: grpc.CallOptions) => grpc.ClientDuplexStream<object, WatchResponse> };

interface KvAnswer {
  readonly key?: Buffer;
  readonly value?: Buffer;
  readonly modRevision?: number;
}
interface RangeResponse {
  readonly header?: { readonly revision?: number };
  readonly kvs?: readonly KvAnswer[];
}
interface TxnResponse {
  readonly header?: { readonly revision?: number };
  readonly succeeded?: boolean;
  readonly responses?: readonly { readonly responseRange?: RangeResponse }[];
}
interface WatchResponse {
  readonly header?: { readonly revision?: number };
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compactRevision?: number;
  readonly cancelReason?: string;
  readonly events?: readonly { readonly type?: number | string; readonly kv?: KvAnswer }[];
}

const compareEqual = 0;
const targetMod = 2;
const targetValue = 3;

/**
 * Whether a failed request certainly never reached a member: only then is a write `failed`.
 * Everything else (deadline, a dropped connection, "leader changed", "request timed out") leaves
 * it in doubt, and a write in doubt is `unknown`.
 */
export function neverSent(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE && /ECONNREFUSED|No connection established|EHOSTUNREACH|ENETUNREACH/.test(err.details ?? err.message);
}

function keyState(kv: KvAnswer | undefined): KeyState {
  if (kv === undefined) return { value: null };
  const value = kv.value === undefined ? "" : Buffer.from(kv.value).toString();
  return kv.modRevision === undefined ? { value } : { value, modRevision: kv.modRevision };
}

/**
 * The chaos suite's clients: reads, writes of unique values and compare-and-swaps on a few keys,
 * spread over every member, plus watchers of the whole prefix that resume after a broken stream.
 * Every operation is recorded with its invoke and completion times (performance.now()) in the
 * format of ./history.ts.
 */
export class Workload {
  readonly ops: KvOp[] = [];
  readonly watches: WatchRecord[] = [];
  private readonly kv = new Map<string, KvClient>();
  private readonly watchClients = new Map<string, WatchClient>();
  private readonly openStreams = new Set<grpc.ClientDuplexStream<object, WatchResponse>>();
  private running = false;
  private loops: Promise<void>[] = [];
  private nextOpId = 1;
  private nextWatchId = 1;
  private nextProcess: number;
  private readonly clients: number;
  private readonly keyNames: string[];
  private readonly timeoutMs: number;
  private readonly thinkMs: number;
  readonly prefix: string;
  /** Outcomes so far, for progress lines. */
  readonly counts = { ok: 0, failed: 0, unknown: 0 };

  constructor(private readonly o: WorkloadOptions) {
    this.clients = o.clients ?? 10;
    this.prefix = o.prefix ?? "/chaos/";
    this.keyNames = Array.from({ length: o.keys ?? 5 }, (_, i) => `${this.prefix}k${i}`);
    this.timeoutMs = o.timeoutMs ?? 1000;
    this.thinkMs = o.thinkMs ?? 5;
    this.nextProcess = this.clients + (o.watchers ?? 3);
  }

  start(): void {
    this.running = true;
    for (let c = 0; c < this.clients; c++) this.loops.push(this.clientLoop(c));
    for (let w = 0; w < (this.o.watchers ?? 3); w++) this.loops.push(this.watchLoop(this.clients + w));
  }

  /** Stop issuing operations, close the watches, and wait for the loops to finish. */
  async stop(): Promise<void> {
    this.running = false;
    for (const s of this.openStreams) s.cancel();
    await Promise.all(this.loops);
    this.loops = [];
  }

  close(): void {
    for (const c of this.kv.values()) c.close();
    for (const c of this.watchClients.values()) c.close();
    this.kv.clear();
    this.watchClients.clear();
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.o.random() * items.length)] as T;
  }

  private kvClient(t: Target): KvClient {
    let c = this.kv.get(t.endpoint);
    if (c === undefined) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
      c = new Ctor(t.endpoint, grpc.credentials.createInsecure(), { "grpc.initial_reconnect_backoff_ms": 100, "grpc.max_reconnect_backoff_ms": 500 }) as unknown as KvClient;
      this.kv.set(t.endpoint, c);
    }
    return c;
  }

  private call<T>(t: Target, method: "Range" | "Put" | "Txn", req: object): Promise<T> {
    const c = this.kvClient(t);
    return new Promise<T>((resolve, reject) => {
      c[method](req, { deadline: Date.now() + this.timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  // ---- clients --------------------------------------------------------------------------------

  private async clientLoop(slot: number): Promise<void> {
    let process = slot;
    /** What this client last saw of each key, to guard its compare-and-swaps with. */
    const seen = new Map<string, KeyState>();
    while (this.running) {
      const targets = this.o.targets();
      if (targets.length === 0) {
        await sleep(50);
        continue;
      }
      const target = this.pick(targets);
      const key = this.pick(this.keyNames);
      const roll = this.o.random();
      const id = this.nextOpId++;
      const base = { id, process, member: target.name, key, invoke: performance.now() };
      let op: KvOp;
      if (roll < 0.5) op = await this.read(target, base, seen);
      else if (roll < 0.75) op = await this.write(target, base, seen);
      else op = await this.cas(target, base, seen);
      this.ops.push(op);
      this.counts[op.outcome]++;
      // The call may still take effect: a fresh process keeps one operation at a time per process.
      if (op.outcome === "unknown") process = this.nextProcess++;
      if (this.thinkMs > 0) await sleep(this.thinkMs * (0.5 + this.o.random()));
    }
  }

  private async read(t: Target, base: Omit<ReadOp, "type" | "outcome" | "complete" | "result">, seen: Map<string, KeyState>): Promise<ReadOp> {
    try {
      const res = await this.call<RangeResponse>(t, "Range", { key: Buffer.from(base.key) });
      const state = keyState(res.kvs?.[0]);
      seen.set(base.key, state);
      const result = res.header?.revision === undefined ? state : { ...state, revision: res.header.revision };
      return { ...base, type: "read", outcome: "ok", complete: performance.now(), result };
    } catch (err) {
      // A read that failed changed nothing: whether it reached a member does not matter.
      return { ...base, type: "read", outcome: "failed", complete: performance.now(), error: describe(err) };
    }
  }

  private async write(t: Target, base: Omit<WriteOp, "type" | "value" | "outcome" | "complete" | "result">, seen: Map<string, KeyState>): Promise<WriteOp> {
    const value = String(base.id);
    try {
      const res = await this.call<RangeResponse>(t, "Put", { key: Buffer.from(base.key), value: Buffer.from(value) });
      const revision = res.header?.revision;
      seen.set(base.key, revision === undefined ? { value } : { value, modRevision: revision });
      return { ...base, type: "write", value, outcome: "ok", complete: performance.now(), result: revision === undefined ? {} : { revision } };
    } catch (err) {
      seen.delete(base.key);
      return this.inDoubt({ ...base, type: "write", value }, err);
    }
  }

  private async cas(t: Target, base: Omit<CasOp, "type" | "compare" | "value" | "outcome" | "complete" | "result">, seen: Map<string, KeyState>): Promise<CasOp> {
    const value = String(base.id);
    const last = seen.get(base.key);
    // Half guard on the value, half on mod_revision (the API server's pattern); a key never
    // seen is created only if absent.
    let compare: CasCompare;
    if (last?.value != null && (last.modRevision === undefined || this.o.random() < 0.5)) compare = { target: "value", value: last.value };
    else compare = { target: "modRevision", modRevision: last?.modRevision ?? 0 };
    const key = Buffer.from(base.key);
    const cmp =
      compare.target === "value"
        ? { result: compareEqual, target: targetValue, key, value: Buffer.from(compare.value) }
        : { result: compareEqual, target: targetMod, key, modRevision: compare.modRevision };
    try {
      const res = await this.call<TxnResponse>(t, "Txn", {
        compare: [cmp],
        success: [{ requestPut: { key, value: Buffer.from(value) } }],
        failure: [{ requestRange: { key } }],
      });
      const revision = res.header?.revision;
      const succeeded = res.succeeded === true;
      let current: KeyState | undefined;
      if (succeeded) {
        seen.set(base.key, revision === undefined ? { value } : { value, modRevision: revision });
      } else {
        current = keyState(res.responses?.[0]?.responseRange?.kvs?.[0]);
        seen.set(base.key, current);
      }
      const result = { succeeded, ...(revision === undefined ? {} : { revision }), ...(current === undefined ? {} : { current }) };
      return { ...base, type: "cas", compare, value, outcome: "ok", complete: performance.now(), result };
    } catch (err) {
      seen.delete(base.key);
      return this.inDoubt({ ...base, type: "cas", compare, value }, err);
    }
  }

  private inDoubt<T extends Omit<WriteOp, "outcome" | "complete" | "result"> | Omit<CasOp, "outcome" | "complete" | "result">>(
    op: T,
    err: unknown,
  ): T & ({ outcome: "failed"; complete: number; error: string } | { outcome: "unknown"; complete: number; error: string }) {
    const complete = performance.now();
    const error = describe(err);
    if (isServiceError(err) && neverSent(err)) return { ...op, outcome: "failed", complete, error };
    return { ...op, outcome: "unknown", complete, error };
  }

  // ---- watchers -------------------------------------------------------------------------------

  private watchClient(t: Target): WatchClient {
    let c = this.watchClients.get(t.endpoint);
    if (c === undefined) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition("Watch"), "Watch");
      c = new Ctor(t.endpoint, grpc.credentials.createInsecure()) as unknown as WatchClient;
      this.watchClients.set(t.endpoint, c);
    }
    return c;
  }

  /**
   * One watcher of the whole prefix from revision 1. When its stream ends it opens a new watch,
   * on a member picked afresh, from the revision after the last one delivered.
   */
  private async watchLoop(process: number): Promise<void> {
    let previous: WatchRecord | undefined;
    let from = 1;
    while (this.running) {
      const targets = this.o.targets();
      if (targets.length === 0) {
        await sleep(50);
        continue;
      }
      const record = await this.watchOnce(process, this.pick(targets), from, previous?.id);
      this.watches.push(record);
      const last = record.responses.at(-1);
      for (const r of record.responses) for (const e of r.events) from = Math.max(from, e.revision + 1);
      if (last === undefined && record.end?.reason === "error") await sleep(100);
      previous = record;
      if (record.end?.reason === "compacted") return; // nothing to resume from
    }
  }

  private watchOnce(process: number, t: Target, startRevision: number, resumes: number | undefined): Promise<WatchRecord> {
    const responses: WatchResponseRecord[] = [];
    const record: { -readonly [K in keyof WatchRecord]: WatchRecord[K] } = {
      id: this.nextWatchId++,
      process,
      member: t.name,
      key: this.prefix,
      rangeEnd: prefixEnd(Buffer.from(this.prefix)).toString(),
      startRevision,
      invoke: performance.now(),
      responses,
    };
    if (resumes !== undefined) record.resumes = resumes;
    return new Promise<WatchRecord>((resolve) => {
      const stream = this.watchClient(t).Watch();
      this.openStreams.add(stream);
      // A member cut off from the others may keep the stream open and silent: give up after a
      // while without news so the watcher moves to another member and the record stays useful.
      let idle: NodeJS.Timeout | undefined;
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => finish({ at: performance.now(), reason: "closed" }), 3000 + Math.floor(this.o.random() * 3000));
      };
      let done = false;
      const finish = (end: WatchEnd): void => {
        if (done) return;
        done = true;
        clearTimeout(idle);
        this.openStreams.delete(stream);
        record.end = end;
        stream.cancel();
        resolve(record);
      };
      stream.on("data", (res: WatchResponse) => {
        armIdle();
        if (res.created) return;
        if (res.canceled) {
          const compacted = (res.compactRevision ?? 0) > 0;
          finish({
            at: performance.now(),
            reason: compacted ? "compacted" : "canceled",
            ...(compacted ? { compactRevision: res.compactRevision as number } : {}),
            ...(res.cancelReason ? { error: res.cancelReason } : {}),
          });
          return;
        }
        const events: ChangeEvent[] = (res.events ?? []).map((e) => {
          const key = Buffer.from(e.kv?.key ?? []).toString();
          const revision = e.kv?.modRevision ?? 0;
          return e.type === 1 || e.type === "DELETE"
            ? { revision, key, type: "DELETE" }
            : { revision, key, type: "PUT", value: Buffer.from(e.kv?.value ?? []).toString() };
        });
        const r: WatchResponseRecord = { at: performance.now(), events, ...(res.header?.revision === undefined ? {} : { revision: res.header.revision }) };
        if (events.length === 0) responses.push({ ...r, progressNotify: true });
        else responses.push(r);
      });
      stream.on("error", (err) => finish({ at: performance.now(), reason: this.running ? "error" : "closed", error: describe(err) }));
      stream.on("end", () => finish({ at: performance.now(), reason: this.running ? "error" : "closed", error: "stream ended" }));
      armIdle();
      stream.write({ createRequest: { key: Buffer.from(this.prefix), rangeEnd: prefixEnd(Buffer.from(this.prefix)), startRevision } });
      if (!this.running) finish({ at: performance.now(), reason: "closed" });
    });
  }

  // ---- the end of a run -----------------------------------------------------------------------

  /**
   * Every change under the prefix from revision 1 up to the member's current revision, read
   * with a watch (the authoritative log the watch and durability checkers compare against).
   */
  async finalLog(t: Target, timeoutMs = 30_000): Promise<FinalLog> {
    const head = await this.call<RangeResponse>(t, "Range", { key: Buffer.from(this.prefix), rangeEnd: prefixEnd(Buffer.from(this.prefix)), countOnly: true });
    const toRevision = head.header?.revision ?? 0;
    const events: ChangeEvent[] = [];
    if (toRevision <= 1) return { member: t.name, fromRevision: 1, toRevision, events };
    await new Promise<void>((resolve, reject) => {
      const stream = this.watchClient(t).Watch();
      const timer = setTimeout(() => {
        stream.cancel();
        reject(new Error(`final log from ${t.name}: only up to revision ${events.at(-1)?.revision ?? 0} of ${toRevision} after ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on("data", (res: WatchResponse) => {
        if (res.canceled) {
          clearTimeout(timer);
          reject(new Error(`final log from ${t.name}: watch canceled (${res.cancelReason ?? "compacted"})`));
          return;
        }
        for (const e of res.events ?? []) {
          const key = Buffer.from(e.kv?.key ?? []).toString();
          const revision = e.kv?.modRevision ?? 0;
          events.push(
            e.type === 1 || e.type === "DELETE"
              ? { revision, key, type: "DELETE" }
              : { revision, key, type: "PUT", value: Buffer.from(e.kv?.value ?? []).toString() },
          );
        }
        if ((events.at(-1)?.revision ?? 0) >= toRevision) {
          clearTimeout(timer);
          stream.cancel();
          resolve();
        }
      });
      stream.on("error", () => undefined); // cancel() ends the stream with an error
      stream.write({ createRequest: { key: Buffer.from(this.prefix), rangeEnd: prefixEnd(Buffer.from(this.prefix)), startRevision: 1 } });
    });
    return { member: t.name, fromRevision: 1, toRevision, events };
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === "object" && err !== null && "code" in err && typeof (err as { code: unknown }).code === "number";
}

function describe(err: unknown): string {
  if (isServiceError(err)) return `${grpc.status[err.code] ?? err.code}: ${err.details}`;
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
