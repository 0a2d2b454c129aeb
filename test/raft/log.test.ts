import { test } from "node:test";
import assert from "node:assert/strict";
import { CompactedError, MemoryStorage, UnavailableError } from "../../internal/raft/index.js";
import type { Entry, Snapshot } from "../../internal/raft/index.js";
// Unit tests of files inside the package import them directly, not through index.js.
import { RaftLog, Unstable } from "../../internal/raft/log.js";
import { entrySize, limitSize } from "../../internal/raft/util.js";

/** Entry of `term` at `index` (written term/index in the names below, as in the traces). */
function ent(term: number, index: number, data = ""): Entry {
  return { term, index, type: "normal", data: new TextEncoder().encode(data) };
}

function ids(es: readonly Entry[]): string[] {
  return es.map((e) => `${e.term}/${e.index}`);
}

function snapshot(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) };
}

/** A log whose storage holds `stable` and whose unstable part holds `unstable`. */
function logOf(stable: Entry[], unstable: Entry[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(stable);
  const log = new RaftLog(s);
  log.append(unstable);
  return log;
}

function allEntries(log: RaftLog): string[] {
  return ids(log.slice(log.firstIndex(), log.lastIndex() + 1, Infinity));
}

test("RaftLog starts committed and applied at the storage's snapshot", () => {
  const s = new MemoryStorage();
  s.applySnapshot(snapshot(5, 2));
  s.append([ent(2, 6), ent(3, 7)]);
  const log = new RaftLog(s);
  assert.equal(log.firstIndex(), 6);
  assert.equal(log.lastIndex(), 7);
  assert.equal(log.lastTerm(), 3);
  assert.equal(log.committed, 5);
  assert.equal(log.applied, 5);
  assert.equal(log.unstable.offset, 8);
  assert.equal(log.maybeTerm(5), 2);
  assert.equal(log.maybeTerm(4), undefined);
  assert.equal(log.maybeTerm(8), undefined);
});

test("RaftLog.maybeAppend: appends after a matching entry and commits up to what is known to match", () => {
  const prev = [ent(1, 1), ent(2, 2), ent(3, 3)];
  const cases: {
    index: number;
    logTerm: number;
    commit: number;
    ents: Entry[];
    last: number | undefined;
    committed: number;
    log: string[];
  }[] = [
    // No match: wrong term, or past the end. Nothing changes.
    { index: 3, logTerm: 2, commit: 3, ents: [ent(4, 4)], last: undefined, committed: 1, log: ["1/1", "2/2", "3/3"] },
    { index: 4, logTerm: 4, commit: 3, ents: [ent(4, 5)], last: undefined, committed: 1, log: ["1/1", "2/2", "3/3"] },
    // Match at the end.
    { index: 3, logTerm: 3, commit: 3, ents: [], last: 3, committed: 3, log: ["1/1", "2/2", "3/3"] },
    { index: 3, logTerm: 3, commit: 4, ents: [], last: 3, committed: 3, log: ["1/1", "2/2", "3/3"] },
    { index: 3, logTerm: 3, commit: 2, ents: [], last: 3, committed: 2, log: ["1/1", "2/2", "3/3"] },
    { index: 3, logTerm: 3, commit: 0, ents: [], last: 3, committed: 1, log: ["1/1", "2/2", "3/3"] },
    { index: 3, logTerm: 3, commit: 3, ents: [ent(4, 4)], last: 4, committed: 3, log: ["1/1", "2/2", "3/3", "4/4"] },
    { index: 3, logTerm: 3, commit: 5, ents: [ent(4, 4)], last: 4, committed: 4, log: ["1/1", "2/2", "3/3", "4/4"] },
    {
      index: 3, logTerm: 3, commit: 5, ents: [ent(4, 4), ent(4, 5)], last: 5, committed: 5,
      log: ["1/1", "2/2", "3/3", "4/4", "4/5"],
    },
    // Match in the middle: a conflicting suffix is replaced.
    { index: 2, logTerm: 2, commit: 3, ents: [ent(4, 3)], last: 3, committed: 3, log: ["1/1", "2/2", "4/3"] },
    { index: 1, logTerm: 1, commit: 4, ents: [ent(4, 2)], last: 2, committed: 2, log: ["1/1", "4/2"] },
    // Entries we already hold: nothing is truncated, even though the message is shorter than
    // our log (a delayed append must not erase what later ones brought).
    { index: 1, logTerm: 1, commit: 2, ents: [ent(2, 2)], last: 2, committed: 2, log: ["1/1", "2/2", "3/3"] },
    { index: 0, logTerm: 0, commit: 1, ents: [ent(1, 1)], last: 1, committed: 1, log: ["1/1", "2/2", "3/3"] },
    // A conflict at or below the commit index is refused: committed entries never change.
    { index: 0, logTerm: 0, commit: 0, ents: [ent(4, 1)], last: undefined, committed: 1, log: ["1/1", "2/2", "3/3"] },
  ];
  for (const c of cases) {
    const log = logOf(prev);
    log.committed = 1;
    const got = log.maybeAppend(c.index, c.logTerm, c.commit, c.ents);
    const what = `maybeAppend(${c.index}, ${c.logTerm}, ${c.commit}, [${ids(c.ents).join(" ")}])`;
    assert.equal(got, c.last, `${what}: last`);
    assert.equal(log.committed, c.committed, `${what}: committed`);
    assert.deepEqual(allEntries(log), c.log, `${what}: log`);
  }
});

test("RaftLog.findConflict: the first entry that is new or of another term", () => {
  const cases: { ents: Entry[]; want: number }[] = [
    { ents: [], want: 0 },
    { ents: [ent(1, 1), ent(2, 2), ent(3, 3)], want: 0 },
    { ents: [ent(2, 2), ent(3, 3)], want: 0 },
    { ents: [ent(3, 3)], want: 0 },
    { ents: [ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4), ent(4, 5)], want: 4 },
    { ents: [ent(2, 2), ent(3, 3), ent(4, 4), ent(4, 5)], want: 4 },
    { ents: [ent(4, 4), ent(4, 5)], want: 4 },
    { ents: [ent(4, 1), ent(4, 2)], want: 1 },
    { ents: [ent(1, 2), ent(4, 3), ent(4, 4)], want: 2 },
    { ents: [ent(1, 3), ent(2, 4), ent(4, 5), ent(4, 6)], want: 3 },
  ];
  const log = logOf([ent(1, 1), ent(2, 2), ent(3, 3)]);
  for (const c of cases) assert.equal(log.findConflict(c.ents), c.want, `findConflict(${ids(c.ents).join(" ")})`);
});

test("RaftLog.findConflictByTerm: the last entry at or before index with a term no newer", () => {
  // Snapshot 1/1, then terms 2 2 4 4 5 5 at indexes 2 to 7.
  const s = new MemoryStorage();
  s.applySnapshot(snapshot(1, 1));
  s.append([ent(2, 2), ent(2, 3), ent(4, 4), ent(4, 5), ent(5, 6), ent(5, 7)]);
  const log = new RaftLog(s);
  const cases: [number, number, { index: number; term: number }][] = [
    [7, 6, { index: 7, term: 5 }],
    [7, 5, { index: 7, term: 5 }],
    [7, 4, { index: 5, term: 4 }],
    [5, 3, { index: 3, term: 2 }],
    [3, 2, { index: 3, term: 2 }],
    [3, 1, { index: 1, term: 1 }],
    // Before the snapshot nothing is known: (index, 0).
    [3, 0, { index: 0, term: 0 }],
    // Past the end: the index itself, term unknown.
    [10, 5, { index: 10, term: 0 }],
  ];
  for (const [index, term, want] of cases) {
    assert.deepEqual(log.findConflictByTerm(index, term), want, `findConflictByTerm(${index}, ${term})`);
  }
  s.compact(3);
  const compacted = new RaftLog(s);
  assert.deepEqual(compacted.findConflictByTerm(7, 1), { index: 2, term: 0 });
  assert.deepEqual(compacted.findConflictByTerm(7, 2), { index: 3, term: 2 });
});

test("RaftLog.isUpToDate (§5.4.1): a later last term wins; with equal terms, the longer log", () => {
  const log = logOf([ent(1, 1), ent(2, 2), ent(3, 3)]);
  const cases: [number, number, boolean][] = [
    [2, 4, true],
    [3, 4, true],
    [4, 4, true],
    [2, 2, false],
    [3, 2, false],
    [4, 2, false],
    [2, 3, false],
    [3, 3, true],
    [4, 3, true],
  ];
  for (const [index, term, want] of cases) assert.equal(log.isUpToDate(index, term), want, `isUpToDate(${index}, ${term})`);
});

test("RaftLog.slice: across storage and the unstable tail, within the size limit", () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1, "x"), ent(1, 2, "x"), ent(1, 3, "x"), ent(1, 4, "x"), ent(1, 5, "x")]);
  s.compact(2);
  const log = new RaftLog(s);
  log.append([ent(2, 6, "x"), ent(2, 7, "x"), ent(2, 8, "x")]);
  const one = entrySize(ent(1, 1, "x"));
  assert.equal(one, 17);
  assert.deepEqual(ids(log.slice(3, 9, Infinity)), ["1/3", "1/4", "1/5", "2/6", "2/7", "2/8"]);
  assert.deepEqual(ids(log.slice(3, 6, Infinity)), ["1/3", "1/4", "1/5"]);
  assert.deepEqual(ids(log.slice(6, 9, Infinity)), ["2/6", "2/7", "2/8"]);
  assert.deepEqual(ids(log.slice(4, 7, Infinity)), ["1/4", "1/5", "2/6"]);
  // The limit stops inside storage: the unstable part is not consulted.
  assert.deepEqual(ids(log.slice(3, 9, 2 * one)), ["1/3", "1/4"]);
  // The limit stops inside the unstable part.
  assert.deepEqual(ids(log.slice(5, 9, 2 * one)), ["1/5", "2/6"]);
  assert.deepEqual(ids(log.slice(5, 9, 3 * one - 1)), ["1/5", "2/6"]);
  // At least one entry.
  assert.deepEqual(ids(log.slice(3, 9, 0)), ["1/3"]);
  assert.deepEqual(ids(log.slice(7, 9, 0)), ["2/7"]);
  assert.deepEqual(log.slice(5, 5, Infinity), []);
  assert.throws(() => log.slice(2, 4, Infinity), (err: unknown) => err instanceof CompactedError && err.index === 2);
  assert.throws(() => log.slice(3, 10, Infinity), (err: unknown) => err instanceof UnavailableError && err.index === 9);
  assert.deepEqual(ids(log.entries(7, Infinity)), ["2/7", "2/8"]);
  assert.deepEqual(log.entries(9, Infinity), []);
});

test("RaftLog.stableTo: drops persisted entries from the unstable part unless they were replaced", () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1)]);
  const log = new RaftLog(s);
  log.append([ent(1, 2), ent(1, 3), ent(2, 4)]);
  assert.equal(log.unstable.offset, 2);
  s.append([ent(1, 2), ent(1, 3)]);
  // Wrong term: the entry at 3 is not the one that was persisted.
  log.stableTo(3, 2);
  assert.deepEqual(ids(log.unstable.entries), ["1/2", "1/3", "2/4"]);
  log.stableTo(3, 1);
  assert.equal(log.unstable.offset, 4);
  assert.deepEqual(ids(log.unstable.entries), ["2/4"]);
  // Below the unstable part: nothing to do.
  log.stableTo(2, 1);
  assert.equal(log.unstable.offset, 4);
  assert.deepEqual(allEntries(log), ["1/1", "1/2", "1/3", "2/4"]);
  // The tail is replaced before it is persisted: the old acknowledgement does not apply.
  log.append([ent(3, 4)]);
  log.stableTo(4, 2);
  assert.deepEqual(ids(log.unstable.entries), ["3/4"]);
});

test("Unstable.truncateAndAppend: extend, replace everything, or truncate then extend", () => {
  const cases: { offset: number; ents: Entry[]; append: Entry[]; offsetAfter: number; want: string[] }[] = [
    { offset: 5, ents: [ent(1, 5)], append: [ent(1, 6), ent(1, 7)], offsetAfter: 5, want: ["1/5", "1/6", "1/7"] },
    { offset: 5, ents: [ent(1, 5)], append: [ent(2, 5), ent(2, 6)], offsetAfter: 5, want: ["2/5", "2/6"] },
    { offset: 5, ents: [ent(1, 5)], append: [ent(2, 4), ent(2, 5), ent(2, 6)], offsetAfter: 4, want: ["2/4", "2/5", "2/6"] },
    { offset: 5, ents: [ent(1, 5), ent(1, 6), ent(1, 7)], append: [ent(2, 6)], offsetAfter: 5, want: ["1/5", "2/6"] },
    {
      offset: 5, ents: [ent(1, 5), ent(1, 6), ent(1, 7)], append: [ent(2, 7), ent(2, 8)], offsetAfter: 5,
      want: ["1/5", "1/6", "2/7", "2/8"],
    },
  ];
  for (const c of cases) {
    const u = new Unstable(c.offset);
    u.entries = c.ents.slice();
    u.truncateAndAppend(c.append);
    assert.equal(u.offset, c.offsetAfter);
    assert.deepEqual(ids(u.entries), c.want);
  }
});

test("Unstable: a pending snapshot stands before the entries", () => {
  const u = new Unstable(1);
  assert.equal(u.maybeFirstIndex(), undefined);
  assert.equal(u.maybeLastIndex(), undefined);
  u.restore(snapshot(4, 2));
  assert.equal(u.offset, 5);
  assert.equal(u.maybeFirstIndex(), 5);
  assert.equal(u.maybeLastIndex(), 4);
  assert.equal(u.maybeTerm(4), 2);
  assert.equal(u.maybeTerm(3), undefined);
  u.truncateAndAppend([ent(3, 5)]);
  assert.equal(u.maybeLastIndex(), 5);
  assert.equal(u.maybeTerm(5), 3);
  u.stableSnapTo(3);
  assert.notEqual(u.snapshot, undefined);
  u.stableSnapTo(4);
  assert.equal(u.snapshot, undefined);
  assert.equal(u.maybeFirstIndex(), undefined);
});

test("RaftLog.restore: a snapshot replaces the log and commits its index", () => {
  const log = logOf([ent(1, 1), ent(1, 2)]);
  log.committed = 1;
  const snap = snapshot(10, 3);
  log.restore(snap);
  assert.equal(log.committed, 10);
  assert.equal(log.firstIndex(), 11);
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.lastTerm(), 3);
  assert.equal(log.maybeTerm(10), 3);
  assert.equal(log.maybeTerm(2), undefined);
  assert.equal(log.snapshot(), snap);
  assert.deepEqual(log.slice(11, 11, Infinity), []);
  assert.throws(() => log.slice(10, 11, Infinity), CompactedError);
});

test("RaftLog.commitTo and appliedTo: only forward, never past what is held or committed", () => {
  const log = logOf([ent(1, 1), ent(1, 2), ent(1, 3)]);
  log.commitTo(2);
  assert.equal(log.committed, 2);
  log.commitTo(1);
  assert.equal(log.committed, 2);
  log.commitTo(4);
  assert.equal(log.committed, 2, "a commit index past the log is ignored");
  log.appliedTo(3);
  assert.equal(log.applied, 0, "applied never passes committed");
  log.appliedTo(2);
  assert.equal(log.applied, 2);
  log.appliedTo(1);
  assert.equal(log.applied, 2);
});

test("RaftLog.nextCommittedEnts: committed but unapplied entries, within a size limit", () => {
  const log = logOf([ent(1, 1, "x"), ent(1, 2, "x")], [ent(1, 3, "x"), ent(1, 4, "x")]);
  assert.equal(log.hasNextCommittedEnts(), false);
  log.commitTo(3);
  assert.equal(log.hasNextCommittedEnts(), true);
  assert.deepEqual(ids(log.nextCommittedEnts(Infinity)), ["1/1", "1/2", "1/3"]);
  assert.deepEqual(ids(log.nextCommittedEnts(2 * 17)), ["1/1", "1/2"]);
  assert.deepEqual(ids(log.nextCommittedEnts(0)), ["1/1"]);
  log.appliedTo(2);
  assert.deepEqual(ids(log.nextCommittedEnts(Infinity)), ["1/3"]);
  log.appliedTo(3);
  assert.equal(log.hasNextCommittedEnts(), false);
  assert.deepEqual(log.nextCommittedEnts(Infinity), []);
});

test("limitSize: the longest prefix within the limit, never empty", () => {
  const es = [ent(1, 1, "aaaa"), ent(1, 2, "bb"), ent(1, 3, "")];
  assert.deepEqual(es.map(entrySize), [20, 18, 16]);
  assert.deepEqual(ids(limitSize(es, 54)), ["1/1", "1/2", "1/3"]);
  assert.deepEqual(ids(limitSize(es, 53)), ["1/1", "1/2"]);
  assert.deepEqual(ids(limitSize(es, 38)), ["1/1", "1/2"]);
  assert.deepEqual(ids(limitSize(es, 37)), ["1/1"]);
  assert.deepEqual(ids(limitSize(es, 0)), ["1/1"]);
  assert.deepEqual(limitSize([], 0), []);
});
