import assert from "node:assert/strict";
import { test } from "node:test";
import { message } from "../../internal/raft/index.js";
import type { InMemoryNetworkOptions, InMemoryTransport } from "../../internal/transport/index.js";
import { InMemoryNetwork } from "../../internal/transport/index.js";
import { Recorder, indexesFrom, isIncreasing, numbered, seeded, sendWatched, sleep, waitFor } from "./helpers.js";

interface Node {
  id: number;
  t: InMemoryTransport;
  r: Recorder;
}

async function cluster(ids: readonly number[], options: InMemoryNetworkOptions = {}): Promise<[InMemoryNetwork, Node[]]> {
  const net = new InMemoryNetwork(options);
  const nodes: Node[] = [];
  for (const id of ids) {
    const t = net.transport(id);
    const r = new Recorder();
    t.setHandler(r);
    for (const p of ids) t.addPeer(p, [`http://127.0.0.1:${2380 + p}`]);
    await t.start();
    nodes.push({ id, t, r });
  }
  return [net, nodes];
}

function burst(from: number, to: number, n: number, start = 0): ReturnType<typeof numbered>[] {
  return Array.from({ length: n }, (_, i) => numbered(from, to, start + i));
}

/** Send n messages from → to, and wait until the network has nothing in flight. */
async function exchange(net: InMemoryNetwork, a: Node, b: Node, n: number): Promise<number[]> {
  a.t.send(burst(a.id, b.id, n));
  await waitFor("the network to drain", () => net.inFlight === 0);
  return indexesFrom(b.r, a.id);
}

test("delivers asynchronously, in order, to the addressed member only", async () => {
  const [net, [a, b, c]] = await cluster([1, 2, 3]);
  if (!a || !b || !c) throw new Error("three nodes");
  sendWatched(a.t, a.r, burst(1, 2, 100));
  assert.equal(b.r.messages.length, 0, "delivered synchronously");
  await waitFor("delivery", () => b.r.messages.length === 100);
  assert.deepEqual(indexesFrom(b.r, 1), [...Array(100).keys()]);
  assert.equal(c.r.messages.length, 0);
  assert.equal(net.stats().delivered, 100);
});

test("a symmetric partition cuts both ways, reports unreachable, and heals", async () => {
  const [net, [a, b, c]] = await cluster([1, 2, 3]);
  if (!a || !b || !c) throw new Error("three nodes");
  net.partition([1], [2, 3]);
  sendWatched(a.t, a.r, [numbered(1, 2, 1), numbered(1, 3, 1)]);
  b.t.send([numbered(2, 1, 1)]);
  c.t.send([numbered(3, 2, 1)]);
  await sleep(10);
  assert.equal(a.r.messages.length, 0);
  assert.equal(b.r.from(1).length, 0);
  assert.equal(b.r.from(3).length, 1, "2 and 3 are on the same side");
  assert.deepEqual([...a.r.unreachables].sort(), [2, 3]);
  assert.deepEqual(b.r.unreachables, [1]);
  assert.equal(a.r.calledInsideSend, false);
  net.heal();
  a.t.send([numbered(1, 2, 2)]);
  await waitFor("healed delivery", () => b.r.from(1).length === 1);
});

test("a one-way partition blocks one direction only", async () => {
  const [net, [a, b]] = await cluster([1, 2]);
  if (!a || !b) throw new Error("two nodes");
  net.block(1, 2);
  a.t.send([numbered(1, 2, 1)]);
  b.t.send([numbered(2, 1, 1)]);
  await waitFor("2 → 1", () => a.r.messages.length === 1);
  await sleep(5);
  assert.equal(b.r.messages.length, 0);
  assert.deepEqual(a.r.unreachables, [2]);
  assert.deepEqual(b.r.unreachables, []);
  net.unblock(1, 2);
  a.t.send([numbered(1, 2, 2)]);
  await waitFor("1 → 2 after unblock", () => b.r.messages.length === 1);
});

test("isolate cuts one member off from all the others", async () => {
  const [net, [a, b, c]] = await cluster([1, 2, 3]);
  if (!a || !b || !c) throw new Error("three nodes");
  net.isolate(2);
  assert.ok(net.isBlocked(1, 2) && net.isBlocked(2, 3) && !net.isBlocked(1, 3));
});

test("drops with the configured probability, the same way for the same seed", async () => {
  const run = async (seed: number): Promise<number[]> => {
    const [net, [a, b]] = await cluster([1, 2], { dropRate: 0.3, random: seeded(seed) });
    if (!a || !b) throw new Error("two nodes");
    return exchange(net, a, b, 2000);
  };
  const got = await run(7);
  assert.ok(got.length > 1200 && got.length < 1600, `kept ${got.length} of 2000`);
  assert.ok(isIncreasing(got), "dropping must not reorder");
  assert.deepEqual(await run(7), got);
  assert.notDeepEqual(await run(8), got);
});

test("duplicates messages", async () => {
  const [net, [a, b]] = await cluster([1, 2], { duplicateRate: 0.25, random: seeded(3) });
  if (!a || !b) throw new Error("two nodes");
  const got = await exchange(net, a, b, 1000);
  assert.ok(got.length > 1150 && got.length < 1350, `got ${got.length} for 1000`);
  assert.equal(new Set(got).size, 1000, "every message arrives");
  assert.equal(net.stats().duplicated, got.length - 1000);
});

test("reorders messages, and loses none", async () => {
  const [net, [a, b]] = await cluster([1, 2], { reorderRate: 0.2, maxDelayMs: 5, random: seeded(5) });
  if (!a || !b) throw new Error("two nodes");
  const got = await exchange(net, a, b, 500);
  assert.equal(got.length, 500);
  assert.ok(!isIncreasing(got), "nothing was reordered");
  assert.deepEqual([...got].sort((x, y) => x - y), [...Array(500).keys()]);
});

test("without reordering, random delays keep each link in order", async () => {
  const [net, [a, b]] = await cluster([1, 2], { minDelayMs: 0, maxDelayMs: 10, random: seeded(9) });
  if (!a || !b) throw new Error("two nodes");
  assert.ok(isIncreasing(await exchange(net, a, b, 300)));
});

test("delays delivery by at least the minimum", async () => {
  const [, [a, b]] = await cluster([1, 2], { minDelayMs: 40, maxDelayMs: 60, random: seeded(1) });
  if (!a || !b) throw new Error("two nodes");
  const sent = performance.now();
  a.t.send([numbered(1, 2, 1)]);
  await sleep(20);
  assert.equal(b.r.messages.length, 0, "arrived before the minimum delay");
  await waitFor("delayed delivery", () => b.r.messages.length === 1);
  assert.ok(performance.now() - sent >= 39);
});

test("stopped members and unknown peers are unreachable; snapshots report their outcome", async () => {
  const [net, [a, b, c]] = await cluster([1, 2, 3]);
  if (!a || !b || !c) throw new Error("three nodes");
  const meta = { index: 9, term: 2, confState: { voters: [1, 2, 3], learners: [] } };
  const snap = (to: number) =>
    message({ type: "MsgSnap", from: 1, to, term: 2, snapshot: { metadata: meta, data: new Uint8Array([1, 2, 3]) } });
  await c.t.stop();
  a.t.send([snap(2), snap(3), numbered(1, 4, 0)]);
  await waitFor("reports", () => a.r.snapshots.length === 2);
  assert.deepEqual(a.r.snapshots, [[3, "failure"], [2, "finish"]]);
  assert.deepEqual([...a.r.unreachables].sort(), [3, 4]);
  assert.equal(b.r.messages[0]?.snapshot?.metadata.index, 9);
  net.block(1, 2);
  a.t.send([snap(2)]);
  await waitFor("failure", () => a.r.snapshots.length === 3);
  assert.deepEqual(a.r.snapshots[2], [2, "failure"]);
  assert.equal(a.t.stats().droppedUnknownPeer, 1);
});

test("a link cut while messages are in flight loses them", async () => {
  const [net, [a, b]] = await cluster([1, 2], { minDelayMs: 20, maxDelayMs: 20 });
  if (!a || !b) throw new Error("two nodes");
  a.t.send(burst(1, 2, 10));
  net.block(1, 2);
  await waitFor("the network to drain", () => net.inFlight === 0);
  assert.equal(b.r.messages.length, 0);
  assert.equal(net.stats().dropped, 10);
});
