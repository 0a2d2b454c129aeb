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
