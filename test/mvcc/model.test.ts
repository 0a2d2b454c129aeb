/**
 * Model-based test: random puts, deletes, transactions (nested ones too), compactions and
 * restores from a seeded PRNG, applied to the store and to a deliberately naive reference model
 * (a full copy of the key space per revision). After every step, ranges at random revisions must
 * match the model; at the end every watcher's stream must be exactly the model's events for its
 * range from its start revision: ordered, without gaps or duplicates, each revision in one
 * response. A second store applying the same requests must hash the same.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CompactedError,
  CompareResult,
  CompareTarget,
  DuplicateKeyError,
  MvccStore,
  validateTxnRequest,
} from "../../internal/mvcc/index.js";
import type { Compare, RequestOp, TxnRequest, Watcher, WatchResponse } from "../../internal/mvcc/index.js";
import { b, prng, str } from "./helpers.js";

interface MKv {
  readonly value: string;
  readonly create: number;
  readonly mod: number;
  readonly version: number;
}

interface MEvent {
  readonly type: "PUT" | "DELETE";
  readonly key: string;
  readonly value: string;
  readonly mod: number;
  readonly prev: string | undefined;
}

/** A key range as the model sees it: [start, end), end null for unbounded, undefined for one key. */
interface Span {
  readonly start: string;
  readonly end: string | null | undefined;
}

function inSpan(sp: Span, k: string): boolean {
  if (sp.end === undefined) return k === sp.start;
  return k >= sp.start && (sp.end === null || k < sp.end);
}

function spanReq(sp: Span): { key: Uint8Array; rangeEnd?: Uint8Array } {
  if (sp.end === undefined) return { key: b(sp.start) };
  return { key: b(sp.start), rangeEnd: sp.end === null ? b("\0") : b(sp.end) };
}

class Model {
  /** states[rev]: the whole key space at that revision. */
  readonly states: Map<string, MKv>[] = [new Map(), new Map()];
  readonly events: MEvent[][] = [[], []];
  compacted = 0;

  get rev(): number {
    return this.states.length - 1;
  }

  head(): Map<string, MKv> {
    return this.states[this.rev] as Map<string, MKv>;
  }

  /** Runs ops against a working copy; commits a revision if anything was written. */
  write(fn: (w: Writer) => void): void {
    const w = new Writer(new Map(this.head()), this.rev + 1, this.head());
    fn(w);
    if (w.out.length === 0) return;
    this.states.push(w.state);
    this.events.push(w.out);
  }

  range(sp: Span, rev: number): [string, MKv][] {
    const st = this.states[rev] as Map<string, MKv>;
    return [...st.entries()].filter(([k]) => inSpan(sp, k)).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  }

  compareHolds(c: Compare): boolean {
    const sp: Span = { start: str(c.key ?? b("")), end: undefined };
    const found = this.range(sp, this.rev);
    const target = c.target ?? CompareTarget.VERSION;
    if (found.length === 0 && target === CompareTarget.VALUE) return false;
    const kv = found[0]?.[1] ?? { value: "", create: 0, mod: 0, version: 0 };
    let r: number;
    switch (target) {
      case CompareTarget.VALUE: {
        const v = str(c.value ?? b(""));
        r = kv.value < v ? -1 : kv.value > v ? 1 : 0;
        break;
      }
      case CompareTarget.CREATE:
        r = Math.sign(kv.create - (c.createRevision ?? 0));
        break;
      case CompareTarget.MOD:
        r = Math.sign(kv.mod - (c.modRevision ?? 0));
        break;
      default:
        r = Math.sign(kv.version - (c.version ?? 0));
    }
    switch (c.result ?? CompareResult.EQUAL) {
      case CompareResult.EQUAL:
        return r === 0;
      case CompareResult.GREATER:
        return r > 0;
      case CompareResult.LESS:
        return r < 0;
      default:
        return r !== 0;
    }
  }
}

class Writer {
  readonly out: MEvent[] = [];
  constructor(
    readonly state: Map<string, MKv>,
    readonly rev: number,
    private readonly before: Map<string, MKv>,
  ) {}

  put(k: string, value: string): void {
    const old = this.state.get(k);
    const kv = { value, create: old?.create ?? this.rev, mod: this.rev, version: (old?.version ?? 0) + 1 };
    this.state.set(k, kv);
    this.out.push({ type: "PUT", key: k, value, mod: this.rev, prev: kv.version === 1 ? undefined : this.before.get(k)?.value });
  }

  del(sp: Span): void {
    const victims = [...this.state.keys()].filter((k) => inSpan(sp, k)).sort();
    for (const k of victims) {
      this.state.delete(k);
      this.out.push({ type: "DELETE", key: k, value: "", mod: this.rev, prev: this.before.get(k)?.value });
    }
  }
}

const KEYS = ["a", "b", "c", "d", "e", "f", "g"];

interface Watch {
  readonly w: Watcher;
  readonly span: Span;
  readonly start: number;
  readonly prevKv: boolean;
  readonly takeChance: number;
  readonly got: WatchResponse[];
}

function run(seed: number, steps: number): void {
  const rnd = prng(seed);
  const store = new MvccStore({ watch: { maxQueuedEvents: 1000 } });
  const twin = new MvccStore();
  const model = new Model();
  const watches: Watch[] = [];

  const randomSpan = (): Span => {
    const start = rnd.pick(KEYS);
    switch (rnd.int(4)) {
      case 0:
        return { start, end: undefined };
      case 1:
        return { start, end: null };
      default:
        return { start, end: rnd.pick(KEYS) + (rnd.int(2) ? "" : "x") };
    }
  };
  const value = (): string => `v${rnd.int(1000)}`;

  const randomCompare = (): Compare => {
    const key = rnd.pick(KEYS);
    const kv = model.head().get(key);
    const result = rnd.pick([CompareResult.EQUAL, CompareResult.GREATER, CompareResult.LESS, CompareResult.NOT_EQUAL]);
    const near = (n: number): number => Math.max(0, n + rnd.int(3) - 1);
    switch (rnd.int(4)) {
      case 0:
        return { key: b(key), result, target: CompareTarget.VERSION, version: near(kv?.version ?? 0) };
      case 1:
        return { key: b(key), result, target: CompareTarget.CREATE, createRevision: near(kv?.create ?? 0) };
      case 2:
        return { key: b(key), result, target: CompareTarget.MOD, modRevision: near(kv?.mod ?? 0) };
      default:
        return { key: b(key), result, target: CompareTarget.VALUE, value: b(rnd.int(2) && kv ? kv.value : value()) };
    }
  };

  const randomOps = (depth: number): RequestOp[] => {
    const ops: RequestOp[] = [];
    const n = rnd.int(4);
    for (let i = 0; i < n; i++) {
      const r = rnd.int(10);
      if (r < 5) ops.push({ requestPut: { key: b(rnd.pick(KEYS)), value: b(value()) } });
      else if (r < 8) ops.push({ requestDeleteRange: spanReq(randomSpan()) });
      else if (depth === 0) ops.push({ requestTxn: randomTxn(1) });
    }
    return ops;
  };
  const randomTxn = (depth: number): TxnRequest => ({
    compare: Array.from({ length: rnd.int(3) }, randomCompare),
    success: randomOps(depth),
    failure: randomOps(depth),
  });

  /** The model's execution of a txn: all compares against the state before it. */
  const modelTxn = (w: Writer, t: TxnRequest): void => {
    const ok = (t.compare ?? []).every((c) => model.compareHolds(c));
    for (const op of (ok ? t.success : t.failure) ?? []) {
      if ("requestPut" in op) w.put(str(op.requestPut.key ?? b("")), str(op.requestPut.value ?? b("")));
      else if ("requestDeleteRange" in op) {
        const d = op.requestDeleteRange;
        const end = d.rangeEnd === undefined ? undefined : str(d.rangeEnd) === "\0" ? null : str(d.rangeEnd);
        w.del({ start: str(d.key ?? b("")), end });
      } else if ("requestTxn" in op) modelTxn(w, op.requestTxn);
    }
  };

  const both = <T>(fn: (s: MvccStore) => T): T => {
    const r = fn(store);
    fn(twin);
    return r;
  };

  const checkRange = (): void => {
    const sp = randomSpan();
    const lo = Math.max(model.compacted, 1);
    const rev = model.compacted > 1 && rnd.int(10) === 0 ? rnd.int(model.compacted - 1) + 1 : lo + rnd.int(model.rev - lo + 1);
    const limit = rnd.int(4);
    const req = { ...spanReq(sp), revision: rev, limit };
    if (rev < model.compacted) {
      assert.throws(() => store.range(req), CompactedError);
      return;
    }
    const want = model.range(sp, Math.max(rev, 1));
    const got = store.range(req);
    const shown = limit > 0 ? want.slice(0, limit) : want;
    assert.deepEqual(
      got.kvs.map((x) => [str(x.key), str(x.value), x.createRevision, x.modRevision, x.version]),
      shown.map(([k, v]) => [k, v.value, v.create, v.mod, v.version]),
      `seed ${seed}: range ${JSON.stringify(sp)} at ${rev} limit ${limit}`,
    );
    assert.equal(got.count, want.length);
    assert.equal(got.more, limit > 0 && want.length > limit);
  };

  for (let step = 0; step < steps; step++) {
    const r = rnd.int(100);
    if (r < 35) {
      const k = rnd.pick(KEYS);
      const v = value();
      both((s) => s.put({ key: b(k), value: b(v) }));
      model.write((w) => w.put(k, v));
    } else if (r < 50) {
      const sp = randomSpan();
      both((s) => s.deleteRange(spanReq(sp)));
      model.write((w) => w.del(sp));
    } else if (r < 75) {
      const t = randomTxn(0);
      let valid = true;
      try {
        validateTxnRequest(t);
      } catch (e) {
        assert.ok(e instanceof DuplicateKeyError, String(e));
        valid = false;
      }
      if (!valid) {
        assert.throws(() => store.txn(t), DuplicateKeyError);
      } else {
        const succeeded = (t.compare ?? []).every((c) => model.compareHolds(c));
        const resp = both((s) => s.txn(t));
        model.write((w) => modelTxn(w, t));
        assert.equal(resp.succeeded, succeeded, `seed ${seed}: txn branch`);
        assert.equal(resp.revision, model.rev, `seed ${seed}: txn revision`);
      }
    } else if (r < 80 && model.rev > model.compacted + 1) {
      const rev = model.compacted + 1 + rnd.int(model.rev - model.compacted);
      both((s) => s.compact(rev));
      model.compacted = rev;
    } else if (r < 90) {
      const sp = randomSpan();
      const start = rnd.int(3) === 0 ? 0 : model.compacted + 1 + rnd.int(model.rev - model.compacted + 1);
      const prevKv = rnd.int(2) === 0;
      const w = store.watch(spanReq(sp).key, spanReq(sp).rangeEnd, start, {
        prevKv,
        maxQueuedEvents: rnd.pick([1, 2, 5, 1000]),
      });
      watches.push({ w, span: sp, start: start === 0 ? model.rev + 1 : start, prevKv, takeChance: rnd.pick([0.05, 0.3, 1]), got: [] });
    } else if (r < 93) {
      // a replica restores from its own snapshot: state must not change, watchers carry on
      const before = store.hashKV();
      store.restore(store.snapshot());
      assert.deepEqual(store.hashKV(), before);
    } else if (r < 95) {
      const fresh = new MvccStore();
      fresh.restore(store.snapshot(b(`step ${step}`)));
      assert.deepEqual(fresh.hashKV(), store.hashKV());
    }
    assert.equal(store.currentRevision, model.rev, `seed ${seed}: revision after step ${step}`);
    checkRange();
    for (const x of watches) if (rnd.next() < x.takeChance) x.got.push(...x.w.take());
  }

  assert.deepEqual(twin.hashKV(), store.hashKV(), `seed ${seed}: replicas diverged`);
  const past = model.compacted + rnd.int(model.rev - model.compacted + 1);
  if (past >= 1) assert.deepEqual(twin.hashKV(past), store.hashKV(past));
  assert.deepEqual(twin.snapshot(), store.snapshot());

  for (const x of watches) {
    while (x.w.pending) x.got.push(...x.w.take());
    checkStream(seed, model, x);
  }
}

function checkStream(seed: number, model: Model, x: Watch): void {
  const label = `seed ${seed}: watcher ${x.w.id} on ${JSON.stringify(x.span)} from ${x.start}`;
  const expected: string[] = [];
  const expectedRevs: number[] = [];
  for (let rev = x.start; rev <= model.rev; rev++) {
    for (const e of model.events[rev] ?? []) {
      if (!inSpan(x.span, e.key)) continue;
      const prev = x.prevKv && e.prev !== undefined ? ` (prev ${e.prev})` : "";
      expected.push(`${e.type} ${e.key}=${e.value}@${e.mod}${prev}`);
      expectedRevs.push(rev);
    }
  }
  const delivered: string[] = [];
  const seenIn = new Map<number, number>();
  let lastRev = 0;
  let canceled: WatchResponse | undefined;
  x.got.forEach((resp, i) => {
    assert.equal(canceled, undefined, `${label}: nothing after a cancel`);
    if (resp.canceled) {
      canceled = resp;
      return;
    }
    assert.ok(resp.revision >= lastRev, `${label}: response revisions go forward`);
    lastRev = resp.revision;
    for (const e of resp.events) {
      const at = seenIn.get(e.kv.modRevision);
      assert.ok(at === undefined || at === i, `${label}: revision ${e.kv.modRevision} split across responses`);
      seenIn.set(e.kv.modRevision, i);
      assert.ok(e.kv.modRevision <= resp.revision);
      const prev = e.prevKv !== undefined ? ` (prev ${str(e.prevKv.value)})` : "";
      delivered.push(`${e.type} ${str(e.kv.key)}=${str(e.type === "PUT" ? e.kv.value : b(""))}@${e.kv.modRevision}${prev}`);
    }
  });
  if (canceled === undefined) {
    assert.deepEqual(delivered, expected, `${label}: complete stream`);
    return;
  }
  // canceled by compaction: what came is a gap-free prefix, and the watcher's position (after
  // everything it was handed, and at least its start) was compacted away
  assert.deepEqual(delivered, expected.slice(0, delivered.length), `${label}: prefix before cancel`);
  assert.ok(canceled.compactRevision >= Math.max(lastRev + 1, x.start), `${label}: canceled at ${canceled.compactRevision}`);
  const firstMissing = expectedRevs[delivered.length];
  if (firstMissing !== undefined) assert.ok(firstMissing > lastRev, label);
}

describe("model-based", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: store, watchers and a twin agree with the reference model`, () => run(seed, 300));
  }

});
