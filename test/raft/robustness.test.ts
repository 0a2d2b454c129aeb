/**
 * Messages a node must survive: malformed ones (dropped and counted), and well-formed ones that
 * are stale, out of range or from peers outside the configuration (ignored or refused). None may
 * throw, and none may move a node's term, vote, log or commit index.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { message } from "../../internal/raft/index.js";
import type { Entry, Message } from "../../internal/raft/index.js";
import { Env, bytes, describeEntry } from "./interaction.js";

function ent(term: number, index: number, data = "z"): Entry {
  return { term, index, type: "normal", data: bytes(data) };
}

/** Three voters; 1 leads term 2; "a" and "b" committed at 3 and 4 everywhere. */
function cluster(): Env {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  env.campaign(1);
  env.stabilize();
  env.proposeBatch(1, ["a", "b"]);
  env.stabilize();
  assert.equal(env.status(1).commit, 4);
  return env;
}

/** What must not change: the persistent state, the log, the role and the leader's view. */
function observe(env: Env, id: number): Record<string, unknown> {
  const s = env.status(id);
  return {
    term: s.term,
    vote: s.vote,
    commit: s.commit,
    applied: s.applied,
    state: s.state,
    lead: s.lead,
    log: env.log(id).map(describeEntry),
    progress: [...s.progress],
  };
}

/** Garbage addressed to `to` in the current term: each item breaks one rule. */
function malformed(to: number, term: number): [string, unknown][] {
  const hb = message({ type: "MsgHeartbeat", from: 2, to, term, commit: 4 });
  const app = message({ type: "MsgApp", from: 2, to, term, index: 4, logTerm: 2, commit: 4, entries: [ent(2, 5)] });
  const snapshot = { metadata: { index: 9, term, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0) };
  const snap = message({ type: "MsgSnap", from: 2, to, term, snapshot });
  return [
    ["null", null],
    ["a number", 7],
    ["a string", "MsgHeartbeat"],
    ["an empty object", {}],
    ["unknown type", { ...hb, type: "MsgFoo" }],
    ["local MsgUnreachable from the network", { ...hb, type: "MsgUnreachable" }],
    ["local MsgSnapStatus from the network", { ...hb, type: "MsgSnapStatus", reject: true }],
    ["term as text", { ...hb, term: String(term) }],
    ["fractional term", { ...hb, term: term + 0.5 }],
    ["negative term", { ...hb, term: -term }],
    ["NaN commit", { ...hb, commit: Number.NaN }],
    ["infinite index", { ...app, index: Number.POSITIVE_INFINITY }],
    ["term past 2^53", { ...hb, term: 2 ** 53 + 2 }],
    ["bigint from", { ...hb, from: 2n }],
    ["addressed to another node", { ...hb, to: to === 1 ? 2 : 1 }],
    ["addressed to node 0", { ...hb, to: 0 }],
    ["from node 0", { ...hb, from: 0 }],
    ["term 0", { ...hb, term: 0 }],
    ["reject as text", { ...hb, reject: "false" }],
    ["context as text", { ...hb, context: "ctx" }],
    ["entries not a list", { ...app, entries: { 0: ent(2, 5) } }],
    ["entry null", { ...app, entries: [null] }],
    ["entry with a gap", { ...app, entries: [ent(2, 6)] }],
    ["entries out of order", { ...app, entries: [ent(2, 5), ent(2, 5)] }],
    ["entry from a later term", { ...app, entries: [ent(term + 1, 5)] }],
    ["entry data as text", { ...app, entries: [{ ...ent(2, 5), data: "z" }] }],
    ["entry of unknown type", { ...app, entries: [{ ...ent(2, 5), type: "snapshot" }] }],
    ["MsgSnap without snapshot", { ...snap, snapshot: undefined }],
    ["MsgSnap with snapshot index 0", { ...snap, snapshot: { ...snapshot, metadata: { ...snapshot.metadata, index: 0 } } }],
    ["MsgSnap without configuration", { ...snap, snapshot: { ...snapshot, metadata: { ...snapshot.metadata, confState: null } } }],
    ["MsgSnap from a later term", { ...snap, snapshot: { ...snapshot, metadata: { ...snapshot.metadata, term: term + 1 } } }],
    ["MsgReadIndex without context", message({ type: "MsgReadIndex", from: 2, to, entries: [] })],
  ];
}

for (const target of [1, 2]) {
  const role = target === 1 ? "leader" : "follower";
  test(`malformed messages to a ${role} are dropped, counted, and change nothing`, () => {
    const env = cluster();
    const term = env.status(target).term;
    const cases = malformed(target, term);
    for (const [name, m] of cases) {
      const before = observe(env, target);
      const dropped = env.status(target).droppedMessages;
      assert.doesNotThrow(() => env.raw(target).step(m as Message), name);
      assert.deepEqual(observe(env, target), before, `${name}: state changed`);
      assert.equal(env.status(target).droppedMessages, dropped + 1, `${name}: not counted`);
      assert.equal(env.raw(target).hasReady(), false, `${name}: produced a Ready`);
    }
    assert.equal(env.status(target).droppedMessages, cases.length);
    // The cluster still works.
    assert.equal(env.propose(1, "c"), undefined);
    env.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(env.app(id), ["a", "b", "c"]);
  });
}

/** Step m into node id; assert nothing but messages came of it, and return those messages. */
function stepHarmless(env: Env, id: number, m: Message, name: string): Message[] {
  const before = observe(env, id);
  const dropped = env.status(id).droppedMessages;
  assert.doesNotThrow(() => env.raw(id).step(m), name);
  assert.deepEqual(observe(env, id), before, `${name}: state changed`);
  assert.equal(env.status(id).droppedMessages, dropped, `${name}: well-formed, so not counted as dropped`);
  if (!env.raw(id).hasReady()) return [];
  const rd = env.raw(id).ready();
  assert.equal(rd.hardState, undefined, `${name}: hard state changed`);
  assert.equal(rd.softState, undefined, `${name}: role or leader changed`);
  assert.deepEqual(rd.entries, [], `${name}: appended`);
  assert.deepEqual(rd.committedEntries, [], `${name}: committed`);
  env.raw(id).advance(rd);
  return [...rd.messages];
}

test("stale-term messages are answered with the current term, and change nothing", () => {
  const env = cluster();
  // A deposed leader of term 1 appends conflicting entries and claims a commit index.
  const out = stepHarmless(env, 2, message({
    type: "MsgApp", from: 3, to: 2, term: 1, index: 1, logTerm: 1, commit: 9, entries: [ent(1, 2), ent(1, 3)],
  }), "stale MsgApp");
  // The answer, in term 2, tells the stale leader to step down (CheckQuorum/PreVote behaviour).
  assert.deepEqual(out.map((m) => [m.type, m.to, m.term]), [["MsgAppResp", 3, 2]]);
  stepHarmless(env, 2, message({ type: "MsgHeartbeat", from: 3, to: 2, term: 1, commit: 9 }), "stale heartbeat");
  const pre = stepHarmless(env, 2, message({ type: "MsgPreVote", from: 3, to: 2, term: 1, index: 9, logTerm: 1 }), "stale pre-vote");
  assert.deepEqual(pre.map((m) => [m.type, m.term, m.reject]), [["MsgPreVoteResp", 2, true]]);
  assert.deepEqual(stepHarmless(env, 2, message({ type: "MsgVote", from: 3, to: 2, term: 1, index: 9, logTerm: 1 }), "stale vote"), []);
  assert.deepEqual(stepHarmless(env, 1, message({ type: "MsgAppResp", from: 2, to: 1, term: 1, index: 4 }), "stale ack"), []);
  stepHarmless(env, 1, message({ type: "MsgSnap", from: 3, to: 1, term: 1, snapshot: {
    metadata: { index: 20, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0),
  } }), "stale snapshot");
});

test("out-of-range indexes are refused without effect", () => {
  const env = cluster();
  // An acknowledgement of an index the leader never had.
  assert.deepEqual(stepHarmless(env, 1, message({ type: "MsgAppResp", from: 2, to: 1, term: 2, index: 100 }), "ack of 100"), []);
  // A heartbeat claiming a commit index beyond the follower's log: committing it would be unsafe.
  stepHarmless(env, 2, message({ type: "MsgHeartbeat", from: 1, to: 2, term: 2, commit: 100 }), "heartbeat commit 100");
  // An append with a gap: rejected with a hint at the follower's last index.
  const gap = stepHarmless(env, 2, message({
    type: "MsgApp", from: 1, to: 2, term: 2, index: 10, logTerm: 2, commit: 4, entries: [ent(2, 11)],
  }), "append after a gap");
  assert.deepEqual(gap.map((m) => [m.type, m.reject, m.index, m.rejectHint, m.logTerm]), [["MsgAppResp", true, 10, 4, 2]]);
  // An append below the commit index that contradicts committed entries: answered with the
  // commit index, and the committed entries stay.
  const old = stepHarmless(env, 2, message({
    type: "MsgApp", from: 1, to: 2, term: 2, index: 1, logTerm: 1, commit: 1, entries: [ent(2, 2, "evil"), ent(2, 3, "evil")],
  }), "append below commit");
  assert.deepEqual(old.map((m) => [m.type, m.reject, m.index]), [["MsgAppResp", false, 4]]);
  // An empty append at the end, repeating what the follower has: acknowledged, nothing moves.
  const atEnd = stepHarmless(env, 2, message({
    type: "MsgApp", from: 1, to: 2, term: 2, index: 4, logTerm: 2, commit: 4, entries: [],
  }), "empty append at the end");
  assert.deepEqual(atEnd.map((m) => [m.type, m.reject, m.index]), [["MsgAppResp", false, 4]]);
  // A snapshot the follower already covers.
  const covered = stepHarmless(env, 2, message({ type: "MsgSnap", from: 1, to: 2, term: 2, snapshot: {
    metadata: { index: 3, term: 2, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0),
  } }), "old snapshot");
  assert.deepEqual(covered.map((m) => [m.type, m.index]), [["MsgAppResp", 4]]);
  env.propose(1, "c");
  env.stabilize();
  for (const id of [1, 2, 3]) assert.deepEqual(env.app(id), ["a", "b", "c"]);
});

test("a member refuses a snapshot whose configuration leaves it out", () => {
  const env = cluster();
  const out = stepHarmless(env, 2, message({ type: "MsgSnap", from: 1, to: 2, term: 2, snapshot: {
    metadata: { index: 10, term: 2, confState: { voters: [1, 3], learners: [] } }, data: new Uint8Array(0),
  } }), "snapshot without this node");
  assert.deepEqual(out.map((m) => [m.type, m.index]), [["MsgAppResp", 4]]);
  assert.deepEqual(env.raw(2).confState(), { voters: [1, 2, 3], learners: [] });
});

test("messages from peers outside the configuration are ignored", () => {
  const env = cluster();
  const term = 2;
  for (const m of [
    message({ type: "MsgAppResp", from: 9, to: 1, term, index: 4 }),
    message({ type: "MsgAppResp", from: 9, to: 1, term, index: 4, reject: true, rejectHint: 0 }),
    message({ type: "MsgHeartbeatResp", from: 9, to: 1, term, context: bytes("r") }),
    message({ type: "MsgTransferLeader", from: 9, to: 1, term }),
    message({ type: "MsgVoteResp", from: 9, to: 2, term }),
    message({ type: "MsgPreVoteResp", from: 9, to: 2, term: term + 1 }),
  ]) {
    assert.deepEqual(stepHarmless(env, m.to, m, `${m.type} from 9`), [], `${m.type} from 9: answered`);
  }
  // Vote requests from outside, for a later term, while the followers hear from their leader:
  // ignored (CheckQuorum's lease), so no term moves.
  for (const type of ["MsgPreVote", "MsgVote"] as const) {
    for (const to of [1, 2]) {
      const m = message({ type, from: 9, to, term: term + 1, index: 100, logTerm: term });
      assert.deepEqual(stepHarmless(env, to, m, `${type} from 9 to ${to}`), []);
    }
  }
  assert.equal(env.status(1).leadTransferee, 0);
});

test("a removed node cannot disturb the cluster it left", () => {
  const env = cluster();
  env.proposeConfChange(1, { type: "removeNode", nodeId: 3 });
  env.stabilize();
  assert.deepEqual(env.raw(1).confState(), { voters: [1, 2], learners: [] });
  // Pretend 3 never learned: its acknowledgements and campaigns arrive.
  assert.deepEqual(stepHarmless(env, 1, message({ type: "MsgAppResp", from: 3, to: 1, term: 2, index: 5 }), "ack from 3"), []);
  assert.deepEqual(stepHarmless(env, 1, message({ type: "MsgHeartbeatResp", from: 3, to: 1, term: 2 }), "heartbeat ack from 3"), []);
  for (const type of ["MsgPreVote", "MsgVote"] as const) {
    for (const to of [1, 2]) {
      const m = message({ type, from: 3, to, term: 3, index: 5, logTerm: 2 });
      assert.deepEqual(stepHarmless(env, to, m, `${type} from removed 3`), []);
    }
  }
  assert.equal(env.status(1).progress.has(3), false);
  env.propose(1, "c");
  env.stabilize();
  assert.deepEqual(env.app(1), ["a", "b", "c"]);
  assert.deepEqual(env.app(2), ["a", "b", "c"]);
});

test("duplicated and reordered appends are idempotent", () => {
  const env = cluster();
  env.proposeBatch(1, ["c", "d"]);
  env.processReady(1);
  const toTwo = env.inFlight.filter((m) => m.to === 2);
  assert.equal(toTwo.length, 1);
  const app = toTwo[0] as Message;
  env.step(2, structuredClone(app));
  env.step(2, structuredClone(app));
  // A delayed older append (only "c") after the newer one must not truncate "d".
  env.step(2, { ...structuredClone(app), entries: app.entries.slice(0, 1) });
  env.processReady(2);
  assert.deepEqual(env.log(2).map(describeEntry).slice(-2), ['2/5 EntryNormal "c"', '2/6 EntryNormal "d"']);
  env.stabilize();
  for (const id of [1, 2, 3]) assert.deepEqual(env.app(id), ["a", "b", "c", "d"]);
});
