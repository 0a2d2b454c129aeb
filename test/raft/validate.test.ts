import { test } from "node:test";
import assert from "node:assert/strict";
import { invalidReason, message, networkMessageTypes } from "../../internal/raft/index.js";
import type { Entry, Message } from "../../internal/raft/index.js";

const SELF = 1;

function ent(term: number, index: number): Entry {
  return { term, index, type: "normal", data: new Uint8Array([1]) };
}

const snap = { metadata: { index: 5, term: 2, confState: { voters: [1, 2, 3], learners: [4] } }, data: new Uint8Array(0) };

/** A well-formed message of each network type, from 2 to 1. */
const valid: Message[] = [
  message({ type: "MsgProp", from: 2, to: SELF, entries: [ent(0, 0)] }),
  message({ type: "MsgApp", from: 2, to: SELF, term: 3, index: 4, logTerm: 2, commit: 4, entries: [ent(2, 5), ent(3, 6)] }),
  message({ type: "MsgApp", from: 2, to: SELF, term: 3, index: 0, logTerm: 0 }),
  message({ type: "MsgAppResp", from: 2, to: SELF, term: 3, index: 6 }),
  message({ type: "MsgAppResp", from: 2, to: SELF, term: 3, index: 6, reject: true, rejectHint: 4, logTerm: 2 }),
  message({ type: "MsgVote", from: 2, to: SELF, term: 3, index: 6, logTerm: 3 }),
  message({ type: "MsgVoteResp", from: 2, to: SELF, term: 3, reject: true }),
  message({ type: "MsgPreVote", from: 2, to: SELF, term: 4, index: 6, logTerm: 3 }),
  message({ type: "MsgPreVoteResp", from: 2, to: SELF, term: 4 }),
  message({ type: "MsgSnap", from: 2, to: SELF, term: 3, snapshot: snap }),
  message({ type: "MsgHeartbeat", from: 2, to: SELF, term: 3, commit: 4, context: new Uint8Array([1]) }),
  message({ type: "MsgHeartbeatResp", from: 2, to: SELF, term: 3 }),
  message({ type: "MsgTransferLeader", from: 2, to: SELF, term: 3 }),
  message({ type: "MsgTimeoutNow", from: 2, to: SELF, term: 3 }),
  message({ type: "MsgReadIndex", from: 2, to: SELF, entries: [ent(0, 0)] }),
  message({ type: "MsgReadIndexResp", from: 2, to: SELF, term: 3, index: 4, entries: [ent(0, 0)] }),
];

/** Take a valid message and break one thing. */
function broken(base: Message, patch: Record<string, unknown>): Message {
  return { ...base, ...patch } as unknown as Message;
}

const app = valid[1] as Message;
const hb = valid[10] as Message;
const snapMsg = valid[9] as Message;

test("invalidReason accepts a well-formed message of every network type", () => {
  assert.deepEqual(
    new Set(valid.map((m) => m.type)),
    networkMessageTypes,
    "the valid set covers every network type",
  );
  for (const m of valid) assert.equal(invalidReason(m, SELF), undefined, m.type);
});

test("invalidReason refuses non-messages and types not accepted from peers", () => {
  for (const v of [null, undefined, 42, "MsgApp", true]) {
    assert.equal(invalidReason(v as unknown as Message, SELF), "not a message", String(v));
  }
  for (const type of ["MsgUnreachable", "MsgSnapStatus", "MsgHup", "MsgFoo", "", undefined, 7, "constructor", "__proto__"]) {
    assert.match(invalidReason(broken(hb, { type }), SELF) ?? "", /not accepted from peers/, String(type));
  }
});

test("invalidReason refuses numeric fields that are not non-negative safe integers", () => {
  const bad: unknown[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "1", undefined, null, 1n, [1]];
  for (const field of ["from", "to", "term", "logTerm", "index", "commit", "rejectHint"]) {
    for (const v of bad) {
      const reason = invalidReason(broken(app, { [field]: v }), SELF);
      assert.equal(reason, `${field} is not a non-negative integer`, `${field} = ${String(v)}`);
    }
  }
});

test("invalidReason refuses messages for someone else, from nobody, or of term 0", () => {
  assert.match(invalidReason(broken(hb, { to: 2 }), SELF) ?? "", /addressed to 2, not to 1/);
  assert.equal(invalidReason(broken(hb, { from: 0 }), SELF), "from is 0");
  for (const m of valid) {
    const reason = invalidReason(broken(m, { term: 0 }), SELF);
    if (m.type === "MsgProp" || m.type === "MsgReadIndex") assert.equal(reason, undefined, m.type);
    else assert.equal(reason, "term is 0", m.type);
  }
});

test("invalidReason refuses malformed reject, context and entries", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["reject", { reject: "yes" }, /reject is not a boolean/],
    ["reject", { reject: 1 }, /reject is not a boolean/],
    ["context", { context: "ctx" }, /context is not bytes/],
    ["context", { context: [1, 2] }, /context is not bytes/],
    ["context", { context: undefined }, /context is not bytes/],
    ["entries", { entries: undefined }, /entries is not a list/],
    ["entries", { entries: {} }, /entries is not a list/],
    ["entries", { entries: "e" }, /entries is not a list/],
    ["entry", { entries: [null] }, /entry 0 is not an entry/],
    ["entry", { entries: [ent(2, 5), 7] }, /entry 1 is not an entry/],
    ["entry term", { entries: [{ ...ent(2, 5), term: -1 }] }, /entry 0 has a bad term or index/],
    ["entry index", { entries: [{ ...ent(2, 5), index: "5" }] }, /entry 0 has a bad term or index/],
    ["entry type", { entries: [{ ...ent(2, 5), type: "snapshot" }] }, /entry 0 has unknown type/],
    ["entry data", { entries: [{ ...ent(2, 5), data: "x" }] }, /entry 0 data is not bytes/],
    ["entry data", { entries: [{ ...ent(2, 5), data: [1] }] }, /entry 0 data is not bytes/],
  ];
  for (const [name, patch, want] of cases) assert.match(invalidReason(broken(app, patch), SELF) ?? "", want, name);
});

test("invalidReason refuses appends whose entries do not follow (index, logTerm) in order", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["gap after index", { entries: [ent(2, 6)] }, /entry 0 index 6 does not follow 4/],
    ["gap between entries", { entries: [ent(2, 5), ent(2, 7)] }, /entry 1 index 7 does not follow 5/],
    ["index repeated", { entries: [ent(2, 5), ent(2, 5)] }, /entry 1 index 5 does not follow 5/],
    ["term before logTerm", { entries: [ent(1, 5)] }, /entry 0 term 1 out of order/],
    ["terms decrease", { entries: [ent(3, 5), ent(2, 6)] }, /entry 1 term 2 out of order/],
    ["term after the message's", { entries: [ent(4, 5)] }, /entry 0 term 4 out of order/],
    ["logTerm after the message's", { logTerm: 4, entries: [] }, /logTerm is after the message's term/],
  ];
  for (const [name, patch, want] of cases) assert.match(invalidReason(broken(app, patch), SELF) ?? "", want, name);
});

test("invalidReason: read index messages carry exactly one context entry", () => {
  for (const m of [valid[14], valid[15]] as Message[]) {
    assert.match(invalidReason(broken(m, { entries: [] }), SELF) ?? "", /exactly one context entry/, m.type);
    assert.match(invalidReason(broken(m, { entries: [ent(0, 0), ent(0, 0)] }), SELF) ?? "", /exactly one/, m.type);
  }
});

test("invalidReason refuses MsgSnap without a usable snapshot", () => {
  const md = snap.metadata;
  const cases: [string, unknown, RegExp][] = [
    ["missing", undefined, /snapshot missing/],
    ["null", null, /snapshot missing/],
    ["no metadata", { data: new Uint8Array(0) }, /snapshot missing/],
    ["index 0", { ...snap, metadata: { ...md, index: 0 } }, /metadata out of range/],
    ["negative index", { ...snap, metadata: { ...md, index: -5 } }, /metadata out of range/],
    ["term after the message's", { ...snap, metadata: { ...md, term: 4 } }, /metadata out of range/],
    ["fractional term", { ...snap, metadata: { ...md, term: 1.5 } }, /metadata out of range/],
    ["no configuration", { ...snap, metadata: { ...md, confState: undefined } }, /no configuration/],
    ["voters not a list", { ...snap, metadata: { ...md, confState: { voters: "1,2", learners: [] } } }, /configuration invalid/],
    ["voter 0", { ...snap, metadata: { ...md, confState: { voters: [0, 1], learners: [] } } }, /configuration invalid/],
    ["voter as text", { ...snap, metadata: { ...md, confState: { voters: ["1"], learners: [] } } }, /configuration invalid/],
    ["learners missing", { ...snap, metadata: { ...md, confState: { voters: [1] } } }, /configuration invalid/],
    ["data not bytes", { ...snap, data: "state" }, /data is not bytes/],
  ];
  for (const [name, snapshot, want] of cases) {
    assert.match(invalidReason(broken(snapMsg, { snapshot }), SELF) ?? "", want, name);
  }
});

test("forwarded requests carry term 0, MsgApp entries a real term, and only forwarded requests may come from self", () => {
  const data = new Uint8Array([1]);
  const ctx = [{ term: 0, index: 0, type: "normal" as const, data }];
  assert.match(invalidReason(message({ type: "MsgProp", from: 2, to: 1, term: 5, entries: ctx }), 1) ?? "", /carries term 5/);
  assert.match(invalidReason(message({ type: "MsgReadIndex", from: 2, to: 1, term: 1, entries: ctx }), 1) ?? "", /carries term 1/);
  assert.equal(invalidReason(message({ type: "MsgProp", from: 1, to: 1, entries: ctx }), 1), undefined, "a proposal forwarded back home");
  assert.match(invalidReason(message({ type: "MsgHeartbeat", from: 1, to: 1, term: 2 }), 1) ?? "", /this node/);
  const app = message({ type: "MsgApp", from: 2, to: 1, term: 2, index: 1, logTerm: 0, entries: [{ term: 0, index: 2, type: "normal", data }] });
  assert.match(invalidReason(app, 1) ?? "", /term 0 out of order/);
});
