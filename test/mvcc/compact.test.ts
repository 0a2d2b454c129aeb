import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CompactedError, FutureRevisionError, MvccStore, crc32c } from "../../internal/mvcc/index.js";
import { b, str } from "./helpers.js";

const ALL = { key: b("\0"), rangeEnd: b("\0") };

/**
 * rev 2 a=1, 3 a=2, 4 b=1, 5 delete b, 6 c=1, 7 a=3, 8 delete c, 9 c=2
 */
function sample(): MvccStore {
  const s = new MvccStore();
  s.put({ key: b("a"), value: b("1") });
  s.put({ key: b("a"), value: b("2") });
  s.put({ key: b("b"), value: b("1") });
  s.deleteRange({ key: b("b") });
  s.put({ key: b("c"), value: b("1") });
  s.put({ key: b("a"), value: b("3") });
  s.deleteRange({ key: b("c") });
  s.put({ key: b("c"), value: b("2") });
  return s;
}

function state(s: MvccStore, revision: number): string {
  return s.range({ ...ALL, revision }).kvs.map((x) => `${str(x.key)}=${str(x.value)}`).join(" ");
}

describe("compaction", () => {
  it("keeps reads at and after the compact revision intact", () => {
    const s = sample();
    const expected = [6, 7, 8, 9].map((r) => state(s, r));
    assert.deepEqual(s.compact(6), { revision: 9 });
    assert.equal(s.compactRevision, 6);
    assert.deepEqual([6, 7, 8, 9].map((r) => state(s, r)), expected);
    assert.equal(state(s, 6), "a=2 c=1");
    assert.throws(() => state(s, 5), CompactedError);
    assert.throws(() => s.range({ key: b("a"), revision: 1 }), CompactedError);
  });

  it("drops old revisions and deleted keys physically", () => {
    const s = sample();
    const before = s.sizeBytes();
    s.compact(8);
    // a keeps 7 (its newest ≤ 8); b's generation ended at 5 and is gone; c's tombstone at 8 goes
    // with the generation it ended, leaving only 9
    const snap = s.snapshot();
    const fresh = new MvccStore();
    fresh.restore(snap);
    assert.equal(state(fresh, 8), "a=3");
    assert.ok(s.sizeBytes() < before, `size ${s.sizeBytes()} should shrink below ${before}`);
    const bytesPerRecord = 64;
    // a@7 (a + "3") and c@9 (c + "2"): 2 records of 2 bytes each
    assert.equal(s.sizeBytes(), 2 * (2 + bytesPerRecord));
    assert.equal(state(s, 9), "a=3 c=2");
  });

  it("refuses revisions already compacted or in the future", () => {
    const s = sample();
    s.compact(4);
    assert.throws(() => s.compact(4), (e: unknown) => e instanceof CompactedError && e.compactRevision === 4);
    assert.throws(() => s.compact(3), CompactedError);
    assert.throws(() => s.compact(10), (e: unknown) => e instanceof FutureRevisionError && e.currentRevision === 9);
    s.compact(9);
    assert.equal(state(s, 9), "a=3 c=2");
  });

  it("keeps versions and create revisions of surviving keys", () => {
    const s = sample();
    s.compact(9);
    const a = s.range({ key: b("a") }).kvs[0] ?? assert.fail();
    assert.deepEqual([a.createRevision, a.modRevision, a.version], [2, 7, 3]);
    s.put({ key: b("a"), value: b("4") });
    const a2 = s.range({ key: b("a") }).kvs[0] ?? assert.fail();
    assert.deepEqual([a2.createRevision, a2.modRevision, a2.version], [2, 10, 4]);
  });
});

describe("crc32c", () => {
  it("matches the standard check values", () => {
    assert.equal(crc32c(b("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  });

  it("chains over chunks", () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
    const whole = crc32c(data);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole);
    }
  });
});
