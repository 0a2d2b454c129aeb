import { test } from "node:test";
import assert from "node:assert/strict";
// A unit test of a file inside the package imports it directly, not through index.js.
import { Inflights, Progress, ProgressTracker } from "../../internal/raft/progress.js";

test("Inflights: a bounded ring of acknowledged-or-not last indexes", () => {
  const inf = new Inflights(3);
  assert.equal(inf.full(), false);
  inf.add(5);
  inf.add(7);
  inf.add(9);
  assert.equal(inf.full(), true);
  assert.equal(inf.count, 3);
  inf.freeLE(4);
  assert.equal(inf.count, 3, "nothing at or below 4");
  inf.freeLE(7);
  assert.equal(inf.count, 1);
  // Wrap around the ring.
  inf.add(11);
  inf.add(13);
  assert.equal(inf.full(), true);
  inf.freeFirstOne();
  assert.equal(inf.count, 2);
  inf.freeLE(12);
  assert.equal(inf.count, 1);
  inf.freeLE(100);
  assert.equal(inf.count, 0);
  inf.freeFirstOne();
  assert.equal(inf.count, 0, "freeing an empty window is harmless");
  inf.add(1);
  inf.reset();
  assert.equal(inf.count, 0);
  assert.equal(inf.full(), false);
});

test("Progress: probe sends one append at a time", () => {
  const pr = new Progress(5, 4, false);
  assert.equal(pr.state, "probe");
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(2, 6);
  assert.equal(pr.isPaused(), true, "paused until an answer");
  assert.equal(pr.next, 5, "probe does not move next optimistically");
  assert.equal(pr.maybeUpdate(6), true);
  assert.equal(pr.match, 6);
  assert.equal(pr.next, 7);
  assert.equal(pr.isPaused(), false, "an acknowledgement unpauses");
  assert.equal(pr.maybeUpdate(4), false, "an older acknowledgement changes nothing");
  assert.equal(pr.match, 6);
});

test("Progress: replicate streams within the inflight window", () => {
  const pr = new Progress(5, 2, false);
  pr.match = 4;
  pr.becomeReplicate();
  assert.equal(pr.next, 5);
  pr.sentEntries(3, 7);
  assert.equal(pr.next, 8);
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(0, 7);
  assert.equal(pr.inflights.count, 1, "an empty append does not take a slot");
  pr.sentEntries(1, 8);
  assert.equal(pr.isPaused(), true);
  pr.maybeUpdate(7);
  pr.inflights.freeLE(7);
  assert.equal(pr.isPaused(), false);
});

test("Progress.becomeProbe: back to match+1, or past a snapshot that was sent", () => {
  const fromReplicate = new Progress(10, 4, false);
  fromReplicate.match = 3;
  fromReplicate.becomeReplicate();
  fromReplicate.sentEntries(5, 8);
  fromReplicate.becomeProbe();
  assert.equal(fromReplicate.state, "probe");
  assert.equal(fromReplicate.next, 4);
  assert.equal(fromReplicate.inflights.count, 0);

  const snapFinished = new Progress(5, 4, false);
  snapFinished.match = 1;
  snapFinished.becomeSnapshot(10);
  assert.equal(snapFinished.isPaused(), true);
  assert.equal(snapFinished.pendingSnapshot, 10);
  snapFinished.becomeProbe();
  assert.equal(snapFinished.next, 11);
  assert.equal(snapFinished.pendingSnapshot, 0);

  const snapFailed = new Progress(5, 4, false);
  snapFailed.match = 1;
  snapFailed.becomeSnapshot(10);
  snapFailed.pendingSnapshot = 0;
  snapFailed.becomeProbe();
  assert.equal(snapFailed.next, 2);
});

test("Progress.maybeDecrTo: follows the rejection hint, ignores stale rejections", () => {
  // In replicate, a rejection at or below match is stale; otherwise go back to match+1.
  const r = new Progress(10, 4, false);
  r.match = 5;
  r.becomeReplicate();
  r.next = 10;
  assert.equal(r.maybeDecrTo(5, 5), false);
  assert.equal(r.next, 10);
  assert.equal(r.maybeDecrTo(9, 9), true);
  assert.equal(r.next, 6);

  // In probe, only the rejection of the last probe (at next-1) counts.
  const cases: { next: number; match: number; rejected: number; hint: number; ok: boolean; wantNext: number }[] = [
    { next: 10, match: 0, rejected: 8, hint: 3, ok: false, wantNext: 10 },
    { next: 10, match: 0, rejected: 9, hint: 3, ok: true, wantNext: 4 },
    { next: 10, match: 0, rejected: 9, hint: 20, ok: true, wantNext: 9 },
    { next: 10, match: 5, rejected: 9, hint: 2, ok: true, wantNext: 6 },
    { next: 1, match: 0, rejected: 0, hint: 0, ok: true, wantNext: 1 },
  ];
  for (const c of cases) {
    const p = new Progress(c.next, 4, false);
    p.match = c.match;
    p.sentEntries(1, c.next);
    assert.equal(p.maybeDecrTo(c.rejected, c.hint), c.ok, `maybeDecrTo(${c.rejected}, ${c.hint}) at next ${c.next}`);
    assert.equal(p.next, c.wantNext, `next after maybeDecrTo(${c.rejected}, ${c.hint})`);
    if (c.ok) assert.equal(p.isPaused(), false, "a rejection is an answer: probing resumes");
  }
});

test("Progress.status reports what the leader knows", () => {
  const pr = new Progress(3, 4, true);
  pr.match = 2;
  pr.recentActive = true;
  assert.deepEqual(pr.status(), { match: 2, next: 3, state: "probe", isLearner: true, recentActive: true });
});

function tracker(voters: number[], learners: number[] = []): ProgressTracker {
  const t = new ProgressTracker(8);
  for (const id of voters) {
    t.voters.add(id);
    t.progress.set(id, new Progress(1, 8, false));
  }
  for (const id of learners) {
    t.learners.add(id);
    t.progress.set(id, new Progress(1, 8, true));
  }
  return t;
}

test("ProgressTracker.committed: the highest index held by a quorum of voters (1 to 5 voters)", () => {
  const cases: { matches: number[]; want: number }[] = [
    { matches: [0], want: 0 },
    { matches: [7], want: 7 },
    { matches: [5, 3], want: 3 },
    { matches: [3, 5], want: 3 },
    { matches: [5, 3, 1], want: 3 },
    { matches: [1, 5, 3], want: 3 },
    { matches: [5, 5, 0], want: 5 },
    { matches: [4, 3, 2, 1], want: 2 },
    { matches: [9, 9, 1, 1], want: 1 },
    { matches: [9, 9, 9, 1], want: 9 },
    { matches: [5, 4, 3, 2, 1], want: 3 },
    { matches: [1, 1, 9, 9, 9], want: 9 },
    { matches: [9, 9, 1, 1, 1], want: 1 },
  ];
  for (const c of cases) {
    const ids = c.matches.map((_, i) => i + 1);
    const t = tracker(ids, [10]);
    c.matches.forEach((m, i) => {
      const pr = t.progress.get(i + 1);
      if (pr) pr.match = m;
    });
    // The learner is far ahead and must not count.
    const learner = t.progress.get(10);
    if (learner) learner.match = 100;
    assert.equal(t.committed(), c.want, `committed of matches [${c.matches.join(",")}]`);
  }
  assert.equal(new ProgressTracker(8).committed(), 0, "no voters, nothing committed");
});

test("ProgressTracker.voteResult: won with a quorum of yes, lost when a quorum cannot be reached", () => {
  type V = boolean | undefined;
  const cases: { votes: V[]; want: "won" | "lost" | "pending" }[] = [
    { votes: [undefined], want: "pending" },
    { votes: [true], want: "won" },
    { votes: [false], want: "lost" },
    { votes: [true, undefined], want: "pending" },
    { votes: [true, true], want: "won" },
    { votes: [true, false], want: "lost" },
    { votes: [true, undefined, undefined], want: "pending" },
    { votes: [true, true, undefined], want: "won" },
    { votes: [true, false, undefined], want: "pending" },
    { votes: [true, false, false], want: "lost" },
    { votes: [true, true, false, undefined], want: "pending" },
    { votes: [true, true, true, false], want: "won" },
    { votes: [true, false, false, undefined], want: "lost" },
    { votes: [true, true, false, false, undefined], want: "pending" },
    { votes: [true, true, true, false, false], want: "won" },
    { votes: [true, false, false, false, undefined], want: "lost" },
  ];
  for (const c of cases) {
    const t = tracker(c.votes.map((_, i) => i + 1));
    const got = t.voteResult((id) => c.votes[id - 1]);
    assert.equal(got, c.want, `votes [${c.votes.map(String).join(",")}]`);
  }
  assert.equal(new ProgressTracker(8).voteResult(() => undefined), "won", "an empty configuration wins by default");
});

test("ProgressTracker.recordVote/tallyVotes: the first answer counts; learners' votes do not", () => {
  const t = tracker([1, 2, 3], [4]);
  t.recordVote(1, true);
  t.recordVote(2, false);
  t.recordVote(2, true);
  t.recordVote(4, true);
  assert.deepEqual(t.tallyVotes(), { granted: 1, rejected: 1, result: "pending" });
  t.recordVote(3, true);
  assert.deepEqual(t.tallyVotes(), { granted: 2, rejected: 1, result: "won" });
  t.resetVotes();
  assert.deepEqual(t.tallyVotes(), { granted: 0, rejected: 0, result: "pending" });
});

test("ProgressTracker.quorumActive, confState and isMember", () => {
  const t = tracker([3, 1, 2], [5, 4]);
  const active = (id: number): void => {
    const pr = t.progress.get(id);
    if (pr) pr.recentActive = true;
  };
  active(1);
  active(4);
  active(5);
  assert.equal(t.quorumActive(), false, "learners do not make a quorum");
  active(3);
  assert.equal(t.quorumActive(), true);
  assert.deepEqual(t.confState(), { voters: [1, 2, 3], learners: [4, 5] });
  assert.equal(t.quorum(), 2);
  assert.equal(t.isMember(4), true);
  assert.equal(t.isMember(2), true);
  assert.equal(t.isMember(9), false);
});
