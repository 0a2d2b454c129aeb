import assert from "node:assert/strict";
import { test } from "node:test";
import { GrpcTransport, fetchMembers } from "../../internal/transport/index.js";

const noop = { step: () => undefined, reportUnreachable: () => undefined, reportSnapshot: () => undefined };

test("a joining member reads the cluster id and member list without knowing the cluster id", async () => {
  const members = [
    { id: 11, name: "a", peerURLs: ["http://127.0.0.1:1"], clientURLs: ["http://127.0.0.1:2"], isLearner: false },
    { id: 12, name: "", peerURLs: ["http://127.0.0.1:3"], clientURLs: [], isLearner: true },
  ];
  const t = new GrpcTransport({
    id: 11,
    clusterId: "abc",
    listenUrls: ["http://127.0.0.1:0"],
    pingIntervalMs: 0,
    membersProvider: () => ({ clusterId: 4242, members }),
  });
  t.setHandler(noop);
  await t.start();
  try {
    const got = await fetchMembers(t.listenUrls()[0] as string);
    assert.equal(got.clusterId, 4242);
    assert.deepEqual(got.members, members);
  } finally {
    await t.stop();
  }
});

test("a member with no list to give says so, and an unreachable URL fails clearly", async () => {
  const t = new GrpcTransport({ id: 1, clusterId: "abc", listenUrls: ["http://127.0.0.1:0"], pingIntervalMs: 0 });
  t.setHandler(noop);
  await t.start();
  try {
    await assert.rejects(fetchMembers(t.listenUrls()[0] as string), /no member list/);
  } finally {
    await t.stop();
  }
  await assert.rejects(fetchMembers("http://127.0.0.1:1", 500), /127\.0\.0\.1:1/);
});

test("a removed member is refused, even on a stream it opened before its removal, and told why", async () => {
  let removed = false;
  const received: number[] = [];
  const a = new GrpcTransport({ id: 1, clusterId: "c", listenUrls: ["http://127.0.0.1:0"], pingIntervalMs: 0, isRemoved: (id) => removed && id === 2 });
  a.setHandler({ ...noop, step: (m) => received.push(m.index) });
  await a.start();
  const events: string[] = [];
  const b = new GrpcTransport({
    id: 2,
    clusterId: "c",
    listenUrls: ["http://127.0.0.1:0"],
    pingIntervalMs: 0,
    reconnectInitialMs: 20,
    onEvent: (e) => {
      if (e.type === "peer-disconnected") events.push(e.error.message);
    },
  });
  b.setHandler(noop);
  await b.start();
  b.addPeer(1, a.listenUrls());
  const heartbeat = (index: number) => ({ type: "MsgHeartbeat" as const, from: 2, to: 1, term: 1, logTerm: 0, index, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) });
  try {
    b.send([heartbeat(1)]);
    const deadline = Date.now() + 5000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(received, [1], "delivered while a member");
    removed = true;
    b.send([heartbeat(2)]);
    while (!events.some((m) => m.includes("member 2 has been permanently removed from the cluster")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      b.send([heartbeat(3)]);
    }
    assert.ok(events.some((m) => m.includes("member 2 has been permanently removed from the cluster")), events.join("; "));
    assert.deepEqual(received, [1], "nothing delivered once removed");
  } finally {
    await b.stop();
    await a.stop();
  }
});
