import { test } from "node:test";
import assert from "node:assert/strict";
import type { Entry } from "../../internal/raft/index.js";
import type { LogView, MemberState } from "./checkers.js";
import {
  ElectionSafety,
  Invariant,
  LeaderAppendOnly,
  LeaderCompleteness,
  LogMatching,
  ReadIndexSafety,
  StateMachineSafety,
  convergenceGap,
} from "./checkers.js";
import { encodeProposal } from "./payload.js";

/** A log whose entry i has term terms[i - 1], above an empty snapshot. */
function logOf(terms: readonly number[], snapshotIndex = 0, snapshotTerm = 0): LogView {
  return {
    snapshotIndex,
    lastIndex: snapshotIndex + terms.length,
    termAt: (i) => (i === snapshotIndex ? snapshotTerm : terms[i - snapshotIndex - 1]),
  };
}

function entry(index: number, term: number, proposal?: number): Entry {
  const data = proposal === undefined ? new Uint8Array(0) : encodeProposal(proposal);
  return { index, term, type: "normal", data };
}

test("election safety: two leaders in one term are reported", () => {
  const c = new ElectionSafety();
  assert.equal(c.leader(1, 2), undefined);
  assert.equal(c.leader(1, 2), undefined, "the same leader seen twice is fine");
  assert.equal(c.leader(2, 3), undefined, "a different leader in a later term is fine");
  const v = c.leader(3, 2);
  assert.equal(v?.invariant, Invariant.ElectionSafety);
  assert.match(v?.message ?? "", /nodes 1 and 3 were both leader in term 2/);
});

test("leader append-only: a leader that rewrites or shrinks its log in its term is reported", () => {
  const c = new LeaderAppendOnly();
  assert.equal(c.observe(1, 5, true, 8, 10), undefined, "the first Ready of a leadership sets the baseline");
  assert.equal(c.observe(1, 5, true, 11, 12), undefined, "appending is fine");
  assert.equal(c.observe(1, 5, true, undefined, 12), undefined, "writing nothing is fine");
  const rewrite = c.observe(1, 5, true, 12, 12);
  assert.equal(rewrite?.invariant, Invariant.LeaderAppendOnly);
  assert.match(rewrite?.message ?? "", /rewrote its log from index 12/);

  const shrink = new LeaderAppendOnly();
  shrink.observe(2, 3, true, 4, 9);
  assert.equal(shrink.observe(2, 3, true, undefined, 7)?.invariant, Invariant.LeaderAppendOnly);

  const newTerm = new LeaderAppendOnly();
  newTerm.observe(2, 3, true, 4, 9);
  assert.equal(newTerm.observe(2, 3, false, 5, 5), undefined, "a follower may truncate");
  assert.equal(newTerm.observe(2, 4, true, 6, 6), undefined, "a new term is a new leadership");
});

test("log matching: same index and term with different data or a different prefix is reported", () => {
  const c = new LogMatching();
  assert.equal(c.written(1, [entry(1, 1, 10), entry(2, 1, 11), entry(3, 2, 12)], 0), undefined);
  assert.equal(c.written(2, [entry(2, 1, 11), entry(3, 2, 12)], 1), undefined, "a matching copy is fine");

  const data = c.written(3, [entry(3, 2, 99)], 1);
  assert.equal(data?.invariant, Invariant.LogMatching);
  assert.match(data?.message ?? "", /entry \(index 3, term 2\) differs between node 1 and node 3/);

  const prefix = new LogMatching();
  prefix.written(1, [entry(4, 3, 7)], 2);
  const broken = prefix.written(2, [entry(4, 3, 7)], 1);
  assert.equal(broken?.invariant, Invariant.LogMatching);
  assert.match(broken?.message ?? "", /follows term 2 on node 1 but term 1 on node 2/);
  assert.equal(prefix.written(3, [entry(4, 3, 7)], undefined), undefined, "an unknown prefix (compacted) is not judged");
});

test("leader completeness: a leader missing an entry committed in an earlier term is reported", () => {
  const c = new LeaderCompleteness();
  // Node 1, in term 3, commits index 3 of its log [1, 1, 3].
  assert.equal(c.commit(1, 3, 3, logOf([1, 1, 3])), undefined);
  assert.equal(c.leader(2, 4, logOf([1, 1, 3, 4])), undefined, "a complete leader is fine");
  assert.equal(c.leader(3, 4, logOf([3, 4], 2, 1)), undefined, "entries under the leader's snapshot count as held");

  const missing = c.leader(2, 4, logOf([1, 1]));
  assert.equal(missing?.invariant, Invariant.LeaderCompleteness);
  assert.match(missing?.message ?? "", /leader 2 of term 4 lacks entry \(index 3, term 3\)/);

  const different = c.leader(2, 5, logOf([1, 1, 2, 5]));
  assert.equal(different?.invariant, Invariant.LeaderCompleteness);

  assert.equal(c.leader(2, 3, logOf([1, 1])), undefined, "entries committed in the leader's own term are not required");

  const changed = c.commit(4, 6, 3, logOf([1, 1, 6]));
  assert.equal(changed?.invariant, Invariant.LeaderCompleteness, "a second, different entry committed at one index");
});

test("state machine safety: divergent applied entries or states are reported", () => {
  const c = new StateMachineSafety();
  assert.equal(c.applied(1, 1, 1, 0xaa, 100), undefined);
  assert.equal(c.applied(2, 1, 1, 0xaa, 100), undefined, "the same entry applied twice is fine");
  const v = c.applied(3, 1, 2, 0xbb, 200);
  assert.equal(v?.invariant, Invariant.StateMachineSafety);
  assert.match(v?.message ?? "", /node 3 applied \(index 1, term 2\) but node 1 applied a different entry/);

  const snap = new StateMachineSafety();
  snap.applied(1, 5, 2, 0xaa, 500);
  assert.equal(snap.reached(2, 5, 500), undefined, "a snapshot with the same state is fine");
  assert.equal(snap.reached(3, 5, 501)?.invariant, Invariant.StateMachineSafety);
});

test("read index safety: a read answered below the commit index at request time is reported", () => {
  const c = new ReadIndexSafety();
  c.requested(1, 7);
  c.requested(2, 7);
  assert.equal(c.answered(1, 1, 7), undefined);
  assert.equal(c.answered(1, 1, 9), undefined, "a later point is fine");
  const stale = c.answered(2, 2, 6);
  assert.equal(stale?.invariant, Invariant.LinearizableRead);
  assert.match(stale?.message ?? "", /read 2 answered on node 2 at index 6, but index 7 was already committed/);
});

test("convergence: a healthy cluster converges; lagging, leaderless or lossy ones do not", () => {
  const full = new Set([1, 2, 3]);
  const member = (id: number, over: Partial<MemberState> = {}): MemberState => ({
    id,
    alive: true,
    lead: 1,
    appliedIndex: 10,
    proposals: full,
    ...over,
  });
  const leader = { id: 1, commit: 10, lastIndex: 10 };
  const healthy = [member(1), member(2), member(3)];
  assert.equal(convergenceGap(leader, healthy, [1, 2, 3]), undefined);

  assert.match(convergenceGap(undefined, healthy, [])?.message ?? "", /no leader/);
  assert.match(convergenceGap(leader, [member(1), member(2, { alive: false })], [])?.message ?? "", /member 2 is down/);
  assert.match(convergenceGap(leader, [member(1), member(2, { lead: 3 })], [])?.message ?? "", /follows 3/);
  assert.match(convergenceGap({ ...leader, lastIndex: 11 }, healthy, [])?.message ?? "", /committed 10 of 11/);
  const behind = convergenceGap(leader, [member(1), member(2, { appliedIndex: 9 })], []);
  assert.equal(behind?.lost, false);

  const lost = convergenceGap(leader, [member(1), member(2, { proposals: new Set([1, 2]) })], [1, 2, 3]);
  assert.equal(lost?.lost, true);
  assert.match(lost?.message ?? "", /acknowledged proposal 3 is missing from member 2/);
});
