/** The RawNode contract: configuration checks, refusals, and the Ready/advance protocol. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfigError,
  MemoryStorage,
  ProposalDroppedError,
  RawNode,
  defaultConfig,
  encodeConfChange,
} from "../../internal/raft/index.js";
import type { Config, Ready } from "../../internal/raft/index.js";
import { Env, bytes, text } from "./interaction.js";

function storage(): MemoryStorage {
  return MemoryStorage.bootstrap({ voters: [1, 2, 3], learners: [] });
}

test("RawNode refuses an invalid configuration with a ConfigError", () => {
  const cases: [string, Partial<Config>, RegExp][] = [
    ["id 0", { id: 0 }, /invalid node id 0/],
    ["negative id", { id: -2 }, /invalid node id/],
    ["fractional id", { id: 1.5 }, /invalid node id/],
    ["heartbeat 0", { heartbeatTick: 0 }, /heartbeatTick must be at least 1/],
    ["election not above heartbeat", { electionTick: 2, heartbeatTick: 2 }, /electionTick must be greater than heartbeatTick/],
    ["no inflight", { maxInflightMsgs: 0 }, /maxInflightMsgs must be at least 1/],
    ["no message size", { maxSizePerMsg: 0 }, /maxSizePerMsg must be at least 1/],
  ];
  for (const [name, patch, want] of cases) {
    assert.throws(() => new RawNode({ id: 1, storage: storage(), ...patch }), (err: unknown) => {
      return err instanceof ConfigError && err.name === "ConfigError" && want.test(err.message);
    }, name);
  }
  // A stored commit index past the stored log is corruption, not something to run on.
  const s = storage();
  s.setHardState({ term: 1, vote: 0, commit: 5 });
  assert.throws(() => new RawNode({ id: 1, storage: s }), (err: unknown) => err instanceof ConfigError && /stored commit 5/.test(err.message));
});

test("defaultConfig: the documented defaults", () => {
  assert.equal(defaultConfig.electionTick, 10);
  assert.equal(defaultConfig.heartbeatTick, 1);
  assert.equal(defaultConfig.checkQuorum, true);
  assert.equal(defaultConfig.preVote, true);
  assert.equal(defaultConfig.readOnlyOption, "safe");
  assert.equal(defaultConfig.disableProposalForwarding, false);
  assert.deepEqual(defaultConfig.plantedBugs, []);
});

test("a node that starts fresh reports its stored state and has nothing to do", () => {
  const n = new RawNode({ id: 2, storage: storage() });
  assert.equal(n.id, 2);
  assert.equal(n.isLeader(), false);
  assert.equal(n.leader(), 0);
  assert.deepEqual(n.confState(), { voters: [1, 2, 3], learners: [] });
  const s = n.status();
  assert.deepEqual([s.state, s.term, s.vote, s.commit, s.applied, s.lead, s.progress.size], ["follower", 1, 0, 1, 1, 0, 0]);
  assert.equal(n.hasReady(), false);
});

test("ProposalDroppedError names the reason and the known leader", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  const noLeader = env.propose(2, "x");
  assert.ok(noLeader instanceof ProposalDroppedError);
  assert.equal(noLeader.name, "ProposalDroppedError");
  assert.equal(noLeader.reason, "no-leader");
  assert.equal(noLeader.leader, 0);
  assert.equal(noLeader.message, "raft: proposal dropped: no-leader");
  assert.equal(env.readIndex(2, "r")?.reason, "no-leader");
  assert.equal(env.transferLeadership(2, 3)?.reason, "no-leader");
  env.campaign(1);
  assert.equal(env.propose(1, "x")?.reason, "no-leader", "a pre-candidate has no leader either");
  env.stabilize();
  assert.equal(env.proposeBatch(1, [])?.reason, "empty-proposal");
  // A conf change that does not decode (node 0) is refused; nothing is appended.
  assert.throws(() => env.raw(1).proposeConfChange({ type: "addNode", nodeId: 0 }), /positive integer node id/);
  assert.equal(env.raw(1).hasReady(), false);
  env.transferLeadership(1, 2);
  const during = env.propose(1, "x");
  assert.equal(during?.reason, "leader-transfer-in-progress");
  assert.equal(during?.leader, 1);
  assert.equal(during?.message, "raft: proposal dropped: leader-transfer-in-progress (leader is 1)");
});

test("forwarding disabled: a follower refuses with not-leader and names the leader", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], options: { disableProposalForwarding: true } });
  env.campaign(1);
  env.stabilize();
  const err = env.propose(3, "x");
  assert.equal(err?.reason, "not-leader");
  assert.equal(err?.leader, 1);
  assert.equal(env.raw(3).hasReady(), false, "nothing was sent");
  // Reads are still forwarded: the option is about proposals.
  assert.equal(env.readIndex(3, "r"), undefined);
});

test("Ready/advance: what to persist and send comes once; what to apply comes until advanced", () => {
  const s = storage();
  const n = new RawNode({ id: 1, storage: s, electionTick: 3, heartbeatTick: 1, random: () => 0, preVote: false });
  n.campaign();
  let rd = n.ready();
  assert.deepEqual(rd.softState, { lead: 0, state: "candidate" });
  assert.deepEqual(rd.hardState, { term: 2, vote: 1, commit: 1 });
  assert.equal(rd.mustSync, true, "a new term and vote must be durable before the vote requests go out");
  assert.deepEqual(rd.messages.map((m) => `${m.type}->${m.to}`), ["MsgVote->2", "MsgVote->3"]);
  const persist = (r: Ready): void => {
    s.append(r.entries);
    if (r.hardState) s.setHardState(r.hardState);
  };
  persist(rd);
  n.advance(rd);
  assert.equal(n.hasReady(), false);
  n.step({ type: "MsgVoteResp", from: 2, to: 1, term: 2, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) });
  rd = n.ready();
  assert.deepEqual(rd.softState, { lead: 1, state: "leader" });
  assert.equal(rd.hardState, undefined, "term and vote did not change");
  assert.deepEqual(rd.entries.map((e) => `${e.term}/${e.index}`), ["2/2"]);
  assert.equal(rd.mustSync, true);
  persist(rd);
  n.advance(rd);
  n.step({ type: "MsgAppResp", from: 2, to: 1, term: 2, logTerm: 0, index: 2, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) });
  rd = n.ready();
  assert.deepEqual(rd.hardState, { term: 2, vote: 1, commit: 2 });
  assert.equal(rd.mustSync, false, "a commit index alone need not be synced");
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [2]);
  // Without advance, the committed entries come again, but the messages do not.
  const again = n.ready();
  assert.deepEqual(again.committedEntries.map((e) => e.index), [2]);
  assert.deepEqual(again.messages, []);
  n.advance(again);
  assert.equal(n.status().applied, 2);
  assert.equal(n.hasReady(), false);
});

test("restart with `applied`: entries the application already applied are not delivered again", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  env.campaign(1);
  env.stabilize();
  env.proposeBatch(1, ["a", "b", "c"]);
  env.stabilize();
  const s = env.node(2).storage;
  const all = new RawNode({ id: 2, storage: s });
  assert.deepEqual(all.ready().committedEntries.map((e) => e.index), [2, 3, 4, 5]);
  const some = new RawNode({ id: 2, storage: s, applied: 3 });
  assert.equal(some.status().applied, 3);
  assert.deepEqual(some.ready().committedEntries.map((e) => text(e.data)), ["b", "c"]);
});

test("maxCommittedSizePerReady splits what is applied across Readies", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  env.campaign(1);
  env.stabilize();
  env.proposeBatch(1, ["aaaa", "bbbb", "cccc", "dddd"]);
  env.stabilize();
  const n = new RawNode({ id: 3, storage: env.node(3).storage, maxCommittedSizePerReady: 40 });
  const batches: string[][] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    batches.push(rd.committedEntries.map((e) => text(e.data)));
    n.advance(rd);
  }
  // The no-op (16 bytes) and "aaaa" (20) fit in 40; then two 20-byte entries at a time.
  assert.deepEqual(batches, [["", "aaaa"], ["bbbb", "cccc"], ["dddd"]]);
});

test("a single voter elects itself, commits once its own write is done, then answers reads", () => {
  const s = MemoryStorage.bootstrap({ voters: [1], learners: [] });
  const n = new RawNode({ id: 1, storage: s });
  n.campaign();
  assert.equal(n.isLeader(), true);
  n.propose(bytes("solo"));
  n.readIndex(bytes("r"));
  const write = n.ready();
  assert.deepEqual(write.entries.map((e) => text(e.data)), ["", "solo"]);
  assert.deepEqual(write.committedEntries, [], "nothing commits before the leader's own copy is on disk");
  assert.deepEqual(write.readStates, []);
  s.append(write.entries);
  n.advance(write);
  const rd = n.ready();
  assert.deepEqual(rd.committedEntries.map((e) => text(e.data)), ["", "solo"]);
  assert.deepEqual(rd.readStates.map((r) => [r.index, text(r.requestCtx)]), [[3, "r"]]);
  assert.deepEqual(rd.messages, []);
});

test("a leader's appends may go out before its own write; its own copy counts only after advance", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], learners: [] });
  env.campaign(1);
  env.stabilize();
  const leader = env.raw(1);
  leader.propose(bytes("x"));
  const rd = leader.ready();
  assert.equal(rd.sendBeforePersist, true);
  assert.deepEqual(rd.messages.map((m) => `${m.type}->${m.to}`), ["MsgApp->2", "MsgApp->3"]);
  const index = (rd.entries[0] as { index: number }).index;
  // One follower acknowledges while the leader has not written the entry: one copy on disk
  // out of three is no quorum, so nothing commits yet.
  env.step(1, { type: "MsgAppResp", from: 2, to: 1, term: env.status(1).term, logTerm: 0, index, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) });
  assert.equal(env.status(1).commit, index - 1);
  env.node(1).storage.append(rd.entries);
  leader.advance(rd);
  assert.equal(env.status(1).commit, index, "the leader's own write completes the quorum");
});

test("a Ready that changes the term or vote keeps its messages until it is persisted", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], learners: [], options: { preVote: false } });
  env.campaign(1);
  const rd = env.raw(1).ready();
  assert.deepEqual(rd.messages.map((m) => m.type), ["MsgVote", "MsgVote"]);
  assert.equal(rd.sendBeforePersist, false);
});

test("a learner never campaigns; a transfer to a learner is ignored", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(4, { voters: [1, 2, 3], learners: [4] });
  env.campaign(4);
  assert.equal(env.status(4).state, "follower");
  assert.equal(env.raw(4).hasReady(), false);
  env.campaign(1);
  env.stabilize();
  env.transferLeadership(1, 4);
  assert.equal(env.status(1).leadTransferee, 0);
  assert.equal(env.propose(1, "still accepted"), undefined);
  // A message telling the learner to campaign now does nothing either.
  env.step(4, { type: "MsgTimeoutNow", from: 1, to: 4, term: env.status(4).term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) });
  assert.equal(env.status(4).state, "follower");
});

test("a node with committed but unapplied membership changes does not campaign", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  env.campaign(1);
  env.stabilize();
  env.proposeConfChange(1, { type: "addLearner", nodeId: 4 });
  // 2 learns the change is committed but has not applied it yet.
  env.processReady(1);
  env.deliver({ to: [2, 3] });
  env.processReady(2);
  env.processReady(3);
  env.deliver({ to: [1] });
  env.processReady(1);
  env.deliver({ to: [2] });
  assert.equal(env.status(2).commit, 3);
  assert.equal(env.status(2).applied, 2);
  env.campaign(2);
  assert.equal(env.status(2).state, "follower");
  env.processReady(2);
  env.campaign(2);
  assert.equal(env.status(2).state, "pre-candidate", "once applied, it may");
});

test("reportSnapshot(finish) moves the follower to probe; reports for other states are ignored", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  env.campaign(1);
  env.stabilize();
  env.isolate(3);
  env.proposeBatch(1, ["a", "b"]);
  env.stabilize();
  env.compact(1, 4);
  env.heal();
  // 3 answers a heartbeat, then rejects the probe; the leader, lacking entry 3, sends a snapshot.
  env.tick(1);
  for (let i = 0; i < 2; i++) {
    env.processReady(1);
    env.deliver({ to: [3] });
    env.processReady(3);
    env.deliver({ to: [1] });
  }
  env.processReady(1);
  assert.equal(env.status(1).progress.get(3)?.state, "snapshot");
  env.reportSnapshot(1, 2, "finish");
  assert.equal(env.status(1).progress.get(2)?.state, "replicate", "2 was not in snapshot: ignored");
  env.reportSnapshot(1, 3, "finish");
  assert.deepEqual(env.status(1).progress.get(3), { match: 2, next: 5, state: "probe", isLearner: false, recentActive: true });
  env.stabilize();
  env.tick(1);
  env.stabilize();
  assert.deepEqual(env.app(3), ["a", "b"]);
  // Reports to a follower change nothing.
  env.reportUnreachable(2, 1);
  env.reportSnapshot(2, 1, "failure");
  assert.equal(env.raw(2).hasReady(), false);
});

test("a forwarded proposal carrying an undecodable conf change is dropped, not appended", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3] });
  env.campaign(1);
  env.stabilize();
  const bad = encodeConfChange({ type: "addNode", nodeId: 4 }).slice(0, 5);
  const entry = { term: 0, index: 0, type: "confChange" as const, data: bad };
  assert.doesNotThrow(() => env.raw(1).step({
    type: "MsgProp", from: 2, to: 1, term: 0, logTerm: 0, index: 0, entries: [entry], commit: 0,
    reject: false, rejectHint: 0, context: new Uint8Array(0),
  }));
  assert.equal(env.raw(1).hasReady(), false);
  assert.equal(env.status(1).droppedMessages, 0, "well-formed on the wire; refused by the leader");
});
