/**
 * The Raft paper's properties, each tested where the paper states it (Ongaro & Ousterhout, "In
 * Search of an Understandable Consensus Algorithm", 2014; and Ongaro's thesis, 2014). Random
 * schedules check the invariants across thousands of steps; where a test planted bug exists, the
 * same check is shown to catch it, so a silent checker cannot pass for a correct algorithm.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ProposalDroppedError, message } from "../../internal/raft/index.js";
import type { ConfChange, ConfState, PlantedBug } from "../../internal/raft/index.js";
import { Checker, runChaos } from "./chaos.js";
import { Env, parseScript, seededRandom } from "./interaction.js";
import { testdataDir } from "./testdata.js";

function chaosClean(label: string, runs: { seed: number; nodes: number; options?: object }[]): void {
  let elections = 0;
  let committed = 0;
  for (const run of runs) {
    const r = runChaos({ ...run, steps: 800 });
    assert.deepEqual(r.violations, [], `${label}, seed ${run.seed}`);
    elections += r.elections;
    committed += r.maxCommitted;
  }
  // The schedules must do something for their silence to mean anything.
  assert.ok(elections >= runs.length, `${label}: only ${elections} elections`);
  assert.ok(committed >= 5 * runs.length, `${label}: only ${committed} entries committed`);
}

test("§5.2, §5.3, §5.4: election safety, log matching, leader completeness and state machine safety hold under random schedules", () => {
  chaosClean("defaults", [1, 2, 3, 4, 5, 6].map((seed) => ({ seed, nodes: 3 + (seed % 3) })));
  chaosClean("without PreVote and CheckQuorum", [7, 8, 9, 10].map((seed) => ({
    seed, nodes: 3 + (seed % 3), options: { preVote: false, checkQuorum: false },
  })));
  chaosClean("one entry per append, two in flight", [11, 12, 13].map((seed) => ({
    seed, nodes: 5, options: { maxSizePerMsg: 1, maxInflightMsgs: 2 },
  })));
});

test("§5.2 election safety: the checker catches a voter that votes twice in a term (planted bug)", () => {
  const caught = [1, 2, 3, 4, 5, 6, 7, 8].some((seed) => {
    const r = runChaos({ seed, nodes: 5, steps: 800, bugs: ["vote-twice"] });
    return r.violations.some((v) => v.startsWith("§5.2"));
  });
  assert.ok(caught, "no random schedule exposed two leaders in one term");
});

test("§5.2: a voter grants one vote per term, first come first served", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], options: { preVote: false, checkQuorum: false } });
  env.step(3, message({ type: "MsgVote", from: 1, to: 3, term: 2, index: 1, logTerm: 1 }));
  env.step(3, message({ type: "MsgVote", from: 2, to: 3, term: 2, index: 1, logTerm: 1 }));
  // The same candidate asking again (a retransmission) gets the same answer.
  env.step(3, message({ type: "MsgVote", from: 1, to: 3, term: 2, index: 1, logTerm: 1 }));
  const rd = env.raw(3).ready();
  assert.deepEqual(rd.messages.map((m) => [m.type, m.to, m.reject]), [
    ["MsgVoteResp", 1, false],
    ["MsgVoteResp", 2, true],
    ["MsgVoteResp", 1, false],
  ]);
  assert.deepEqual(rd.hardState, { term: 2, vote: 1, commit: 1 });
});

test("§5.4.1 election restriction: a candidate whose log is behind cannot win", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], options: { preVote: false, checkQuorum: false } });
  env.campaign(1);
  env.stabilize();
  env.isolate(3);
  env.propose(1, "a");
  env.stabilize();
  env.heal();
  for (let attempt = 0; attempt < 3; attempt++) {
    env.campaign(3);
    env.stabilize();
    assert.notEqual(env.status(3).state, "leader", `attempt ${attempt}`);
  }
  // 3's campaigns raised the term (no PreVote here), but only 1 or 2 can lead it.
  env.campaign(2);
  env.stabilize();
  assert.equal(env.leader(), 2);
  assert.ok(env.status(2).term >= 5);
  assert.deepEqual(env.app(3), ["a"]);
});

/** Run a script from testdata in a fresh Env with a safety checker, adding options to every node. */
function runWithChecker(file: string, bugs: readonly PlantedBug[]): { env: Env; checker: Checker } {
  const src = readFileSync(join(testdataDir(), file), "utf8");
  const env = new Env();
  env.quiet = true;
  const checker = new Checker(env);
  for (const block of parseScript(src).blocks) {
    const cmd = block.command.startsWith("add-nodes") && bugs.length > 0
      ? `${block.command} bugs=(${bugs.join(",")})`
      : block.command;
    env.handle(cmd);
    checker.checkLeaders();
  }
  return { env, checker };
}

test("§5.4.2 commitment rule: Figure 8, where counting replicas of an old-term entry would lose a committed entry", () => {
  const ok = runWithChecker("commit_figure8.txt", []);
  assert.deepEqual(ok.checker.violations, []);
  for (const id of [1, 2, 3, 4, 5]) assert.deepEqual(ok.env.app(id), [], `node ${id} applied nothing`);
  // With the planted bug, S1 commits "x" by counting S1, S2, S3 in term 4, and S5 overwrites it.
  const bug = runWithChecker("commit_figure8.txt", ["commit-previous-term"]);
  assert.deepEqual(bug.env.app(1), ["x"]);
  assert.ok(
    bug.checker.violations.some((v) => v.startsWith("§5.4.3 state machine safety")),
    `violations: ${bug.checker.violations.join("; ")}`,
  );
});

test("§5.4.2: a new leader commits entries of earlier terms only through an entry of its own term", () => {
  const { env, checker } = runWithChecker("commit_noop.txt", []);
  assert.deepEqual(checker.violations, []);
  for (const id of [1, 2, 3]) assert.deepEqual(env.app(id), ["x"]);
});

function reflects(cs: ConfState, cc: ConfChange): boolean {
  switch (cc.type) {
    case "addLearner":
      return cs.learners.includes(cc.nodeId) || cs.voters.includes(cc.nodeId);
    case "addNode":
      return cs.voters.includes(cc.nodeId);
    case "removeNode":
      return !cs.voters.includes(cc.nodeId) && !cs.learners.includes(cc.nodeId);
  }
}

test("§6 membership: single-node changes under a random schedule, including removing leaders", () => {
  const plan: ConfChange[] = [
    { type: "addLearner", nodeId: 4 },
    { type: "addNode", nodeId: 4 },
    { type: "removeNode", nodeId: 1 },
    { type: "addLearner", nodeId: 5 },
    { type: "addNode", nodeId: 5 },
    { type: "removeNode", nodeId: 2 },
  ];
  for (const seed of [1, 2, 3, 4]) {
    let next = 0;
    let sinceProposal = 0;
    const r = runChaos({
      seed,
      nodes: 3,
      joiners: 2,
      steps: 3000,
      restarts: false,
      extra: (env) => {
        const cc = plan[next];
        const lead = env.leader();
        if (cc === undefined || lead === 0) return;
        if (reflects(env.raw(lead).confState(), cc)) {
          next++;
          sinceProposal = Number.POSITIVE_INFINITY;
          return;
        }
        // Propose, and propose again if the entry seems lost with a deposed leader.
        if (sinceProposal++ > 150) {
          const err = env.proposeConfChange(lead, cc);
          if (err === undefined || err.reason !== "conf-change-pending") sinceProposal = 0;
        }
      },
    });
    assert.deepEqual(r.violations, [], `seed ${seed}`);
    assert.equal(next, plan.length, `seed ${seed}: only ${next} of ${plan.length} changes applied`);
    const lead = r.env.leader();
    assert.deepEqual(r.env.raw(lead).confState(), { voters: [3, 4, 5], learners: [] }, `seed ${seed}`);
  }
});

test("§6: only one membership change at a time, counting those a new leader inherits", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], options: { checkQuorum: false } });
  env.campaign(1);
  env.stabilize();
  assert.equal(env.proposeConfChange(1, { type: "addLearner", nodeId: 4 }), undefined);
  const second = env.proposeConfChange(1, { type: "addLearner", nodeId: 5 });
  assert.ok(second instanceof ProposalDroppedError);
  assert.equal(second.reason, "conf-change-pending");
  assert.equal(second.leader, 1);
  env.stabilize();
  assert.deepEqual(env.raw(1).confState(), { voters: [1, 2, 3], learners: [4] });
  // Applied: the next change is accepted.
  assert.equal(env.proposeConfChange(1, { type: "addLearner", nodeId: 5 }), undefined);
  // It reaches 2 and 3 and commits on 1, but 1 fails before telling them.
  env.processReady(1);
  env.deliver({ to: [2, 3] });
  env.processReady(2);
  env.processReady(3);
  env.deliver({ to: [1] });
  env.isolate(1);
  env.stabilize();
  // 2 takes over. The change sits in its log, not known to be committed: a new change must wait
  // until 2 has committed (through its no-op) and applied everything it inherited.
  env.campaign(2);
  env.processReady(2);
  env.deliver({ to: [3] });
  env.processReady(3);
  env.deliver({ to: [2] });
  env.processReady(2);
  env.deliver({ to: [3] });
  env.processReady(3);
  env.deliver({ to: [2] });
  assert.equal(env.status(2).state, "leader");
  const early = env.proposeConfChange(2, { type: "removeNode", nodeId: 5 });
  assert.equal(early?.reason, "conf-change-pending");
  env.stabilize();
  assert.deepEqual(env.raw(2).confState(), { voters: [1, 2, 3], learners: [4, 5] });
  assert.equal(env.proposeConfChange(2, { type: "removeNode", nodeId: 5 }), undefined);
  env.stabilize();
  assert.deepEqual(env.raw(3).confState(), { voters: [1, 2, 3], learners: [4] });
});

/** Three voters, 1 leads term 2 with "a" committed; then 1 is cut off and 2 leads term 3 with "b". */
function staleLeader(bugs: readonly PlantedBug[]): Env {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], random: [0, 0, 0.9], options: { plantedBugs: bugs } });
  env.campaign(1);
  env.stabilize();
  env.propose(1, "a");
  env.stabilize();
  env.isolate(1);
  env.tick(3, 3);
  env.tick(2, 3);
  env.stabilize();
  env.propose(2, "b");
  env.stabilize();
  assert.equal(env.leader(), 2);
  assert.equal(env.status(2).commit, 5);
  assert.equal(env.status(1).state, "leader", "1 has not noticed yet");
  return env;
}

test("§6.4 read-only queries: a leader cut off from the majority cannot serve a read", () => {
  const env = staleLeader([]);
  env.readIndex(1, "r");
  env.stabilize();
  assert.equal(env.raw(1).hasReady(), false);
  // Its heartbeats are lost; no ReadState ever comes, and it steps down at CheckQuorum.
  for (let i = 0; i < 6; i++) env.tick(1);
  const rd = env.raw(1).ready();
  assert.deepEqual(rd.readStates, []);
  assert.equal(env.status(1).state, "follower");
  // Without the heartbeat round (planted bug), it answers with index 3, missing "b" at 5.
  const bug = staleLeader(["read-without-quorum"]);
  bug.readIndex(1, "r");
  const stale = bug.raw(1).ready().readStates;
  assert.deepEqual(stale.map((s) => s.index), [3]);
  assert.ok((stale[0]?.index ?? 0) < bug.status(2).commit, "the planted bug serves a stale read");
});

test("§6.4: the read index is at least every commit index a client could have seen", () => {
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], random: [1, 2, 3].map((id) => seededRandom(id)) });
  env.campaign(1);
  env.stabilize();
  for (let k = 0; k < 10; k++) {
    env.propose(1, `w${k}`);
    env.stabilize();
    const seen = Math.max(...[1, 2, 3].map((id) => env.status(id).commit));
    const reader = 1 + (k % 3);
    env.readIndex(reader, `r${k}`);
    let got: number | undefined;
    for (let round = 0; round < 5 && got === undefined; round++) {
      env.processReady(reader);
      env.deliver();
      for (const id of [1, 2, 3]) {
        if (!env.raw(id).hasReady()) continue;
        const rd = env.raw(id).ready();
        for (const rs of rd.readStates) if (new TextDecoder().decode(rs.requestCtx) === `r${k}`) got = rs.index;
        for (const m of rd.messages) env.inFlight.push(structuredClone(m));
        env.raw(id).advance(rd);
      }
    }
    assert.ok(got !== undefined && got >= seen, `read ${k} at node ${reader}: index ${got} < commit ${seen} already seen`);
  }
});

test("thesis §9.6 PreVote: a node rejoining after a partition neither raises the term nor deposes the leader", () => {
  for (const preVote of [true, false]) {
    const env = new Env();
    env.quiet = true;
    // CheckQuorum off: PreVote alone is under test (with both on, the lease protects as well).
    env.addNodes(3, { voters: [1, 2, 3], options: { preVote, checkQuorum: false } });
    env.campaign(1);
    env.stabilize();
    env.isolate(3);
    env.propose(1, "while away");
    for (let i = 0; i < 20; i++) env.tick(3);
    env.stabilize();
    if (preVote) assert.equal(env.status(3).term, 2, "PreVote: the isolated node's term does not move");
    else assert.ok(env.status(3).term > 3, "without PreVote the isolated node's term climbs");
    env.heal();
    for (let i = 0; i < 3; i++) env.tick(3);
    env.stabilize();
    if (preVote) {
      assert.equal(env.leader(), 1);
      assert.equal(env.status(1).term, 2);
      assert.equal(env.status(3).term, 2);
    } else {
      assert.notEqual(env.status(1).state, "leader", "its return deposes the leader");
      assert.ok(env.status(1).term > 3);
    }
  }
});
