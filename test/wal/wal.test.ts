import assert from "node:assert/strict";
import { test } from "node:test";
import { Level } from "level";
import { MemoryStorage } from "../../internal/raft/index.js";
import { Wal, WalClosedError, WalCorruptError, WalError, WalRequestError } from "../../internal/wal/index.js";
import { entries, entry, entryKeyOf, logOf, tempDir } from "./helpers.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const confState = { voters: [1, 2, 3], learners: [] };

/** Keys of a closed WAL directory, read with level directly. */
async function rawKeys(dir: string): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  const keys: string[] = [];
  for await (const key of db.keys()) {
    keys.push(key[0] === 0x65 && key.length === 9 ? `e${Buffer.from(key).readBigUInt64BE(1)}` : Buffer.from(key).toString());
  }
  await db.close();
  return keys;
}

async function withRawDb(dir: string, fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

test("a fresh directory opens as new and empty, and stays new until something is saved", async (t) => {
  const dir = await tempDir(t);
  const first = await Wal.open(`${dir}/member`);
  assert.equal(first.isNew, true);
  assert.equal(first.metadata, undefined);
  assert.equal(first.storage.lastIndex(), 0);
  assert.deepEqual(first.storage.initialState().hardState, { term: 0, vote: 0, commit: 0 });
  await first.wal.close();
  const again = await Wal.open(`${dir}/member`);
  assert.equal(again.isNew, true);
  await again.wal.close();
});

test("metadata, hard state, snapshot and entries survive a reopen", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  const boot = MemoryStorage.bootstrap(confState, enc("image@1"));
  await wal.save(
    {
      metadata: { memberId: 2, clusterId: 2 ** 53 - 1, data: enc("peer-urls") },
      snapshot: boot.snapshot(),
      hardState: boot.hardStateNow(),
      entries: [],
    },
    { sync: true },
  );
  assert.equal(storage.firstIndex(), 2);
  await wal.save({ entries: entries(2, 6, 2), hardState: { term: 2, vote: 1, commit: 4 } }, { sync: true });
  assert.deepEqual(wal.metadata, { memberId: 2, clusterId: 2 ** 53 - 1, data: enc("peer-urls") });
  const before = logOf(storage);
  await wal.close();

  const r = await Wal.open(dir);
  assert.equal(r.isNew, false);
  assert.equal(r.metadata?.memberId, 2);
  assert.equal(r.metadata?.clusterId, 2 ** 53 - 1);
  assert.deepEqual([...(r.metadata?.data ?? [])], [...enc("peer-urls")]);
  assert.deepEqual(r.storage.initialState(), { hardState: { term: 2, vote: 1, commit: 4 }, confState });
  const snap = r.storage.snapshot();
  assert.deepEqual(snap.metadata, { index: 1, term: 1, confState });
  assert.equal(new TextDecoder().decode(snap.data), "image@1");
  assert.equal(r.storage.firstIndex(), 2);
  assert.deepEqual(logOf(r.storage), before);
  assert.equal(r.wal.storage, r.storage);
  await r.wal.close();
});

test("a conflicting tail replaced by raft stays replaced after a reopen", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  await wal.save({ entries: entries(1, 10, 1) }, { sync: true });
  await wal.save({ entries: [entry(6, 2, "new6"), entry(7, 2, "new7")] }, { sync: true });
  assert.equal(storage.lastIndex(), 7);
  await wal.close();

  const r = await Wal.open(dir);
  assert.equal(r.storage.lastIndex(), 7);
  assert.deepEqual(
    logOf(r.storage).slice(4),
    [
      { index: 5, term: 1, data: "e5" },
      { index: 6, term: 2, data: "new6" },
      { index: 7, term: 2, data: "new7" },
    ],
  );
  await r.wal.close();
  assert.deepEqual((await rawKeys(dir)).filter((k) => k.startsWith("e")), entries(1, 7, 1).map((e) => `e${e.index}`));
});

test("a local snapshot and compaction survive a reopen, keeping the entries after the compaction point", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  await wal.save({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 20 } }, { sync: true });
  // The driver's order (as etcd's server): snapshot the mirror, persist it, then compact.
  const snap = storage.createSnapshot(15, confState, enc("image@15"));
  await wal.saveSnapshot(snap);
  await wal.compact(10);
  assert.equal(storage.firstIndex(), 11);
  await wal.close();
  assert.deepEqual(
    (await rawKeys(dir)).filter((k) => k.startsWith("e")),
    entries(11, 20, 1).map((e) => `e${e.index}`),
  );

  const r = await Wal.open(dir);
  assert.deepEqual(r.storage.snapshot().metadata, { index: 15, term: 1, confState });
  assert.equal(new TextDecoder().decode(r.storage.snapshot().data), "image@15");
  // Raft's log restarts at the snapshot; 11..15 stay on disk until a compaction reaches them.
  assert.equal(r.storage.firstIndex(), 16);
  assert.equal(r.storage.lastIndex(), 20);
  await r.wal.compact(15);
  await r.wal.save({ entries: [entry(21, 2)] }, { sync: true });
  await r.wal.close();
  assert.deepEqual(
    (await rawKeys(dir)).filter((k) => k.startsWith("e")),
    [16, 17, 18, 19, 20, 21].map((i) => `e${i}`),
  );
  const again = await Wal.open(dir);
  assert.equal(again.storage.firstIndex(), 16);
  assert.equal(again.storage.lastIndex(), 21);
  await again.wal.close();
});

test("a crash between saveSnapshot and compact restores the snapshot and the entries after it", async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  await wal.save({ entries: entries(1, 12, 3), hardState: { term: 3, vote: 2, commit: 12 } }, { sync: true });
  // Without createSnapshot on the mirror first: saveSnapshot records it there itself.
  await wal.saveSnapshot({ metadata: { index: 9, term: 3, confState }, data: enc("image@9") });
  assert.equal(wal.storage.snapshot().metadata.index, 9);
  await wal.close(); // the process dies here, before compact

  const r = await Wal.open(dir);
  assert.equal(r.storage.snapshot().metadata.index, 9);
  assert.equal(r.storage.firstIndex(), 10);
  assert.deepEqual(logOf(r.storage).map((e) => e.index), [10, 11, 12]);
  assert.equal(r.storage.term(9), 3);
  await r.wal.close();
});

test("a snapshot installed from the leader replaces the whole log, on disk too", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  await wal.save({ entries: entries(1, 8, 1) }, { sync: true });
  await wal.save(
    {
      snapshot: { metadata: { index: 30, term: 4, confState }, data: enc("leader-image") },
      entries: [entry(31, 4), entry(32, 4)],
      hardState: { term: 4, vote: 0, commit: 30 },
    },
    { sync: true },
  );
  assert.equal(storage.firstIndex(), 31);
  await wal.close();
  assert.deepEqual((await rawKeys(dir)).filter((k) => k.startsWith("e")), ["e31", "e32"]);
  const r = await Wal.open(dir);
  assert.equal(r.storage.snapshot().metadata.index, 30);
  assert.deepEqual(logOf(r.storage).map((e) => e.index), [31, 32]);
  assert.equal(r.storage.initialState().hardState.commit, 30);
  await r.wal.close();
});

test("concurrent saves are written in call order, and those queued behind a write share one fsync", async (t) => {
  const dir = await tempDir(t);
  const syncs: number[] = [];
  const { wal, storage } = await Wal.open(dir, { onSync: (s) => syncs.push(s) });
  const done: number[] = [];
  const saves: Promise<void>[] = [];
  for (let i = 1; i <= 50; i++) {
    saves.push(wal.save({ entries: [entry(i, 1)], hardState: { term: 1, vote: 1, commit: i - 1 } }, { sync: true }).then(() => {
      done.push(i);
    }));
  }
  // A request that would leave a gap is refused alone; the saves around it still land.
  const gap = wal.save({ entries: [entry(99, 1)] }, { sync: true });
  saves.push(wal.save({ entries: [entry(51, 1)] }, { sync: true }).then(() => void done.push(51)));
  await assert.rejects(gap, (err: unknown) => err instanceof WalRequestError && /51\.\.98 would be missing/.test(err.message));
  await Promise.all(saves);
  assert.deepEqual(done, Array.from({ length: 51 }, (_, k) => k + 1));
  // The first save goes alone; the other 50 queue behind it and are merged into one batch.
  assert.equal(syncs.length, 2);
  assert.ok(syncs.every((s) => s >= 0 && s < 10));
  assert.equal(storage.lastIndex(), 51);
  // Unsynced saves are not counted as fsyncs.
  await wal.save({ entries: [entry(52, 1)] }, { sync: false });
  assert.equal(syncs.length, 2);
  await wal.close();

  const r = await Wal.open(dir);
  assert.deepEqual(logOf(r.storage).map((e) => e.index), Array.from({ length: 52 }, (_, k) => k + 1));
  assert.equal(r.storage.initialState().hardState.commit, 49);
  await r.wal.close();
});

test("requests that would break the log are refused and leave the WAL usable", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  await wal.save({ metadata: { memberId: 1, clusterId: 7 }, entries: entries(1, 5, 1) }, { sync: true });
  const refused = async (p: Promise<void>, pattern: RegExp): Promise<void> => {
    await assert.rejects(p, (err: unknown) => err instanceof WalRequestError && pattern.test(err.message) && err.dir === dir);
  };
  await refused(wal.save({ metadata: { memberId: 1, clusterId: 7 }, entries: [] }, { sync: true }), /already saved/);
  await refused(wal.save({ entries: [entry(8, 1)] }, { sync: true }), /6\.\.7 would be missing/);
  await refused(wal.save({ entries: [], hardState: { term: 1, vote: 1, commit: 6 } }, { sync: true }), /commit 6 is past the last index 5/);
  await refused(wal.compact(3), /saved snapshot is at 0/);
  await refused(wal.saveSnapshot({ metadata: { index: 9, term: 1, confState }, data: enc("x") }), /past the last index 5/);
  await refused(wal.saveSnapshot({ metadata: { index: 4, term: 2, confState }, data: enc("x") }), /log has term 1/);
  await wal.saveSnapshot({ metadata: { index: 4, term: 1, confState }, data: enc("x") });
  await refused(wal.saveSnapshot({ metadata: { index: 3, term: 1, confState }, data: enc("x") }), /not newer/);
  await refused(wal.save({ entries: [entry(4, 2)] }, { sync: true }), /snapshot at 4 already covers/);
  await wal.save({ entries: [entry(6, 1)] }, { sync: true });
  assert.equal(storage.lastIndex(), 6);
  await wal.close();
  await assert.rejects(wal.save({ entries: [entry(7, 1)] }, { sync: true }), WalClosedError);
});

test("a directory held by another open WAL is refused with the directory named", async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  await assert.rejects(Wal.open(dir), (err: unknown) => err instanceof WalError && err.message.includes(dir));
  await wal.close();
});

/** A WAL with metadata, a snapshot at 5 and entries 3..10, closed, ready to be damaged. */
async function populated(dir: string): Promise<void> {
  const { wal } = await Wal.open(dir);
  await wal.save({ metadata: { memberId: 1, clusterId: 1 }, entries: entries(1, 10, 2), hardState: { term: 2, vote: 1, commit: 8 } }, { sync: true });
  await wal.saveSnapshot({ metadata: { index: 5, term: 2, confState }, data: enc("image@5") });
  await wal.compact(2);
  await wal.close();
}

async function expectCorrupt(dir: string, index: number | undefined, pattern: RegExp): Promise<void> {
  await assert.rejects(Wal.open(dir), (err: unknown) => {
    assert.ok(err instanceof WalCorruptError, `expected WalCorruptError, got ${String(err)}`);
    assert.equal(err.name, "WalCorruptError");
    assert.equal(err.index, index);
    assert.ok(err.message.includes(dir), err.message);
    assert.match(err.message, pattern);
    return true;
  });
  // The failed open released the directory.
  await withRawDb(dir, async () => {});
}

test("corruption is reported at open with the directory and the index", async (t) => {
  const cases: { name: string; damage: (db: Level<Uint8Array, Uint8Array>) => Promise<void>; index: number | undefined; pattern: RegExp }[] = [
    { name: "undecodable entry", damage: (db) => db.put(entryKeyOf(7), Uint8Array.of(0xff, 0xff, 0xff)), index: 7, pattern: /entry 7 does not decode/ },
    { name: "entry under the wrong key", damage: async (db) => db.put(entryKeyOf(7), (await db.get(entryKeyOf(8))) as Uint8Array), index: 7, pattern: /is entry 8/ },
    { name: "gap", damage: (db) => db.del(entryKeyOf(7)), index: 7, pattern: /entries 7\.\.7 are missing/ },
    { name: "missing first entries after the snapshot", damage: async (db) => { await db.del(entryKeyOf(3)); await db.del(entryKeyOf(4)); await db.del(entryKeyOf(5)); await db.del(entryKeyOf(6)); }, index: 6, pattern: /6\.\.6 are missing between the snapshot/ },
    { name: "undecodable hard state", damage: (db) => db.put(new TextEncoder().encode("hardstate"), Uint8Array.of(0xff, 0xff)), index: undefined, pattern: /hard state does not decode/ },
    { name: "commit past the log", damage: async (db) => { for (const i of [8, 9, 10]) await db.del(entryKeyOf(i)); }, index: 8, pattern: /commit 8 is past the last index 7/ },
    { name: "snapshot data lost", damage: (db) => db.del(new TextEncoder().encode("snapdata")), index: undefined, pattern: /not both present/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const dir = await tempDir(t);
      await populated(dir);
      await withRawDb(dir, c.damage);
      await expectCorrupt(dir, c.index, c.pattern);
    });
  }
  await t.test("entries below the snapshot that should not be there", async (t) => {
    const dir = await tempDir(t);
    const { wal } = await Wal.open(dir);
    await wal.save({ snapshot: { metadata: { index: 20, term: 3, confState }, data: enc("s") }, entries: [] }, { sync: true });
    await wal.close();
    await withRawDb(dir, async (db) => {
      const { encodeEntry } = await import("../../internal/raftpb/index.js");
      await db.put(entryKeyOf(4), encodeEntry(entry(4, 1)));
    });
    await expectCorrupt(dir, 4, /4\.\.4 lie below the snapshot at 20/);
  });
});

test("entry keys keep index order across byte boundaries of the big-endian key", async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  await wal.save({ snapshot: { metadata: { index: 250, term: 1, confState }, data: enc("s") }, entries: entries(251, 260, 1) }, { sync: true });
  await wal.save({ snapshot: { metadata: { index: 65530, term: 2, confState }, data: enc("s") }, entries: entries(65531, 65540, 2) }, { sync: false });
  await wal.close();
  const r = await Wal.open(dir);
  assert.deepEqual(logOf(r.storage).map((e) => e.index), Array.from({ length: 10 }, (_, k) => 65531 + k));
  await r.wal.close();
  const dir2 = await tempDir(t);
  const w2 = await Wal.open(dir2);
  await w2.wal.save({ entries: entries(1, 300, 1) }, { sync: true });
  await w2.wal.close();
  const r2 = await Wal.open(dir2);
  assert.equal(r2.storage.lastIndex(), 300);
  await r2.wal.close();
});

test("multi-MiB entries and snapshots round-trip", async (t) => {
  const dir = await tempDir(t);
  const big = (n: number, seed: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = (k * 31 + seed) & 0xff;
    return b;
  };
  const { wal } = await Wal.open(dir);
  await wal.save({ entries: [{ index: 1, term: 1, type: "normal", data: big(3 << 20, 1) }, entry(2, 1)] }, { sync: true });
  await wal.saveSnapshot({ metadata: { index: 2, term: 1, confState }, data: big(8 << 20, 2) });
  await wal.save({ entries: [{ index: 3, term: 1, type: "confChange", data: big(4 << 20, 3) }] }, { sync: true });
  await wal.close();
  const r = await Wal.open(dir);
  assert.deepEqual(Buffer.compare(r.storage.snapshot().data, big(8 << 20, 2)), 0);
  const [e3] = r.storage.entries(3, 4, Infinity);
  assert.equal(e3?.type, "confChange");
  assert.equal(Buffer.compare(e3?.data ?? new Uint8Array(0), big(4 << 20, 3)), 0);
  await r.wal.close();
});
