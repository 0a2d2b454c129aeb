import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { kvService, messageType, serviceDefinition, watchService } from "../../internal/etcdapi/index.js";
import type { Event, WatchResponse as HubResponse } from "../../internal/mvcc/index.js";
import { coalesce } from "../../internal/etcdapi/watch-service.js";
import { startSingleMember } from "./harness.js";
import type { SingleMember } from "./harness.js";

interface WireKv {
  key?: Buffer;
  value?: Buffer;
  modRevision?: number;
}

/** A decoded WatchResponse: fields at their proto default are absent. */
interface WatchResp {
  header?: { revision?: number };
  watchId?: number;
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  cancelReason?: string;
  fragment?: boolean;
  events?: { type?: number; kv?: WireKv; prevKv?: WireKv }[];
}

type Client = ReturnType<SingleMember["client"]>;

const progressIntervalMs = 150;
const maxQueuedEvents = 32;
const maxResponseBytes = 64 * 1024;

function rev(r: WatchResp): number {
  return r.header?.revision ?? 0;
}

/** "PUT key=value@rev (prev value)" or "DELETE key@rev", for comparing event lists. */
function events(r: WatchResp): string[] {
  return (r.events ?? []).map((e) => {
    const key = e.kv?.key?.toString() ?? "";
    const at = e.kv?.modRevision ?? 0;
    const prev = e.prevKv === undefined ? "" : ` (prev ${e.prevKv.value?.toString() ?? ""})`;
    return e.type === 1 ? `DELETE ${key}@${at}${prev}` : `PUT ${key}=${e.kv?.value?.toString() ?? ""}@${at}${prev}`;
  });
}

function unaryCall<T>(client: Client, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = client[method] ?? assert.fail(`no method ${method}`);
    fn.call(client, req, (err: Error | null, res: T) => (err === null ? resolve(res) : reject(err)));
  });
}

/** One Watch call, its responses queued in arrival order. */
class WatchCall {
  readonly call: grpc.ClientDuplexStream<object, WatchResp>;
  private readonly received: WatchResp[] = [];
  private wake: (() => void) | undefined;

  constructor(client: Client, read = true) {
    const watch = client["Watch"] ?? assert.fail("no Watch method");
    this.call = watch.call(client) as grpc.ClientDuplexStream<object, WatchResp>;
    this.call.on("error", () => undefined);
    if (read) this.startReading();
  }

  startReading(): void {
    this.call.on("data", (r: WatchResp) => {
      this.received.push(r);
      this.wake?.();
    });
  }

  send(req: object): void {
    this.call.write(req);
  }

  async next(timeoutMs = 3000): Promise<WatchResp> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail("no watch response in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.received.shift() as WatchResp;
  }

  /** Responses until `count` events have arrived (whole responses). */
  async events(count: number, timeoutMs = 5000): Promise<WatchResp[]> {
    const out: WatchResp[] = [];
    let n = 0;
    while (n < count) {
      const r = await this.next(timeoutMs);
      out.push(r);
      n += r.events?.length ?? 0;
    }
    return out;
  }

  async create(req: object): Promise<WatchResp> {
    this.send({ createRequest: req });
    const r = await this.next();
    assert.equal(r.created, true, "a create is answered by a created response first");
    return r;
  }

  /** Nothing arrives for a while. */
  async quiet(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.received, []);
  }

  close(): void {
    this.call.cancel();
  }
}

describe("Watch service", () => {
  let member: SingleMember;
  let kv: Client;
  const b = (s: string): Buffer => Buffer.from(s);
  const put = async (key: string, value: string): Promise<number> =>
    rev(await unaryCall<WatchResp>(kv, "Put", { key: b(key), value: b(value) }));
  const del = async (key: string): Promise<number> => rev(await unaryCall<WatchResp>(kv, "DeleteRange", { key: b(key) }));
  const watchCall = (read = true): WatchCall => new WatchCall(member.client("Watch"), read);
  /** The hub's watcher count once streams closed by earlier steps have been torn down. */
  const settledWatchers = async (): Promise<number> => {
    let last = -1;
    for (;;) {
      const now = member.sm.store.watchHub.stats().watchers;
      if (now === last) return now;
      last = now;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    member = await startSingleMember({
      KV: kvService,
      Watch: (ctx) => watchService(ctx, { progressIntervalMs, maxQueuedEvents, maxResponseBytes }),
    });
    kv = member.client("KV");
  });
  after(async () => {
    await member.close();
  });

  it("announces a watch, then sends each revision's events live", async () => {
    const w = watchCall();
    const created = await w.create({ key: b("live/k") });
    assert.equal(created.watchId ?? 0, 0, "the first server-chosen id is 0");
    assert.equal(rev(created), member.sm.store.currentRevision);
    assert.equal(created.canceled ?? false, false);
    const r1 = await put("live/k", "v1");
    await put("live/other", "x");
    const r2 = await put("live/k", "v2");
    const r3 = await del("live/k");
    const got = [await w.next(), await w.next(), await w.next()];
    assert.deepEqual(got.map(events), [[`PUT live/k=v1@${r1}`], [`PUT live/k=v2@${r2}`], [`DELETE live/k@${r3}`]]);
    assert.deepEqual(got.map(rev), [r1, r2, r3], "the header carries the events' revision");
    await w.quiet(50);
    w.close();
  });

  it("replays history from start_revision, then continues live", async () => {
    const r1 = await put("hist/k", "1");
    const r2 = await put("hist/k", "2");
    const r3 = await put("hist/k", "3");
    const w = watchCall();
    await w.create({ key: b("hist/k"), startRevision: r2 });
    const replay = await w.events(2);
    assert.deepEqual(replay.flatMap(events), [`PUT hist/k=2@${r2}`, `PUT hist/k=3@${r3}`]);
    assert.ok(r1 < r2);
    const r4 = await put("hist/k", "4");
    assert.deepEqual(events(await w.next()), [`PUT hist/k=4@${r4}`]);
    w.close();
  });

  it("sends a catch-up of many revisions as one response, as etcd does", async () => {
    const first = await put("batch/k", "0");
    let last = first;
    for (let i = 1; i < 50; i++) last = await put("batch/k", String(i));
    const w = watchCall();
    await w.create({ key: b("batch/k"), startRevision: first });
    // The hub hands out history maxQueuedEvents (32) events at a time: two responses in all.
    const responses = await w.events(50);
    assert.deepEqual(responses.map((r) => r.events?.length), [maxQueuedEvents, 50 - maxQueuedEvents]);
    const [head, tail] = responses as [WatchResp, WatchResp];
    assert.equal(rev(head), first + maxQueuedEvents - 1, "each header names the last revision it holds");
    assert.equal(rev(tail), last);
    assert.deepEqual(events(head).slice(0, 2), [`PUT batch/k=0@${first}`, `PUT batch/k=1@${first + 1}`]);
    w.close();
  });

  it("delivers live events under ids of several varint bytes (encoded once, id prepended)", async () => {
    const w = watchCall();
    const a = watchCall();
    await w.create({ key: b("ids/k"), watchId: 300 });
    await a.create({ key: b("ids/k"), watchId: 70000 });
    const r1 = await put("ids/k", "v");
    const [fromW, fromA] = [await w.next(), await a.next()];
    assert.equal(fromW.watchId, 300);
    assert.equal(fromA.watchId, 70000);
    assert.deepEqual(events(fromW), [`PUT ids/k=v@${r1}`]);
    assert.deepEqual(events(fromA), events(fromW));
    assert.equal(rev(fromA), r1);
    w.close();
    a.close();
  });

  it("sends live revisions that queued together as one message of their shared encodings", async () => {
    const w = watchCall();
    const other = watchCall();
    await w.create({ key: b("group/k"), watchId: 5 });
    await other.create({ key: b("group/"), rangeEnd: b("group0") });
    // Three revisions applied in one turn, as raft applies a batch: one pump takes all three.
    const store = member.sm.store;
    const revs = ["a", "b", "c"].map((v) => store.put({ key: b("group/k"), value: b(v) }).revision);
    const [got, fromOther] = [await w.next(), await other.next()];
    assert.equal(got.watchId, 5);
    assert.deepEqual(events(got), revs.map((r, i) => `PUT group/k=${"abc"[i]}@${r}`));
    assert.equal(rev(got), revs[2], "the header is the newest revision's");
    assert.deepEqual(events(fromOther), events(got));
    await w.quiet(50);
    w.close();
    other.close();
  });

  it("watches a prefix, a range and every key from one on", async () => {
    const w = watchCall();
    const prefix = (await w.create({ key: b("rng/"), rangeEnd: b("rng0") })).watchId ?? 0;
    const range = (await w.create({ key: b("rng/b"), rangeEnd: b("rng/d") })).watchId ?? 0;
    const fromKey = (await w.create({ key: b("rng/m"), rangeEnd: Buffer.from([0]) })).watchId ?? 0;
    const revs = new Map<string, number>();
    for (const k of ["rng/a", "rng/b", "rng/c", "rng/d", "rng/z", "rng0", "rnh"]) revs.set(k, await put(k, "v"));
    const byWatch = new Map<number, string[]>();
    for (const r of await w.events(5 + 2 + 3)) {
      const list = byWatch.get(r.watchId ?? 0) ?? [];
      list.push(...events(r).map((e) => e.replace(/=.*/, "")));
      byWatch.set(r.watchId ?? 0, list);
    }
    assert.deepEqual(byWatch.get(prefix), ["PUT rng/a", "PUT rng/b", "PUT rng/c", "PUT rng/d", "PUT rng/z"]);
    assert.deepEqual(byWatch.get(range), ["PUT rng/b", "PUT rng/c"]);
    assert.deepEqual(byWatch.get(fromKey), ["PUT rng/z", "PUT rng0", "PUT rnh"]);
    w.close();
  });

  it("attaches the previous key-value when asked (prev_kv)", async () => {
    await put("prev/k", "1");
    const w = watchCall();
    await w.create({ key: b("prev/k"), prevKv: true });
    const r2 = await put("prev/k", "2");
    const r3 = await del("prev/k");
    const r4 = await put("prev/k", "3");
    assert.deepEqual((await w.events(3)).flatMap(events), [
      `PUT prev/k=2@${r2} (prev 1)`,
      `DELETE prev/k@${r3} (prev 2)`,
      `PUT prev/k=3@${r4}`,
    ]);
    w.close();
  });

  it("drops puts or deletes with the NOPUT and NODELETE filters", async () => {
    const w = watchCall();
    const noPut = (await w.create({ key: b("flt/"), rangeEnd: b("flt0"), filters: [0] })).watchId ?? 0;
    const noDelete = (await w.create({ key: b("flt/"), rangeEnd: b("flt0"), filters: [1] })).watchId ?? 0;
    const r1 = await put("flt/a", "1");
    const r2 = await del("flt/a");
    const got = await w.events(2);
    assert.deepEqual(got.map((r) => [r.watchId ?? 0, ...events(r)]), [
      [noDelete, `PUT flt/a=1@${r1}`],
      [noPut, `DELETE flt/a@${r2}`],
    ]);
    w.close();
  });

  it("multiplexes watches on one stream, each under its own id", async () => {
    const w = watchCall();
    const a = await w.create({ key: b("mux/a") });
    const c = await w.create({ key: b("mux/c") });
    assert.deepEqual([a.watchId ?? 0, c.watchId ?? 0], [0, 1], "server ids count up from 0 per stream");
    const rc = await put("mux/c", "1");
    const ra = await put("mux/a", "1");
    const got = [await w.next(), await w.next()];
    assert.deepEqual(got.map((r) => [r.watchId ?? 0, rev(r)]), [[1, rc], [0, ra]]);
    w.close();
  });

  it("takes client-chosen ids and refuses a duplicate as etcd does", async () => {
    const w = watchCall();
    assert.equal((await w.create({ key: b("ids/k"), watchId: 1 })).watchId, 1);
    assert.equal((await w.create({ key: b("ids/k") })).watchId ?? 0, 0);
    assert.equal((await w.create({ key: b("ids/k") })).watchId, 2, "server ids skip ones the client took");
    const dup = await w.create({ key: b("ids/k"), watchId: 1 });
    assert.deepEqual(
      [dup.watchId, dup.created, dup.canceled, dup.cancelReason],
      [-1, true, true, "mvcc: duplicate watch ID provided on the WatchStream"],
    );
    const empty = await w.create({ key: b("ids/z"), rangeEnd: b("ids/a") });
    assert.deepEqual([empty.watchId, empty.canceled, empty.cancelReason], [-1, true, "mvcc: watcher range is empty"]);
    const r = await put("ids/k", "v");
    const got = await w.events(3);
    assert.deepEqual(got.map((x) => x.watchId ?? 0).sort(), [0, 1, 2], "the refused creates left the others running");
    assert.ok(got.every((x) => rev(x) === r));
    w.close();
  });

  it("cancels one watch and leaves the others on the stream", async () => {
    const w = watchCall();
    const gone = (await w.create({ key: b("cxl/k") })).watchId ?? 0;
    const kept = (await w.create({ key: b("cxl/k"), watchId: 5 })).watchId ?? 0;
    const before = member.sm.store.watchHub.stats().watchers;
    w.send({ cancelRequest: { watchId: gone } });
    const canceled = await w.next();
    assert.deepEqual([canceled.watchId ?? 0, canceled.canceled, canceled.events], [gone, true, undefined]);
    assert.ok(rev(canceled) > 0);
    assert.equal(member.sm.store.watchHub.stats().watchers, before - 1);
    w.send({ cancelRequest: { watchId: 99 } });
    const r = await put("cxl/k", "v");
    const next = await w.next();
    assert.deepEqual([next.watchId, rev(next)], [kept, r], "no answer for an unknown id, no events for a canceled one");
    await w.quiet(50);
    w.close();
  });

  it("cancels a watch whose start revision was compacted, with compact_revision", async () => {
    const first = await put("cmp/k", "1");
    await put("cmp/k", "2");
    const compactAt = await put("cmp/k", "3");
    await unaryCall(kv, "Compact", { revision: compactAt });
    const w = watchCall();
    const created = await w.create({ key: b("cmp/k"), startRevision: first });
    assert.equal(created.canceled ?? false, false, "etcd announces the watch first");
    const canceled = await w.next();
    assert.deepEqual(
      [canceled.watchId ?? 0, canceled.canceled, canceled.compactRevision, canceled.events],
      [created.watchId ?? 0, true, compactAt, undefined],
    );
    // after the compact revision, history is still there
    const kept = await put("cmp/k", "4");
    const ok = await w.create({ key: b("cmp/k"), startRevision: compactAt + 1 });
    assert.deepEqual((await w.events(1)).flatMap(events), [`PUT cmp/k=4@${kept}`]);
    assert.notEqual(ok.watchId, created.watchId);
    w.close();
  });

  it("answers a progress request with the current revision under watch id -1", async () => {
    const w = watchCall();
    await w.create({ key: b("prog/k") });
    await put("prog/other", "x");
    w.send({ progressRequest: {} });
    const p = await w.next();
    assert.deepEqual([p.watchId, p.events, p.created, p.canceled], [-1, undefined, undefined, undefined]);
    assert.equal(rev(p), member.sm.store.currentRevision);
    w.close();
  });

  it("answers a progress request only after the events it covers were sent", async () => {
    // enough history for more catch-up batches than the call buffers, so the replay spans
    // several turns of the event loop and the request arrives while it is under way
    const count = maxQueuedEvents * 20;
    const first = await put("pdef/0", "v");
    let last = first;
    for (let i = 1; i < count; i += 100) {
      const done = await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => put(`pdef/${i + j}`, "v")));
      last = Math.max(last, ...done);
    }
    const w = watchCall();
    w.send({ createRequest: { key: b("pdef/"), rangeEnd: b("pdef0"), startRevision: first } });
    w.send({ progressRequest: {} });
    assert.equal((await w.next()).created, true);
    const replay = await w.events(count);
    assert.ok(replay.every((r) => r.watchId !== -1), "no progress response in the middle of the replay");
    const p = await w.next();
    assert.equal(p.watchId, -1);
    assert.ok(rev(p) >= last);
    w.close();
  });

  it("notifies idle progress_notify watchers periodically, and only those", async () => {
    const w = watchCall();
    const id = (await w.create({ key: b("pn/k"), progressNotify: true, watchId: 3 })).watchId;
    await w.create({ key: b("pn/k2"), watchId: 4 });
    const current = await put("pn/unrelated", "x");
    const p = await w.next(progressIntervalMs * 4);
    assert.deepEqual([p.watchId, p.events], [id, undefined]);
    assert.ok(rev(p) >= current);
    const again = await w.next(progressIntervalMs * 4);
    assert.equal(again.watchId, id, "the other watch never gets one");
    w.close();
  });

  it("sends a transaction's writes as one response with all its events", async () => {
    const w = watchCall();
    await w.create({ key: b("txn/"), rangeEnd: b("txn0") });
    const res = await unaryCall<WatchResp>(kv, "Txn", {
      success: ["c", "a", "b"].map((k) => ({ requestPut: { key: b(`txn/${k}`), value: b(k) } })),
    });
    const r = await w.next();
    const at = rev(res);
    assert.equal(rev(r), at);
    assert.deepEqual(events(r), [`PUT txn/c=c@${at}`, `PUT txn/a=a@${at}`, `PUT txn/b=b@${at}`]);
    w.close();
  });

  it("keeps hundreds of concurrent writes ordered, without gaps or duplicates, for every watcher", async () => {
    const streams = [watchCall(), watchCall()];
    const expectKeys = new Map<number, (k: number) => boolean>();
    const calls: [WatchCall, number][] = [];
    for (const [i, s] of streams.entries()) {
      calls.push([s, (await s.create({ key: b("ord/"), rangeEnd: b("ord0"), watchId: 10 + i })).watchId ?? 0]);
      calls.push([s, (await s.create({ key: b("ord/"), rangeEnd: b("ord0"), prevKv: true, watchId: 20 + i })).watchId ?? 0]);
    }
    const odd = (await streams[0]?.create({ key: b("ord/1"), rangeEnd: b("ord/2"), watchId: 30 }))?.watchId ?? 0;
    expectKeys.set(odd, (k) => String(k).startsWith("1"));
    const writes = 300;
    const revs: number[] = [];
    for (let batch = 0; batch < writes; batch += 50) {
      const done = await Promise.all(
        Array.from({ length: 50 }, (_, j) => put(`ord/${batch + j}`, `v${batch + j}`).then((r) => [batch + j, r] as const)),
      );
      revs.push(...done.map(([, r]) => r));
      assert.equal(new Set(revs).size, revs.length);
    }
    const keyAt = new Map<number, number>();
    for (let i = 0; i < revs.length; i++) keyAt.set(revs[i] as number, i);
    const sorted = [...revs].sort((x, y) => x - y);
    for (const s of streams) {
      const seen = new Map<number, number[]>();
      const covered = new Map<number, number>();
      const wanted = new Map<number, number>();
      for (const [c, id] of calls) if (c === s) wanted.set(id, writes);
      if (s === streams[0]) wanted.set(odd, [...keyAt.values()].filter((k) => String(k).startsWith("1")).length);
      let remaining = [...wanted.values()].reduce((x, y) => x + y, 0);
      while (remaining > 0) {
        const r = await s.next(5000);
        const id = r.watchId ?? 0;
        const list = seen.get(id) ?? [];
        for (const e of r.events ?? []) {
          const at = e.kv?.modRevision ?? 0;
          assert.ok(at > (covered.get(id) ?? 0), "nothing arrives at or below a revision already reported");
          list.push(at);
          assert.equal(e.kv?.key?.toString(), `ord/${keyAt.get(at) ?? "?"}`);
        }
        // a live response reports its events' revision; one caught up from history the revision it read up to
        assert.ok(rev(r) >= (list[list.length - 1] ?? 0));
        covered.set(id, rev(r));
        seen.set(id, list);
        remaining -= r.events?.length ?? 0;
      }
      for (const [id, count] of wanted) {
        const filter = expectKeys.get(id);
        const expected = filter === undefined ? sorted : sorted.filter((r) => filter(keyAt.get(r) ?? -1));
        assert.equal(count, expected.length);
        assert.deepEqual(seen.get(id), expected, `watch ${id}: every revision once, in order`);
      }
      await s.quiet(50);
      s.close();
    }
  });

  it("lets a reader that never reads fall behind without holding up writes or other streams", async () => {
    const stalled = new WatchCall(member.client("Watch"), false);
    const live = watchCall();
    stalled.send({ createRequest: { key: b("slow/"), rangeEnd: b("slow0") } });
    await live.create({ key: b("slow/"), rangeEnd: b("slow0") });
    const stats = member.sm.store.watchHub.stats();
    const value = "x".repeat(16 * 1024);
    const writes = 300;
    const started = Date.now();
    let last = 0;
    for (let i = 0; i < writes; i += 20) {
      const done = await Promise.all(Array.from({ length: 20 }, (_, j) => put(`slow/${i + j}`, value)));
      last = Math.max(last, ...done);
    }
    assert.ok(Date.now() - started < 5000, "writes were not held up");
    const got = await live.events(writes);
    assert.equal(rev(got[got.length - 1] ?? {}), last, "the other stream got everything");
    const after = member.sm.store.watchHub.stats();
    assert.ok(after.fellBehind > stats.fellBehind, "the stalled watcher left live fan-out");
    assert.ok(after.queuedEvents <= maxQueuedEvents * 2, `bounded server-side queue (${after.queuedEvents} events)`);
    // once it reads, it catches up from history: created, then every event in order
    stalled.startReading();
    assert.equal((await stalled.next()).created, true);
    const caught = (await stalled.events(writes)).flatMap((r) => (r.events ?? []).map((e) => e.kv?.modRevision ?? 0));
    assert.deepEqual(caught, [...caught].sort((x, y) => x - y));
    assert.equal(new Set(caught).size, writes);
    assert.equal(caught[caught.length - 1], last);
    stalled.close();
    live.close();
  });

  it("fragments a large response when the watch asks for it", async () => {
    const big = "y".repeat(900 * 1024);
    const first = await put("frag/a", big);
    await put("frag/b", big);
    await put("frag/c", big);
    const w = watchCall();
    await w.create({ key: b("frag/"), rangeEnd: b("frag0"), startRevision: first, fragment: true });
    const parts = await w.events(3);
    assert.deepEqual(parts.map((p) => [p.events?.length, p.fragment ?? false]), [[2, true], [1, false]]);
    w.close();
  });

  it("splits a large catch-up between revisions, never inside one, when fragment is not asked for", async () => {
    const value = "z".repeat(maxResponseBytes + 1024);
    const first = await put("split/a", value);
    const txn = await unaryCall<WatchResp>(kv, "Txn", {
      success: ["b", "c"].map((k) => ({ requestPut: { key: b(`split/${k}`), value: b(value) } })),
    });
    const last = await put("split/d", value);
    const w = watchCall();
    await w.create({ key: b("split/"), rangeEnd: b("split0"), startRevision: first });
    const got = await w.events(4);
    assert.deepEqual(got.map((r) => [rev(r), r.events?.length, r.fragment ?? false]), [
      [first, 1, false],
      [rev(txn), 2, false],
      [last, 1, false],
    ]);
    w.close();
  });

  it("ignores requests without a known union and with unknown fields, and keeps serving", async () => {
    // raw bytes, to put fields on the wire that the schema does not know
    const raw = { ...serviceDefinition("Watch") } as Record<string, grpc.MethodDefinition<Buffer, WatchResp>>;
    const method = raw["Watch"] ?? assert.fail();
    raw["Watch"] = { ...method, requestSerialize: (buf: Buffer) => buf };
    const Ctor = grpc.makeGenericClientConstructor(raw, "Watch");
    const client = new Ctor(`127.0.0.1:${member.port}`, grpc.credentials.createInsecure());
    const w = new WatchCall(client as Client);
    const type = messageType("etcdserverpb.WatchRequest");
    const unknownField = Buffer.from([0x78, 0x01]); // field 15, varint 1
    w.send(Buffer.alloc(0));
    w.send(unknownField);
    const create = Buffer.from(type.encode({ createRequest: { key: b("raw/k"), watchId: 9 } }).finish());
    w.send(Buffer.concat([create, unknownField]));
    const created = await w.next();
    assert.deepEqual([created.watchId, created.created], [9, true]);
    const r = await put("raw/k", "v");
    assert.equal(rev(await w.next()), r);
    w.close();
    client.close();
  });

  it("frees every watcher of a stream when the client ends it", async () => {
    const baseline = await settledWatchers();
    const w = watchCall();
    for (let i = 0; i < 5; i++) await w.create({ key: b(`free/${i}`) });
    assert.equal(member.sm.store.watchHub.stats().watchers, baseline + 5);
    w.close();
    assert.equal(await settledWatchers(), baseline);
  });

  it("serves etcdctl 3.4's watch --prefix --rev", async () => {
    const start = await put("foo/before", "old");
    const child = spawn(
      "etcdctl",
      ["watch", "--prefix", "foo", `--rev=${start}`, `--endpoints=127.0.0.1:${member.port}`],
      { env: { ...process.env, ETCDCTL_API: "3" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const expected = "PUT\nfoo/before\nold\nPUT\nfoo1\nv1\nDELETE\nfoo1\n\nPUT\nfoo2\nv2\n";
    try {
      const deadline = Date.now() + 5000;
      while (!out.includes("foo/before") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await put("foo1", "v1");
      await del("foo1");
      await put("bar", "not watched");
      await put("foo2", "v2");
      while (out !== expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(out, expected, `etcdctl stderr: ${err}`);
    } finally {
      child.kill();
    }
  });
});

describe("coalesce", () => {
  const ev = (rev: number): Event => ({ type: "PUT", kv: { key: Buffer.from("k"), value: Buffer.from(String(rev)), createRevision: 1, modRevision: rev, version: 1, lease: 0 } });
  const resp = (revision: number, opts: Partial<HubResponse> = {}): HubResponse => ({
    watchId: 0,
    revision,
    events: opts.progressNotify || opts.canceled ? [] : [ev(revision)],
    compactRevision: 0,
    canceled: false,
    progressNotify: false,
    ...opts,
  });

  it("groups runs of event responses and keeps progress and cancel responses alone, in place", () => {
    const out = coalesce([resp(2), resp(3), resp(4, { progressNotify: true }), resp(5), resp(6), resp(7, { canceled: true }), resp(8)]);
    assert.deepEqual(
      out.map((g) => g.map((r) => [r.revision, r.events.map((e) => e.kv.modRevision), r.canceled])),
      [
        [
          [2, [2], false],
          [3, [3], false],
        ],
        [[4, [], false]],
        [
          [5, [5], false],
          [6, [6], false],
        ],
        [[7, [], true]],
        [[8, [8], false]],
      ],
    );
  });

  it("leaves a single response, and the hub's shared array, untouched", () => {
    const one = resp(9);
    const out = coalesce([one]);
    assert.equal(out[0]?.[0], one);
  });
});
