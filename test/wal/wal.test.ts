import assert from "node:assert/strict";
import { test } from "node:test";
import { Level } from "level";
import { MemoryStorage } from "../../internal/raft/index.js";
import { encodeEntry, encodeHardState, encodeSnapshot } from "../../internal/raftpb/index.js";
import { Wal, WalClosedError, WalCorruptError, WalError, WalRequestError } from "../../internal/wal/index.js";
import { entries, entry, entryKeyOf, logOf, segmentKeyOf, segmentOf, tempDir } from "./helpers.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const confState = { voters: [1, 2, 3], learners: [] };

/**
 * Keys of a closed WAL directory in key order, read with level directly: "s<index>" for a
 * segment key, "e<index>" for a layout-1 entry key, the others as text.
 */
async function rawKeys(dir: string): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  const keys: string[] = [];
  for await (const key of db.keys()) {
    const indexed = key.length === 9 && (key[0] === 0x65 || key[0] === 0x73);
    keys.push(indexed ? `${String.fromCharCode(key[0] as number)}${Buffer.from(key).readBigUInt64BE(1)}` : Buffer.from(key).toString());
  }
  await db.close();
  return keys;
}

/** The segment keys of a closed WAL directory, as "s<first index>", in key order. */
async function segmentKeys(dir: string): Promise<string[]> {
  return (await rawKeys(dir)).filter((k) => /^s\d+$/.test(k));
}

/** The layout version byte of a closed WAL directory. */
async function rawVersion(dir: string): Promise<number | undefined> {
  let version: number | undefined;
  await withRawDb(dir, async (db) => {
    version = (await db.get(new TextEncoder().encode("version")))?.[0];
  });
  return version;
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
  // One segment per save; the first keeps its stale 6..10, which the second supersedes.
  assert.deepEqual(await segmentKeys(dir), ["s1", "s6"]);
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
  // 1..20 is one segment, which straddles the compaction point: it stays whole.
  assert.deepEqual(await segmentKeys(dir), ["s1"]);

  const r = await Wal.open(dir);
  assert.deepEqual(r.storage.snapshot().metadata, { index: 15, term: 1, confState });
  assert.equal(new TextDecoder().decode(r.storage.snapshot().data), "image@15");
  // Raft's log restarts at the snapshot; 11..15 stay on disk until a compaction reaches them.
  assert.equal(r.storage.firstIndex(), 16);
  assert.equal(r.storage.lastIndex(), 20);
  await r.wal.compact(15);
  await r.wal.save({ entries: [entry(21, 2)] }, { sync: true });
  await r.wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s1", "s21"]);
  const again = await Wal.open(dir);
  assert.equal(again.storage.firstIndex(), 16);
  assert.equal(again.storage.lastIndex(), 21);
  assert.deepEqual(logOf(again.storage).map((e) => [e.index, e.term]), [[16, 1], [17, 1], [18, 1], [19, 1], [20, 1], [21, 2]]);
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
  assert.deepEqual(await segmentKeys(dir), ["s31"]);
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

/**
 * A WAL with metadata, hard state (commit 8), a snapshot at 5 and the segments s5 (5..7) and s8
 * (8..10), all at term 2, closed, ready to be damaged. s1 (1..4) was compacted away.
 */
async function populated(dir: string): Promise<void> {
  const { wal } = await Wal.open(dir);
  await wal.save({ metadata: { memberId: 1, clusterId: 1 }, entries: entries(1, 4, 2) }, { sync: true });
  await wal.save({ entries: entries(5, 7, 2) }, { sync: true });
  await wal.save({ entries: entries(8, 10, 2), hardState: { term: 2, vote: 1, commit: 8 } }, { sync: true });
  await wal.saveSnapshot({ metadata: { index: 5, term: 2, confState }, data: enc("image@5") });
  await wal.compact(4);
  await wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s5", "s8"]);
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

/** raftpb bytes of entry(index, term). */
const entryBytes = (index: number, term = 2): Uint8Array => encodeEntry(entry(index, term));

test("the populated directory used for damage opens cleanly", async (t) => {
  // The baseline of the corruption cases: without damage, it opens as written.
  const dir = await tempDir(t);
  await populated(dir);
  const r = await Wal.open(dir);
  assert.equal(r.storage.snapshot().metadata.index, 5);
  assert.deepEqual(logOf(r.storage).map((e) => [e.index, e.term]), [[6, 2], [7, 2], [8, 2], [9, 2], [10, 2]]);
  assert.equal(r.storage.hardStateNow().commit, 8);
  await r.wal.close();
  // The segment values are in the layout helpers.ts pins: uint32 BE length + raftpb Entry each.
  await withRawDb(dir, async (db) => {
    assert.deepEqual(await db.get(segmentKeyOf(5)), Buffer.from(segmentOf([entryBytes(5), entryBytes(6), entryBytes(7)])));
    assert.deepEqual(await db.get(segmentKeyOf(8)), Buffer.from(segmentOf([entryBytes(8), entryBytes(9), entryBytes(10)])));
  });
});

test("corruption is reported at open with the directory and the index", async (t) => {
  type Damage = (db: Level<Uint8Array, Uint8Array>) => Promise<void>;
  const s8 = segmentKeyOf(8);
  const cases: { name: string; damage: Damage; index: number | undefined; pattern: RegExp }[] = [
    {
      name: "undecodable entry inside a segment",
      damage: (db) => db.put(s8, segmentOf([entryBytes(8), Uint8Array.of(0xff, 0xff, 0xff), entryBytes(10)])),
      index: 9,
      pattern: /entry 9 in segment 8 does not decode/,
    },
    {
      name: "value ends inside an entry's length",
      damage: (db) => db.put(s8, Buffer.concat([segmentOf([entryBytes(8), entryBytes(9)]), Uint8Array.of(0, 0)])),
      index: 10,
      pattern: /segment 8 is truncated: 2 bytes where entry 10's length should be/,
    },
    {
      name: "value ends inside an entry",
      damage: async (db) => {
        const whole = segmentOf([entryBytes(8), entryBytes(9), entryBytes(10)]);
        await db.put(s8, whole.subarray(0, whole.length - 1));
      },
      index: 10,
      pattern: /segment 8 is truncated: entry 10 has \d+ bytes but only \d+ remain/,
    },
    {
      name: "entry at the wrong position in a segment",
      damage: (db) => db.put(s8, segmentOf([entryBytes(8), entryBytes(10)])),
      index: 9,
      pattern: /segment 8 holds entry 10 where entry 9 should be/,
    },
    {
      name: "segment under the wrong key",
      damage: async (db) => {
        await db.put(segmentKeyOf(7), (await db.get(s8)) as Uint8Array);
        await db.del(s8);
      },
      index: 7,
      pattern: /segment 7 holds entry 8 where entry 7 should be/,
    },
    { name: "empty segment", damage: (db) => db.put(s8, new Uint8Array(0)), index: 8, pattern: /segment 8 is empty/ },
    {
      name: "gap between segments",
      damage: async (db) => {
        await db.del(s8);
        await db.put(segmentKeyOf(9), segmentOf([entryBytes(9), entryBytes(10)]));
      },
      index: 8,
      pattern: /entries 8\.\.8 are missing \(gap after 7\)/,
    },
    {
      name: "term going down from one segment to the next",
      damage: (db) => db.put(s8, segmentOf([entryBytes(8, 1), entryBytes(9, 2), entryBytes(10, 2)])),
      index: 8,
      pattern: /entry 8 has term 1, below 2 of entry 7/,
    },
    {
      name: "term going down inside a segment",
      damage: (db) => db.put(s8, segmentOf([entryBytes(8, 3), entryBytes(9, 2), entryBytes(10, 3)])),
      index: 9,
      pattern: /entry 9 has term 2, below 3 of entry 8/,
    },
    {
      name: "missing first entries after the snapshot",
      damage: (db) => db.del(segmentKeyOf(5)),
      index: 6,
      pattern: /6\.\.7 are missing between the snapshot/,
    },
    {
      name: "a layout-1 entry key in a layout-2 directory",
      damage: (db) => db.put(entryKeyOf(11), entryBytes(11)),
      index: 11,
      pattern: /layout-1 entry key at 11 in a directory of layout version 2/,
    },
    { name: "undecodable hard state", damage: (db) => db.put(enc("hardstate"), Uint8Array.of(0xff, 0xff)), index: undefined, pattern: /hard state does not decode/ },
    { name: "commit past the log", damage: (db) => db.del(s8), index: 8, pattern: /commit 8 is past the last index 7/ },
    { name: "snapshot data lost", damage: (db) => db.del(enc("snapdata")), index: undefined, pattern: /not both present/ },
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
    await withRawDb(dir, (db) => db.put(segmentKeyOf(4), segmentOf([encodeEntry(entry(4, 1))])));
    await expectCorrupt(dir, 4, /4\.\.4 lie below the snapshot at 20/);
  });
});

test("segment keys keep index order across byte boundaries of the big-endian key", async (t) => {
  // One segment per save, so the log is rebuilt only if the keys iterate in index order: the
  // first indexes cross 255→256 and 65535→65536, where a little-endian key would sort wrongly.
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  await wal.save({ snapshot: { metadata: { index: 249, term: 1, confState }, data: enc("s") }, entries: [] }, { sync: true });
  for (let i = 250; i <= 260; i++) await wal.save({ entries: [entry(i, 1)] }, { sync: i % 2 === 0 });
  await wal.close();
  assert.deepEqual(await segmentKeys(dir), Array.from({ length: 11 }, (_, k) => `s${250 + k}`));
  const r = await Wal.open(dir);
  assert.deepEqual(logOf(r.storage).map((e) => e.index), Array.from({ length: 11 }, (_, k) => 250 + k));
  await r.wal.save({ snapshot: { metadata: { index: 65529, term: 2, confState }, data: enc("s") }, entries: [] }, { sync: true });
  for (let i = 65530; i <= 65540; i += 2) await r.wal.save({ entries: entries(i, i + 1, 2) }, { sync: true });
  await r.wal.close();
  assert.deepEqual(await segmentKeys(dir), [65530, 65532, 65534, 65536, 65538, 65540].map((i) => `s${i}`));
  const again = await Wal.open(dir);
  assert.deepEqual(logOf(again.storage).map((e) => e.index), Array.from({ length: 12 }, (_, k) => 65530 + k));
  await again.wal.close();
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

/** [index, term, data] of the mirror's log, for exact comparison. */
const triples = (s: MemoryStorage): [number, number, string][] => logOf(s).map((e) => [e.index, e.term, e.data]);

test("a later segment supersedes the tail of an earlier one, across reopens", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  await wal.save({ snapshot: { metadata: { index: 9, term: 1, confState }, data: enc("s") }, entries: entries(10, 20, 1) }, { sync: true });
  // Raft replaces 15..20 with 15..16, then appends 17..18: s10 keeps its stale 15..20.
  await wal.save({ entries: [entry(15, 2, "b15"), entry(16, 2, "b16")] }, { sync: true });
  await wal.save({ entries: [entry(17, 2, "b17"), entry(18, 2, "b18")] }, { sync: true });
  const expected: [number, number, string][] = [
    [10, 1, "e10"], [11, 1, "e11"], [12, 1, "e12"], [13, 1, "e13"], [14, 1, "e14"],
    [15, 2, "b15"], [16, 2, "b16"], [17, 2, "b17"], [18, 2, "b18"],
  ];
  assert.deepEqual(triples(storage), expected);
  await wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s10", "s15", "s17"]);
  const r = await Wal.open(dir);
  assert.deepEqual(triples(r.storage), expected);

  // A conflict at 12 deletes s15 and s17, and supersedes s10 from 12 on.
  await r.wal.save({ entries: [entry(12, 3, "c12"), entry(13, 3, "c13")] }, { sync: true });
  const after: [number, number, string][] = [[10, 1, "e10"], [11, 1, "e11"], [12, 3, "c12"], [13, 3, "c13"]];
  assert.deepEqual(triples(r.storage), after);
  await r.wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s10", "s12"]);
  const again = await Wal.open(dir);
  assert.deepEqual(triples(again.storage), after);
  // The log carries on after the superseded tail: 14 is new, not s10's stale 14.
  await again.wal.save({ entries: [entry(14, 3, "c14")] }, { sync: true });
  await again.wal.close();
  const last = await Wal.open(dir);
  assert.deepEqual(triples(last.storage), [...after, [14, 3, "c14"]]);
  await last.wal.close();
});

test("compaction deletes only the segments it wholly covers, and that survives a reopen", async (t) => {
  const dir = await tempDir(t);
  const { wal, storage } = await Wal.open(dir);
  // s1 holds 1..10 but counts for 1..5 (s6 supersedes the rest); s6 counts for 6..8; s9 for 9..15.
  await wal.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 5 } }, { sync: true });
  await wal.save({ entries: entries(6, 8, 2) }, { sync: true });
  await wal.save({ entries: entries(9, 15, 2), hardState: { term: 2, vote: 1, commit: 15 } }, { sync: true });
  await wal.saveSnapshot(storage.createSnapshot(7, confState, enc("image@7")));
  // s1 ends at 5 although its value reaches 10; s6 straddles 7 and stays whole.
  await wal.compact(7);
  await wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s6", "s9"]);
  const r = await Wal.open(dir);
  assert.equal(r.storage.firstIndex(), 8);
  assert.equal(r.storage.term(7), 2);
  assert.deepEqual(logOf(r.storage).map((e) => [e.index, e.term]), [[8, 2], [9, 2], [10, 2], [11, 2], [12, 2], [13, 2], [14, 2], [15, 2]]);

  await r.wal.saveSnapshot(r.storage.createSnapshot(12, confState, enc("image@12")));
  await r.wal.compact(11);
  await r.wal.close();
  // s9 reaches the last index, 15, so it straddles 11 and stays; s6 (6..8) goes.
  assert.deepEqual(await segmentKeys(dir), ["s9"]);
  const again = await Wal.open(dir);
  assert.equal(again.storage.firstIndex(), 13);
  assert.equal(again.storage.lastIndex(), 15);

  // Compacting to the last index deletes the last segment; the snapshot covers the log then.
  await again.wal.saveSnapshot(again.storage.createSnapshot(15, confState, enc("image@15")));
  await again.wal.compact(15);
  await again.wal.close();
  assert.deepEqual(await segmentKeys(dir), []);
  const empty = await Wal.open(dir);
  assert.equal(empty.storage.firstIndex(), 16);
  assert.equal(empty.storage.lastIndex(), 15);
  await empty.wal.save({ entries: [entry(16, 2)] }, { sync: true });
  await empty.wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s16"]);
  const end = await Wal.open(dir);
  assert.deepEqual(logOf(end.storage).map((e) => e.index), [16]);
  await end.wal.close();
});

test("a refused request in a merged group leaves the other saves' segments intact", async (t) => {
  const dir = await tempDir(t);
  const syncs: number[] = [];
  const { wal, storage } = await Wal.open(dir, { onSync: (s) => syncs.push(s) });
  const first = wal.save({ entries: [entry(1, 1, "a1")] }, { sync: true });
  // Queued behind the first write, so merged into one batch.
  const a = wal.save({ entries: [entry(2, 1, "a2"), entry(3, 1, "a3")] }, { sync: true });
  const b = wal.save({ entries: [entry(4, 1, "a4"), entry(5, 1, "a5")] }, { sync: true });
  // Refused at its hard state, after it would have deleted s4 and replaced s2.
  const conflict = wal.save({ entries: [entry(2, 2, "x2")], hardState: { term: 2, vote: 0, commit: 9 } }, { sync: true });
  // Refused: an installed snapshot that is not newer would have deleted every segment.
  const snapshot = wal.save({ snapshot: { metadata: { index: 0, term: 2, confState }, data: enc("s") }, entries: [] }, { sync: true });
  // Refused for a gap, after the others.
  const gap = wal.save({ entries: [entry(9, 1)] }, { sync: true });
  const c = wal.save({ entries: [entry(6, 1, "a6")], hardState: { term: 1, vote: 1, commit: 6 } }, { sync: true });
  await assert.rejects(conflict, (err: unknown) => err instanceof WalRequestError && /commit 9 is past the last index 2/.test(err.message));
  await assert.rejects(snapshot, (err: unknown) => err instanceof WalRequestError && /snapshot at 0 is not newer/.test(err.message));
  await assert.rejects(gap, (err: unknown) => err instanceof WalRequestError && /6\.\.8 would be missing/.test(err.message));
  await Promise.all([first, a, b, c]);
  assert.equal(syncs.length, 2, "the first save alone, then one batch for the rest");
  const expected: [number, number, string][] = [[1, 1, "a1"], [2, 1, "a2"], [3, 1, "a3"], [4, 1, "a4"], [5, 1, "a5"], [6, 1, "a6"]];
  assert.deepEqual(triples(storage), expected);
  await wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s1", "s2", "s4", "s6"]);
  const r = await Wal.open(dir);
  assert.deepEqual(triples(r.storage), expected);
  assert.equal(r.storage.hardStateNow().commit, 6);
  await r.wal.close();
});

test("saves merged into one batch may replace segments written earlier in that batch", async (t) => {
  const dir = await tempDir(t);
  const syncs: number[] = [];
  const { wal, storage } = await Wal.open(dir, { onSync: (s) => syncs.push(s) });
  const saves = [
    wal.save({ entries: entries(1, 3, 1) }, { sync: true }),
    // Merged: s4, then s6 within s4's range, then s4 again (deleting s6 and overwriting s4).
    wal.save({ entries: entries(4, 8, 1) }, { sync: true }),
    wal.save({ entries: [entry(6, 2, "b6"), entry(7, 2, "b7")] }, { sync: true }),
    wal.save({ entries: [entry(4, 3, "c4"), entry(5, 3, "c5")] }, { sync: true }),
    // Then a later snapshot install in the same batch removes them all, and s11 follows it.
    wal.save({ snapshot: { metadata: { index: 10, term: 3, confState }, data: enc("s") }, entries: [entry(11, 3, "d11")] }, { sync: true }),
  ];
  await Promise.all(saves);
  assert.equal(syncs.length, 2);
  assert.deepEqual(triples(storage), [[11, 3, "d11"]]);
  await wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s11"]);
  const r = await Wal.open(dir);
  assert.deepEqual(triples(r.storage), [[11, 3, "d11"]]);
  assert.equal(r.storage.snapshot().metadata.index, 10);
  await r.wal.close();

  // The same without the snapshot: the batch's net result is s1 and the second s4.
  const dir2 = await tempDir(t);
  const w2 = await Wal.open(dir2);
  const saves2 = [
    w2.wal.save({ entries: entries(1, 3, 1) }, { sync: true }),
    w2.wal.save({ entries: entries(4, 8, 1) }, { sync: true }),
    w2.wal.save({ entries: [entry(6, 2, "b6"), entry(7, 2, "b7")] }, { sync: true }),
    w2.wal.save({ entries: [entry(4, 3, "c4"), entry(5, 3, "c5")] }, { sync: true }),
  ];
  await Promise.all(saves2);
  const expected: [number, number, string][] = [[1, 1, "e1"], [2, 1, "e2"], [3, 1, "e3"], [4, 3, "c4"], [5, 3, "c5"]];
  assert.deepEqual(triples(w2.storage), expected);
  await w2.wal.close();
  assert.deepEqual(await segmentKeys(dir2), ["s1", "s4"]);
  const r2 = await Wal.open(dir2);
  assert.deepEqual(triples(r2.storage), expected);
  await r2.wal.close();
});

/**
 * A layout-1 directory as the previous binary left it, written with level directly: metadata,
 * hard state (commit 9), a snapshot at 5 (term 2), and one key per entry for 3..10 (3..5
 * awaiting compaction).
 */
async function v1Directory(dir: string, entryKeys: readonly number[] = [3, 4, 5, 6, 7, 8, 9, 10]): Promise<void> {
  await withRawDb(dir, async (db) => {
    const meta = Buffer.alloc(16);
    meta.writeBigUInt64BE(3n, 0);
    meta.writeBigUInt64BE(77n, 8);
    const ops: { type: "put"; key: Uint8Array; value: Uint8Array }[] = [
      { type: "put", key: enc("version"), value: Uint8Array.of(1) },
      { type: "put", key: enc("meta"), value: meta },
      { type: "put", key: enc("hardstate"), value: encodeHardState({ term: 2, vote: 3, commit: 9 }) },
      { type: "put", key: enc("snapshot"), value: encodeSnapshot({ metadata: { index: 5, term: 2, confState }, data: new Uint8Array(0) }) },
      { type: "put", key: enc("snapdata"), value: enc("image@5") },
    ];
    for (const i of entryKeys) ops.push({ type: "put", key: entryKeyOf(i), value: encodeEntry(entry(i, 2, `v1-${i}`)) });
    await db.batch(ops, { sync: true });
  });
}

test("a layout-1 directory is migrated at open to one segment, and keeps working", async (t) => {
  const dir = await tempDir(t);
  await v1Directory(dir);
  const expected: [number, number, string][] = [6, 7, 8, 9, 10].map((i) => [i, 2, `v1-${i}`]);
  const r = await Wal.open(dir);
  assert.equal(r.isNew, false);
  assert.deepEqual(r.metadata, { memberId: 3, clusterId: 77 });
  assert.deepEqual(r.storage.initialState().hardState, { term: 2, vote: 3, commit: 9 });
  assert.equal(r.storage.snapshot().metadata.index, 5);
  assert.equal(new TextDecoder().decode(r.storage.snapshot().data), "image@5");
  assert.deepEqual(triples(r.storage), expected);
  await r.wal.close();
  // The entry keys became one segment from the lowest one, 3, and the version is 2.
  assert.deepEqual(await rawKeys(dir), ["hardstate", "meta", "s3", "snapdata", "snapshot", "version"]);
  assert.equal(await rawVersion(dir), 2);

  const again = await Wal.open(dir);
  assert.deepEqual(triples(again.storage), expected);
  assert.deepEqual(again.metadata, { memberId: 3, clusterId: 77 });
  // The migrated segment reaches 10, so it straddles the compaction point and stays.
  await again.wal.compact(5);
  await again.wal.save({ entries: [entry(11, 2, "v2-11")], hardState: { term: 2, vote: 3, commit: 11 } }, { sync: true });
  await again.wal.close();
  assert.deepEqual(await segmentKeys(dir), ["s3", "s11"]);
  const last = await Wal.open(dir);
  assert.deepEqual(triples(last.storage), [...expected, [11, 2, "v2-11"]]);
  await last.wal.close();
});

test("a layout-1 directory without entries migrates to layout 2 with no segment", async (t) => {
  const dir = await tempDir(t);
  await v1Directory(dir, []);
  await withRawDb(dir, (db) => db.put(enc("hardstate"), encodeHardState({ term: 2, vote: 3, commit: 5 })));
  const r = await Wal.open(dir);
  assert.equal(r.storage.firstIndex(), 6);
  assert.equal(r.storage.lastIndex(), 5);
  await r.wal.save({ entries: [entry(6, 2)] }, { sync: true });
  await r.wal.close();
  assert.equal(await rawVersion(dir), 2);
  assert.deepEqual(await segmentKeys(dir), ["s6"]);
});

test("a damaged layout-1 directory is reported and left as it was; other versions are refused", async (t) => {
  await t.test("a gap in the layout-1 entries", async (t) => {
    const dir = await tempDir(t);
    await v1Directory(dir, [3, 4, 5, 6, 8, 9, 10]);
    await expectCorrupt(dir, 7, /entries 7\.\.7 are missing/);
    // Not migrated: the version and the entry keys are as they were.
    assert.equal(await rawVersion(dir), 1);
    assert.deepEqual((await rawKeys(dir)).filter((k) => k.startsWith("e")), ["e3", "e4", "e5", "e6", "e8", "e9", "e10"]);
  });
  await t.test("an undecodable layout-1 entry", async (t) => {
    const dir = await tempDir(t);
    await v1Directory(dir);
    await withRawDb(dir, (db) => db.put(entryKeyOf(8), Uint8Array.of(0xff, 0xff, 0xff)));
    await expectCorrupt(dir, 8, /entry 8 does not decode/);
    assert.equal(await rawVersion(dir), 1);
  });
  await t.test("a segment key in a layout-1 directory", async (t) => {
    const dir = await tempDir(t);
    await v1Directory(dir);
    await withRawDb(dir, (db) => db.put(segmentKeyOf(11), segmentOf([encodeEntry(entry(11, 2))])));
    await expectCorrupt(dir, 11, /segment key at 11 in a directory of layout version 1/);
  });
  await t.test("a newer layout version", async (t) => {
    const dir = await tempDir(t);
    await populated(dir);
    await withRawDb(dir, (db) => db.put(enc("version"), Uint8Array.of(3)));
    await assert.rejects(Wal.open(dir), (err: unknown) => {
      assert.ok(err instanceof WalError && !(err instanceof WalCorruptError), String(err));
      assert.match(err.message, /layout version 3 is not one this binary reads/);
      assert.ok(err.message.includes(dir));
      return true;
    });
    assert.equal(await rawVersion(dir), 3);
  });
});
