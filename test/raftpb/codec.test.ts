import assert from "node:assert/strict";
import { test } from "node:test";
import { message, networkMessageTypes } from "../../internal/raft/index.js";
import {
  CodecError,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from "../../internal/raftpb/index.js";

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

/** Bytes as number arrays, so that Buffers from the decoder compare equal to Uint8Arrays. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

test("every network message type survives a round trip with all fields set", () => {
  for (const type of networkMessageTypes) {
    const m = message({
      type,
      from: 3,
      to: 7,
      term: 12,
      logTerm: 11,
      index: 2 ** 53 - 1, // the largest exact index
      entries: [
        { term: 11, index: 40, type: "normal", data: bytes(1, 2) },
        { term: 12, index: 41, type: "confChange", data: bytes(9) },
      ],
      commit: 39,
      reject: true,
      rejectHint: 38,
      context: bytes(0xca, 0xfe),
      snapshot: { metadata: { index: 30, term: 10, confState: { voters: [1, 3, 7], learners: [9] } }, data: bytes(5) },
    });
    assert.deepEqual(plain(decodeMessage(encodeMessage(m))), plain(m), type);
  }
});

test("unset fields decode to zero values, and no snapshot stays absent", () => {
  const m = decodeMessage(encodeMessage(message({ type: "MsgHeartbeat", from: 1, to: 2, term: 1 })));
  assert.equal(m.commit, 0);
  assert.equal(m.reject, false);
  assert.deepEqual([...m.context], []);
  assert.deepEqual(m.entries, []);
  assert.equal(m.snapshot, undefined);
});

test("local-only types cannot be encoded", () => {
  assert.throws(() => encodeMessage(message({ type: "MsgUnreachable", from: 1 })), CodecError);
});

test("garbage and unknown types are refused with CodecError", () => {
  assert.throws(() => decodeMessage(bytes(0xff, 0xff, 0xff)), CodecError);
  assert.throws(() => decodeMessage(bytes(0x08, 0x63)), /unknown raft message type 99/);
});

test("entries, snapshots and hard state round trip", () => {
  const e = { term: 4, index: 17, type: "confChange" as const, data: bytes(1, 2, 3) };
  assert.deepEqual(plain(decodeEntry(encodeEntry(e))), plain(e));
  const s = { metadata: { index: 9, term: 2, confState: { voters: [1, 2], learners: [] } }, data: bytes(7) };
  const back = decodeSnapshot(encodeSnapshot(s));
  assert.deepEqual(back.metadata, s.metadata);
  assert.deepEqual([...back.data], [7]);
  assert.deepEqual(decodeHardState(encodeHardState({ term: 5, vote: 3, commit: 99 })), { term: 5, vote: 3, commit: 99 });
});
