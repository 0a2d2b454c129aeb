import type { CasCompare, CasOp, KeyState, KvOp, ReadOp, WriteOp } from "../history.js";
import { Prng } from "../../sim/prng.js";

/**
 * Histories of a real register, for testing the checkers: concurrent clients whose operations
 * take effect, one at a time, at a random point between invoke and complete on an etcd-like
 * store (one revision counter for all keys). Everything it generates is linearizable, with
 * consistent revisions; mutations then break one read.
 */

export interface RegisterWorkload {
  readonly seed: number;
  readonly ops: number;
  /** Default 3. */
  readonly keys?: number;
  /** Clients running at once. Default 10. */
  readonly processes?: number;
  /** Relative weights of reads, writes and compare-and-swaps. Default 2, 1, 1. */
  readonly mix?: { readonly read: number; readonly write: number; readonly cas: number };
  /** Share of operations whose outcome is unknown (half of those writes take effect). Default 0. */
  readonly unknownRate?: number;
  /** Share of operations that fail without effect. Default 0. */
  readonly failedRate?: number;
  /** Share of compare-and-swaps that compare mod_revision rather than the value. Default 0.5. */
  readonly compareRevision?: number;
  /** Share of failed compare-and-swaps that read the key in their failure branch. Default 1. */
  readonly failureRead?: number;
  /** Longest operation, in ms. Default 5. */
  readonly maxLatency?: number;
}

interface Planned {
  readonly id: number;
  readonly slot: number;
  readonly process: number;
  readonly type: "read" | "write" | "cas";
  readonly key: string;
  readonly value: string;
  readonly invoke: number;
  readonly complete: number;
  readonly outcome: "ok" | "failed" | "unknown";
  /** When it takes effect; undefined when it never does. */
  readonly at: number | undefined;
}

export function generateRegisterHistory(w: RegisterWorkload): KvOp[] {
  const rng = new Prng(w.seed);
  const keys = Array.from({ length: w.keys ?? 3 }, (_, i) => `k${i}`);
  const slots = w.processes ?? 10;
  const mix = w.mix ?? { read: 2, write: 1, cas: 1 };
  const total = mix.read + mix.write + mix.cas;
  const unknownRate = w.unknownRate ?? 0;
  const failedRate = w.failedRate ?? 0;
  const maxLatency = w.maxLatency ?? 5;

  const free = new Float64Array(slots);
  const processOf = Array.from({ length: slots }, (_, i) => i);
  let nextProcess = slots;
  const planned: Planned[] = [];
  for (let id = 0; id < w.ops; id++) {
    let slot = 0;
    for (let s = 1; s < slots; s++) if ((free[s] as number) < (free[slot] as number)) slot = s;
    const invoke = (free[slot] as number) + rng.next() * maxLatency * 0.2;
    const complete = invoke + 0.05 + rng.next() * maxLatency;
    const r = rng.next() * total;
    const type = r < mix.read ? "read" : r < mix.read + mix.write ? "write" : "cas";
    const u = rng.next();
    const outcome = u < unknownRate ? "unknown" : u < unknownRate + failedRate ? "failed" : "ok";
    let at: number | undefined = invoke + rng.next() * (complete - invoke);
    if (outcome === "failed" || (outcome === "unknown" && (type === "read" || rng.chance(0.5)))) at = undefined;
    // An unknown write may take effect well after the client gave up on it.
    else if (outcome === "unknown") at = invoke + rng.next() * (complete - invoke) * 3;
    planned.push({ id, slot, process: processOf[slot] as number, type, key: rng.pick(keys), value: `v${id}`, invoke, complete, outcome, at });
    free[slot] = complete;
    if (outcome === "unknown") processOf[slot] = nextProcess++;
  }

  const state = new Map<string, { value: string; modRevision: number }>();
  const known = new Map<string, KeyState>();
  let revision = 1;
  const results = new Map<number, KvOp>();
  const effective = planned.filter((p) => p.at !== undefined).sort((a, b) => (a.at as number) - (b.at as number));
  for (const p of effective) {
    const base = { id: p.id, process: p.process, member: `m${p.slot % 3}`, key: p.key, invoke: p.invoke };
    const ending = <R>(result: R) =>
      p.outcome === "ok" ? { outcome: "ok" as const, complete: p.complete, result } : { outcome: "unknown" as const, complete: p.complete, error: "timeout" };
    const now = state.get(p.key);
    const seen: KeyState = now === undefined ? { value: null } : now;
    const knowledge = `${p.slot}\u0000${p.key}`;
    // What the client learns from an answer; an unknown outcome teaches nothing.
    const learn = (s: KeyState): void => {
      if (p.outcome === "ok") known.set(knowledge, s);
    };
    if (p.type === "read") {
      results.set(p.id, { ...base, type: "read", ...ending({ ...seen, revision }) } as ReadOp);
      learn(seen);
    } else if (p.type === "write") {
      revision++;
      state.set(p.key, { value: p.value, modRevision: revision });
      results.set(p.id, { ...base, type: "write", value: p.value, ...ending({ revision }) } as WriteOp);
      learn({ value: p.value, modRevision: revision });
    } else {
      const k = known.get(knowledge);
      let compare: CasCompare;
      if (k === undefined || k.value === null) compare = { target: "modRevision", modRevision: 0 };
      else if (rng.chance(w.compareRevision ?? 0.5)) compare = { target: "modRevision", modRevision: k.modRevision as number };
      else compare = { target: "value", value: k.value };
      const holds = compare.target === "value" ? now?.value === compare.value : (now?.modRevision ?? 0) === compare.modRevision;
      if (holds || p.outcome === "unknown") {
        // An unknown compare-and-swap planned to take effect does so only if its compare holds.
        if (holds) {
          revision++;
          state.set(p.key, { value: p.value, modRevision: revision });
          learn({ value: p.value, modRevision: revision });
        }
        results.set(p.id, { ...base, type: "cas", compare, value: p.value, ...ending({ succeeded: true, revision }) } as CasOp);
      } else {
        const current = rng.chance(w.failureRead ?? 1) ? { current: seen } : {};
        results.set(p.id, { ...base, type: "cas", compare, value: p.value, ...ending({ succeeded: false, revision, ...current }) } as CasOp);
        if ("current" in current) learn(seen);
      }
    }
  }
  return planned.map((p) => {
    const done = results.get(p.id);
    if (done !== undefined) return done;
    const base = { id: p.id, process: p.process, member: `m${p.slot % 3}`, key: p.key, invoke: p.invoke };
    const end = p.outcome === "failed" ? { outcome: "failed" as const, complete: p.complete, error: "unavailable" } : { outcome: "unknown" as const, complete: p.complete, error: "timeout" };
    if (p.type === "read") return { ...base, type: "read", ...end } as ReadOp;
    if (p.type === "write") return { ...base, type: "write", value: p.value, ...end } as WriteOp;
    return { ...base, type: "cas", compare: { target: "modRevision", modRevision: 0 }, value: p.value, ...end } as CasOp;
  });
}

/**
 * Makes one answered read return a value that was surely overwritten before it began: its
 * write completed before another write of the key was invoked, which completed before the
 * read was invoked. No history with that read is linearizable. Undefined if no read qualifies.
 */
export function mutateStaleRead(ops: readonly KvOp[], seed: number): { ops: KvOp[]; id: number } | undefined {
  const rng = new Prng(seed);
  const acked = ops.filter((op): op is (WriteOp | CasOp) & { outcome: "ok" } => op.type !== "read" && op.outcome === "ok" && (op.type === "write" || op.result.succeeded));
  const candidates: { read: ReadOp & { outcome: "ok" }; stale: (WriteOp | CasOp) & { outcome: "ok" } }[] = [];
  for (const op of ops) {
    if (op.type !== "read" || op.outcome !== "ok") continue;
    const writes = acked.filter((w) => w.key === op.key);
    const overwrittenBy = Math.max(-Infinity, ...writes.filter((w) => w.complete < op.invoke).map((w) => w.invoke));
    const stale = writes.filter((w) => w.complete < overwrittenBy);
    if (stale.length > 0) candidates.push({ read: op, stale: rng.pick(stale) });
  }
  if (candidates.length === 0) return undefined;
  const { read, stale } = rng.pick(candidates);
  const result = { ...read.result, value: stale.value, modRevision: stale.result.revision as number };
  return { ops: ops.map((op) => (op === read ? { ...read, result } : op)), id: read.id };
}

/** Makes one answered read return another value some write of its key put. */
export function mutateRandomRead(ops: readonly KvOp[], seed: number): { ops: KvOp[]; id: number } | undefined {
  const rng = new Prng(seed);
  const reads = ops.filter((op): op is ReadOp & { outcome: "ok" } => op.type === "read" && op.outcome === "ok");
  if (reads.length === 0) return undefined;
  const read = rng.pick(reads);
  const others = ops.filter((op): op is WriteOp | CasOp => op.type !== "read" && op.key === read.key && op.outcome !== "failed" && op.value !== read.result.value);
  if (others.length === 0) return undefined;
  const value = rng.pick(others).value;
  // Without the mod_revision, only the value can give the read away.
  const result = read.result.revision === undefined ? { value } : { value, revision: read.result.revision };
  return { ops: ops.map((op) => (op === read ? { ...read, result } : op)), id: read.id };
}
