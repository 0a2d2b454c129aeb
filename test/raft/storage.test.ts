import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CompactedError,
  MemoryStorage,
  SnapshotOutOfDateError,
  UnavailableError,
} from "../../internal/raft/index.js";
import type { ConfState, Entry } from "../../internal/raft/index.js";

const cs: ConfState = { voters: [1, 2, 3], learners: [] };

function ent(term: number, index: number, data = ""): Entry {
  return { term, index, type: "normal", data: new TextEncoder().encode(data) };
}

function ids(es: readonly Entry[]): string[] {
  return es.map((e) => `${e.term}/${e.index}`);
}

/** A storage holding entries 3/3, 4/4, 5/5 after a snapshot at 3 (as etcd's storage tests do). */
function storage345(): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index: 3, term: 3, confState: cs }, data: new Uint8Array(0) });
  s.append([ent(4, 4), ent(5, 5)]);
  return s;
}

test("MemoryStorage: a new storage is empty", () => {
  const s = new MemoryStorage();
  assert.equal(s.firstIndex(), 1);
  assert.equal(s.lastIndex(), 0);
  assert.equal(s.term(0), 0);
  assert.deepEqual(s.entries(1, 1, 100), []);
  assert.deepEqual(s.initialState(), {
    hardState: { term: 0, vote: 0, commit: 0 },
    confState: { voters: [], learners: [] },
  });
  assert.equal(s.snapshot().metadata.index, 0);
});

test("MemoryStorage.bootstrap: a committed snapshot at 1/1 holding the founders", () => {
  const s = MemoryStorage.bootstrap(cs, new Uint8Array([7]));
  assert.equal(s.firstIndex(), 2);
  assert.equal(s.lastIndex(), 1);
  assert.equal(s.term(1), 1);
  assert.deepEqual(s.initialState(), { hardState: { term: 1, vote: 0, commit: 1 }, confState: cs });
  assert.deepEqual(s.snapshot().data, new Uint8Array([7]));
  assert.throws(() => s.term(0), CompactedError);
});

test("MemoryStorage.term: the snapshot's entry, held entries, and errors outside", () => {
  const s = storage345();
  assert.equal(s.term(3), 3);
  assert.equal(s.term(4), 4);
  assert.equal(s.term(5), 5);
  assert.throws(() => s.term(2), (err: unknown) => err instanceof CompactedError && err.index === 2);
  assert.throws(() => s.term(6), (err: unknown) => err instanceof UnavailableError && err.index === 6);
});

test("MemoryStorage.entries: bounds and the size limit", () => {
  const s = storage345();
  s.append([ent(6, 6, "abcd")]);
  assert.deepEqual(ids(s.entries(4, 7, Infinity)), ["4/4", "5/5", "6/6"]);
  assert.deepEqual(ids(s.entries(5, 6, Infinity)), ["5/5"]);
  assert.deepEqual(s.entries(6, 6, Infinity), []);
  // Each entry counts its payload plus 16 bytes: 16 + 16 fits in 32, adding 20 does not.
  assert.deepEqual(ids(s.entries(4, 7, 32)), ["4/4", "5/5"]);
  assert.deepEqual(ids(s.entries(4, 7, 31)), ["4/4"]);
  // At least one entry, whatever the limit.
  assert.deepEqual(ids(s.entries(4, 7, 0)), ["4/4"]);
  assert.deepEqual(ids(s.entries(6, 7, 1)), ["6/6"]);
  assert.throws(() => s.entries(3, 5, Infinity), CompactedError);
  assert.throws(() => s.entries(2, 5, Infinity), CompactedError);
  assert.throws(() => s.entries(4, 8, Infinity), (err: unknown) => err instanceof UnavailableError && err.index === 7);
});

test("MemoryStorage.append: extends, truncates a conflicting tail, and ignores the compacted part", () => {
  const cases: { append: Entry[]; want: string[] }[] = [
    { append: [ent(6, 6)], want: ["3/3", "4/4", "5/5", "6/6"] },
    { append: [ent(3, 3), ent(4, 4), ent(5, 5)], want: ["3/3", "4/4", "5/5"] },
    // Replace from 4 on; the old 5 disappears.
    { append: [ent(6, 4)], want: ["3/3", "6/4"] },
    { append: [ent(3, 3), ent(6, 4), ent(6, 5)], want: ["3/3", "6/4", "6/5"] },
    // Entries at or before the snapshot are dropped from the front.
    { append: [ent(1, 2), ent(3, 3), ent(4, 4), ent(7, 5)], want: ["3/3", "4/4", "7/5"] },
    { append: [ent(1, 1), ent(2, 2)], want: ["3/3", "4/4", "5/5"] },
    { append: [], want: ["3/3", "4/4", "5/5"] },
  ];
  for (const c of cases) {
    const s = storage345();
    s.append(c.append);
    assert.deepEqual([`${s.term(3)}/3`, ...ids(s.entries(4, s.lastIndex() + 1, Infinity))], c.want, `append ${ids(c.append)}`);
  }
});

test("MemoryStorage.append: a gap after the last index is refused and changes nothing", () => {
  const s = storage345();
  assert.throws(() => s.append([ent(5, 7)]), UnavailableError);
  assert.equal(s.lastIndex(), 5);
  assert.deepEqual(ids(s.entries(4, 6, Infinity)), ["4/4", "5/5"]);
});

test("MemoryStorage.compact: drops entries up to i and keeps i as the dummy", () => {
  const s = storage345();
  s.compact(4);
  assert.equal(s.firstIndex(), 5);
  assert.equal(s.lastIndex(), 5);
  assert.equal(s.term(4), 4);
  assert.throws(() => s.term(3), CompactedError);
  assert.deepEqual(ids(s.entries(5, 6, Infinity)), ["5/5"]);
  assert.throws(() => s.compact(4), (err: unknown) => err instanceof CompactedError && err.index === 4);
  assert.throws(() => s.compact(3), CompactedError);
  assert.throws(() => s.compact(6), (err: unknown) => err instanceof UnavailableError && err.index === 6);
  s.compact(5);
  assert.equal(s.firstIndex(), 6);
  assert.equal(s.lastIndex(), 5);
  assert.deepEqual(s.entries(6, 6, Infinity), []);
});

test("MemoryStorage.createSnapshot: records index, term, configuration and data", () => {
  const s = storage345();
  const other: ConfState = { voters: [1, 2], learners: [4] };
  const snap = s.createSnapshot(4, other, new Uint8Array([1, 2]));
  assert.deepEqual(snap.metadata, { index: 4, term: 4, confState: other });
  assert.deepEqual(snap.data, new Uint8Array([1, 2]));
  assert.equal(s.snapshot(), snap);
  // Creating a snapshot does not compact: entries stay until compact() is called.
  assert.equal(s.firstIndex(), 4);
  assert.throws(() => s.createSnapshot(4, cs, new Uint8Array(0)), (err: unknown) => {
    return err instanceof SnapshotOutOfDateError && err.index === 4 && err.current === 4;
  });
  assert.throws(() => s.createSnapshot(3, cs, new Uint8Array(0)), SnapshotOutOfDateError);
  assert.throws(() => s.createSnapshot(6, cs, new Uint8Array(0)), UnavailableError);
  assert.equal(s.snapshot(), snap);
});

test("MemoryStorage.applySnapshot: replaces the log; an older snapshot is refused", () => {
  const s = storage345();
  const snap = { metadata: { index: 10, term: 7, confState: cs }, data: new Uint8Array([9]) };
  s.applySnapshot(snap);
  assert.equal(s.firstIndex(), 11);
  assert.equal(s.lastIndex(), 10);
  assert.equal(s.term(10), 7);
  assert.throws(() => s.term(5), CompactedError);
  assert.equal(s.snapshot(), snap);
  assert.deepEqual(s.initialState().confState, cs);
  const old = { metadata: { index: 9, term: 7, confState: cs }, data: new Uint8Array(0) };
  assert.throws(() => s.applySnapshot(old), (err: unknown) => {
    return err instanceof SnapshotOutOfDateError && err.index === 9 && err.current === 10;
  });
  assert.throws(() => s.applySnapshot(snap), SnapshotOutOfDateError);
  s.append([ent(7, 11)]);
  assert.deepEqual(ids(s.entries(11, 12, Infinity)), ["7/11"]);
});

test("MemoryStorage: hard state is stored and reported at start", () => {
  const s = new MemoryStorage();
  s.setHardState({ term: 4, vote: 2, commit: 0 });
  assert.deepEqual(s.hardStateNow(), { term: 4, vote: 2, commit: 0 });
  assert.deepEqual(s.initialState().hardState, { term: 4, vote: 2, commit: 0 });
});

test("errors name themselves and carry what was wrong", () => {
  const e = new CompactedError(3);
  assert.equal(e.name, "CompactedError");
  assert.match(e.message, /index 3 is unavailable due to compaction/);
  const u = new UnavailableError(9);
  assert.equal(u.name, "UnavailableError");
  assert.equal(u.index, 9);
  const o = new SnapshotOutOfDateError(2, 5);
  assert.equal(o.name, "SnapshotOutOfDateError");
  assert.match(o.message, /2.*older.*5/);
});
