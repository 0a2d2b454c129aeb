import assert from "node:assert/strict";
import { after, test } from "node:test";
import { connect } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { message } from "../../internal/raft/index.js";
import { encodeMessage } from "../../internal/raftpb/index.js";
import {
  FrameKind,
  PeerRejectedError,
  decodeStatus,
  encodeHello,
  frame,
  streamPreface,
} from "../../internal/transport/index.js";
import type { Member } from "./helpers.js";
import {
  connectAll,
  indexesFrom,
  isIncreasing,
  nextTurn,
  numbered,
  sendWatched,
  sleep,
  startMember,
  waitFor,
} from "./helpers.js";

const started: Member[] = [];
async function member(...args: Parameters<typeof startMember>): Promise<Member> {
  const m = await startMember(...args);
  started.push(m);
  return m;
}
after(async () => {
  await Promise.all(started.map((m) => m.transport.stop()));
});

test("three transports exchange thousands of messages, in order per pair", async () => {
  const ms = [await member(1), await member(2), await member(3)];
  connectAll(ms);
  const perPair = 3000;
  for (let base = 0; base < perPair; base += 250) {
    for (const a of ms) {
      const out = [];
      for (const b of ms) if (b !== a) for (let i = base; i < base + 250; i++) out.push(numbered(a.id, b.id, i));
      a.transport.send(out);
    }
    await nextTurn();
  }
  await waitFor("every message", () => ms.every((m) => m.recorder.messages.length === 2 * perPair));
  for (const b of ms) {
    for (const a of ms) {
      if (a === b) continue;
      const got = indexesFrom(b.recorder, a.id);
      assert.equal(got.length, perPair);
      assert.ok(isIncreasing(got), `${a.id} → ${b.id} out of order`);
    }
    assert.ok(b.recorder.messages.every((m) => m.to === b.id));
    assert.deepEqual(b.recorder.unreachables, []);
  }
});

test("messages sent within one event-loop turn go out in one write", async () => {
  const [a, b] = [await member(11), await member(12)];
  connectAll([a, b]);
  await waitFor("connection", () => a.transport.connectedPeers().includes(b.id));
  const before = a.transport.stats().batchesSent;
  // Ten Ready-sized sends in one turn: one stream write (TCP may deliver it in several reads).
  for (let r = 0; r < 10; r++) {
    a.transport.send(Array.from({ length: 100 }, (_, i) => numbered(a.id, b.id, r * 100 + i)));
  }
  await waitFor("the first thousand", () => b.recorder.messages.length === 1000);
  assert.equal(a.transport.stats().batchesSent - before, 1);
  // Each later turn is its own write.
  for (let turn = 0; turn < 3; turn++) {
    a.transport.send([numbered(a.id, b.id, 1000 + turn)]);
    await nextTurn();
  }
  await waitFor("three more", () => b.recorder.messages.length === 1003);
  assert.equal(a.transport.stats().batchesSent - before, 4);
  assert.ok(isIncreasing(indexesFrom(b.recorder, a.id)));
});

test("a 10 MiB snapshot travels in chunks, is reassembled and reported finished", async () => {
  // A 2 MiB message limit on both sides: the snapshot can only pass in chunks.
  const limits = { maxMessageBytes: 2 * 1024 * 1024 };
  const [a, b] = [await member(21, limits), await member(22, limits)];
  connectAll([a, b]);
  const data = Buffer.alloc(10 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
  const snap = message({
    type: "MsgSnap",
    from: a.id,
    to: b.id,
    term: 3,
    snapshot: { metadata: { index: 40, term: 3, confState: { voters: [21, 22], learners: [] } }, data },
  });
  sendWatched(a.transport, a.recorder, [snap]);
  a.transport.send([numbered(a.id, b.id, 1)]);
  await waitFor("the snapshot report", () => a.recorder.snapshots.length > 0, 10_000);
  assert.deepEqual(a.recorder.snapshots, [[b.id, "finish"]]);
  const got = b.recorder.messages.find((m) => m.type === "MsgSnap");
  assert.ok(got?.snapshot);
  assert.equal(got.snapshot.metadata.index, 40);
  assert.deepEqual(got.snapshot.metadata.confState.voters, [21, 22]);
  assert.ok(Buffer.from(got.snapshot.data).equals(data), "snapshot data differs");
  assert.equal(a.recorder.calledInsideSend, false);
  // Ten 1 MiB chunks plus the header went over the wire, and heartbeats still flowed.
  assert.ok(b.transport.stats().bytesReceived > data.length);
  assert.ok(b.recorder.messages.some((m) => m.type === "MsgHeartbeat"));
  assert.equal(b.transport.stats().snapshotsReceived, 1);
  assert.equal(a.transport.stats().snapshotsSent, 1);
});

test("one snapshot at a time per peer: a second one meanwhile is reported failed", async () => {
  const [a, b] = [await member(23), await member(24)];
  connectAll([a, b]);
  const meta = { index: 5, term: 1, confState: { voters: [23, 24], learners: [] } };
  const snap = (index: number) =>
    message({
      type: "MsgSnap",
      from: 23,
      to: 24,
      term: 1,
      snapshot: { metadata: { ...meta, index }, data: Buffer.alloc(1 << 20, index) },
    });
  a.transport.send([snap(5), snap(6)]);
  await waitFor("both reports", () => a.recorder.snapshots.length === 2);
  assert.deepEqual(a.recorder.snapshots, [
    [24, "failure"],
    [24, "finish"],
  ]);
  assert.deepEqual(
    b.recorder.messages.map((m) => m.snapshot?.metadata.index),
    [5],
  );
});

test("a message larger than the gRPC size limit is dropped, and the stream goes on", async () => {
  const limits = { maxMessageBytes: 1 << 20 };
  const [a, b] = [await member(27, limits), await member(28, limits)];
  connectAll([a, b]);
  const big = message({
    type: "MsgApp",
    from: 27,
    to: 28,
    term: 1,
    entries: [{ term: 1, index: 1, type: "normal", data: new Uint8Array(2 << 20) }],
  });
  a.transport.send([numbered(27, 28, 1), big, numbered(27, 28, 2)]);
  await waitFor("the small ones", () => b.recorder.messages.length === 2);
  assert.equal(a.transport.stats().droppedUnsendable, 1);
  await waitFor("the report", () => a.recorder.unreachables.includes(28));
});

test("a snapshot to a peer that is down is reported failed", async () => {
  const a = await member(25);
  const gone = await startMember(26);
  await gone.transport.stop();
  a.transport.addPeer(26, [gone.url]);
  const data = Buffer.alloc(100_000, 1);
  const meta = { index: 5, term: 1, confState: { voters: [25, 26], learners: [] } };
  a.transport.send([message({ type: "MsgSnap", from: 25, to: 26, term: 1, snapshot: { metadata: meta, data } })]);
  await waitFor("failure", () => a.recorder.snapshots.length > 0);
  assert.deepEqual(a.recorder.snapshots, [[26, "failure"]]);
  assert.ok(a.recorder.unreachables.includes(26));
});

test("a peer that is down is reported unreachable; once it starts, messages flow", async () => {
  // Take a free port, then leave it closed: the peer is "down".
  const probe = await startMember(31);
  const url = probe.url;
  await probe.transport.stop();
  const a = await member(30);
  a.transport.addPeer(31, [url]);
  sendWatched(a.transport, a.recorder, [numbered(30, 31, 0)]);
  await waitFor("unreachable report", () => a.recorder.unreachables.includes(31));
  assert.equal(a.recorder.calledInsideSend, false);
  assert.ok(a.recorder.events.some((e) => e.type === "peer-disconnected" && e.peer === 31));
  const b = await member(31, { url });
  b.transport.addPeer(30, [a.url]);
  let i = 1;
  await waitFor("messages after the peer started", () => {
    a.transport.send([numbered(30, 31, i++)]);
    return b.recorder.messages.length >= 5;
  });
  assert.ok(isIncreasing(indexesFrom(b.recorder, 30)));
  assert.ok(a.recorder.events.some((e) => e.type === "peer-connected" && e.peer === 31));
  assert.ok(a.transport.stats().droppedUnreachable > 0);
});

test("a peer restarting mid-stream: the sender reports it, reconnects, and order holds", async () => {
  const a = await member(40);
  let b = await member(41);
  const url = b.url;
  connectAll([a, b]);
  let next = 0;
  const pump = setInterval(() => a.transport.send([numbered(40, 41, next++), numbered(40, 41, next++)]), 2);
  try {
    await waitFor("traffic", () => b.recorder.messages.length >= 50);
    const first = b;
    await first.transport.stop();
    const unreachableBefore = a.recorder.unreachables.length;
    b = await member(41, { url });
    b.transport.addPeer(40, [a.url]);
    await waitFor("traffic to the restarted peer", () => b.recorder.messages.length >= 50);
    assert.ok(a.recorder.unreachables.length > unreachableBefore || a.recorder.unreachables.includes(41));
    const before = indexesFrom(first.recorder, 40);
    const afterRestart = indexesFrom(b.recorder, 40);
    assert.ok(isIncreasing(before) && isIncreasing(afterRestart), "order broke within a stream");
    assert.ok((afterRestart[0] as number) > (before[before.length - 1] as number));
  } finally {
    clearInterval(pump);
  }
});

/** A message stream written by hand: the preface, a hello, then whatever bytes a test sends. */
function rawStream(
  url: string,
  header: { clusterId: string; from: number; to: number },
): {
  write(bytes: Uint8Array): void;
  onFrame(f: (kind: number) => void): void;
  statuses: { code: number; details: string }[];
  closed: Promise<void>;
  close(): void;
} {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.write(Buffer.concat([streamPreface, frame(FrameKind.Hello, encodeHello(header))]));
  const statuses: { code: number; details: string }[] = [];
  let received = Buffer.alloc(0);
  let onFrame: (kind: number) => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 5 && received.length >= 5 + received.readUInt32BE(0)) {
      const length = received.readUInt32BE(0);
      onFrame(received[4] as number);
      if (received[4] === FrameKind.Status) statuses.push(decodeStatus(received.subarray(5, 5 + length)));
      received = received.subarray(5 + length);
    }
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { write: (bytes) => socket.write(bytes), onFrame: (f) => (onFrame = f), statuses, closed, close: () => socket.destroy() };
}

const messageFrame = (bytes: Uint8Array): Buffer => frame(FrameKind.Message, bytes);

test("garbage on the stream is dropped and counted; the stream and other peers go on", async () => {
  const [a, b] = [await member(50), await member(51)];
  connectAll([a, b]);
  const raw = rawStream(b.url, { clusterId: "test-cluster", from: 59, to: 51 });
  try {
    const good = (i: number): Buffer => messageFrame(encodeMessage(numbered(59, 51, i)));
    raw.write(good(1));
    raw.write(messageFrame(Buffer.from("not protobuf at all, just text: \u0000\u0001\u0002")));
    // A broken message between two good ones, all in one write.
    raw.write(Buffer.concat([messageFrame(new Uint8Array([0x08, 0xff, 0xff])), good(2)]));
    // A frame of an unknown kind is skipped.
    raw.write(frame(77 as FrameKind, new Uint8Array([1, 2, 3])));
    // A message for another member is skipped, not delivered.
    raw.write(messageFrame(encodeMessage(numbered(59, 99, 3))));
    await waitFor("good messages from the raw client", () => b.recorder.from(59).length === 2);
    a.transport.send([numbered(50, 51, 7)]);
    await waitFor("a valid peer's message", () => b.recorder.from(50).length === 1);
    // The raw stream itself is still open and served, also for a frame split over two writes.
    const last = good(4);
    raw.write(last.subarray(0, 7));
    await sleep(10);
    raw.write(last.subarray(7));
    await waitFor("a message after the garbage", () => b.recorder.from(59).length === 3);
    const s = b.transport.stats();
    assert.equal(s.malformedReceived, 3);
    assert.equal(s.misaddressedReceived, 1);
    assert.deepEqual(indexesFrom(b.recorder, 59), [1, 2, 4]);
    assert.deepEqual(raw.statuses, [{ code: 0, details: "", memberId: 51 }]);

    // A frame longer than any message can be ends this stream only, with a status saying why.
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(0xffffffff, 0);
    raw.write(huge);
    await raw.closed;
    assert.equal(raw.statuses[1]?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(raw.statuses[1]?.details ?? "", /exceeds the limit/);
    a.transport.send([numbered(50, 51, 8)]);
    await waitFor("the valid peer still served", () => b.recorder.from(50).length === 2);
  } finally {
    raw.close();
  }
});

test("a stream from another cluster is refused with FAILED_PRECONDITION", async () => {
  const b = await member(61);
  const raw = rawStream(b.url, { clusterId: "another-cluster", from: 60, to: 61 });
  raw.write(messageFrame(encodeMessage(numbered(60, 61, 1))));
  await raw.closed;
  assert.equal(raw.statuses[0]?.code, grpc.status.FAILED_PRECONDITION);
  assert.match(raw.statuses[0]?.details ?? "", /cluster ID mismatch/);

  // A transport configured for the other cluster: refused, told why, messages never delivered.
  const c = await member(60, { clusterId: "another-cluster" });
  c.transport.addPeer(61, [b.url]);
  c.transport.send([numbered(60, 61, 2)]);
  await waitFor("the refusal", () => c.recorder.events.some((e) => e.type === "peer-disconnected"));
  const ev = c.recorder.events.find((e) => e.type === "peer-disconnected");
  assert.ok(ev?.type === "peer-disconnected" && ev.error instanceof PeerRejectedError);
  assert.match(ev.error.message, /cluster ID mismatch/);
  assert.ok(c.recorder.unreachables.includes(61));
  assert.equal(b.recorder.messages.length, 0);
  assert.ok(b.transport.stats().rejectedStreams >= 2);
  assert.ok(b.recorder.events.some((e) => e.type === "stream-rejected" && e.from === 60));
});

test("a stream meant for another member id is refused", async () => {
  const b = await member(71);
  const raw = rawStream(b.url, { clusterId: "test-cluster", from: 70, to: 72 });
  await raw.closed;
  assert.equal(raw.statuses[0]?.code, grpc.status.FAILED_PRECONDITION);
  assert.match(raw.statuses[0]?.details ?? "", /member ID mismatch/);
});

test("a receiver sends keepalives while idle and drops a stream that stays silent", async () => {
  const b = await member(73, { keepaliveMs: 100, keepaliveTimeoutMs: 150 });
  const raw = rawStream(b.url, { clusterId: "test-cluster", from: 74, to: 73 });
  let keepalives = 0;
  raw.onFrame((kind) => {
    if (kind === FrameKind.Keepalive) keepalives++;
  });
  const started = Date.now();
  await raw.closed;
  const lasted = Date.now() - started;
  assert.deepEqual(raw.statuses, [{ code: 0, details: "", memberId: 73 }]);
  assert.ok(keepalives >= 1, "no keepalive before giving up");
  assert.ok(lasted >= 250 && lasted < 2000, `dropped after ${lasted} ms`);
});

test("a connection that is neither a message stream nor gRPC is closed; the port keeps serving", async () => {
  const [a, b] = [await member(75), await member(76)];
  const u = new URL(b.url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.on("error", () => {});
  socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await new Promise((resolve) => socket.once("close", resolve));
  connectAll([a, b]);
  a.transport.send([numbered(75, 76, 1)]);
  await waitFor("a message", () => b.recorder.from(75).length === 1);
});

test("unknown peers and full queues drop messages and report, never inside send", async () => {
  const [a, b] = [await member(80, { maxQueuedMessages: 10 }), await member(81)];
  connectAll([a, b]);
  sendWatched(a.transport, a.recorder, [numbered(80, 99, 1)]);
  sendWatched(a.transport, a.recorder, Array.from({ length: 30 }, (_, i) => numbered(80, 81, i)));
  assert.deepEqual(a.recorder.unreachables, []);
  await waitFor("reports", () => a.recorder.unreachables.length >= 2);
  assert.equal(a.recorder.calledInsideSend, false);
  assert.deepEqual([...a.recorder.unreachables].sort(), [81, 99]);
  const s = a.transport.stats();
  assert.equal(s.droppedUnknownPeer, 1);
  assert.equal(s.droppedQueueFull, 20);
  await waitFor("the queued ten", () => b.recorder.messages.length === 10);
  assert.deepEqual(indexesFrom(b.recorder, 80), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("round-trip times are measured by pinging connected peers", async () => {
  const rtts: [number, number][] = [];
  const a = await member(90, { pingIntervalMs: 20, onRoundTrip: (peer, s) => rtts.push([peer, s]) });
  const b = await member(91);
  connectAll([a, b]);
  await waitFor("a few round trips", () => rtts.length >= 3);
  for (const [peer, seconds] of rtts) {
    assert.equal(peer, 91);
    assert.ok(seconds > 0 && seconds < 1, `rtt ${seconds}`);
  }
});

test("removing a peer stops traffic to it; updating moves it to its new URL", async () => {
  const [a, b, c] = [await member(100), await member(101), await member(102)];
  a.transport.addPeer(101, [b.url]);
  a.transport.send([numbered(100, 101, 1)]);
  await waitFor("first message", () => b.recorder.messages.length === 1);
  // Point 101 at c's URL: c is member 102 and refuses a stream meant for 101. Then back to b.
  a.transport.updatePeer(101, [c.url]);
  a.transport.send([numbered(100, 101, 2)]);
  await waitFor("refusal by the wrong member", () =>
    a.recorder.events.some((e) => e.type === "peer-disconnected" && /member ID mismatch/.test(e.error.message)),
  );
  a.transport.updatePeer(101, [b.url]);
  await waitFor("reconnected", () => a.transport.connectedPeers().includes(101));
  a.transport.send([numbered(100, 101, 3)]);
  await waitFor("message after update", () => b.recorder.messages.length === 2);
  a.transport.removePeer(101);
  a.transport.send([numbered(100, 101, 4)]);
  await waitFor("unknown-peer report", () => a.transport.stats().droppedUnknownPeer === 1);
  await sleep(20);
  assert.deepEqual(indexesFrom(b.recorder, 100), [1, 3]);
});
