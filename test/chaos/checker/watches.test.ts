import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChangeEvent, FinalLog, WatchRecord, WatchResponseRecord } from "../history.js";
import { checkWatches, inRange } from "./index.js";
import type { SectionResult } from "./index.js";

const put = (revision: number, key: string, value: string): ChangeEvent => ({ revision, key, type: "PUT", value });
const del = (revision: number, key: string): ChangeEvent => ({ revision, key, type: "DELETE" });

// Revision 4 is a transaction that put both a and b; c is outside the watched range [a, c).
const LOG: FinalLog = {
  member: "m1",
  fromRevision: 1,
  toRevision: 10,
  events: [put(2, "a", "1"), put(3, "b", "1"), put(4, "a", "2"), put(4, "b", "2"), del(5, "a"), put(6, "c", "1"), put(7, "a", "3")],
};

function watch(responses: readonly (readonly ChangeEvent[])[], more: Partial<WatchRecord> = {}): WatchRecord {
  const rs: WatchResponseRecord[] = responses.map((events, i) => ({ at: 10 + i, events }));
  return { id: 1, process: 1, key: "a", rangeEnd: "c", startRevision: 2, invoke: 0, responses: rs, ...more };
}

const GOOD = [[put(2, "a", "1"), put(3, "b", "1")], [put(4, "a", "2"), put(4, "b", "2")], [del(5, "a")], [put(7, "a", "3")]];

function kinds(result: SectionResult): string[] {
  return result.violations.map((v) => v.kind);
}

test("a faithful watch stream passes, with or without a progress notification", () => {
  assert.equal(checkWatches([watch(GOOD)], LOG).verdict, "ok");
  const progress = watch(GOOD);
  const withProgress = { ...progress, responses: [...progress.responses, { at: 20, revision: 10, progressNotify: true, events: [] }] };
  assert.equal(checkWatches([withProgress], LOG).verdict, "ok");
  assert.equal(checkWatches([watch([[put(4, "a", "2"), put(4, "b", "2")]], { startRevision: 4 })], LOG).verdict, "ok", "a later start");
  assert.equal(checkWatches([watch([GOOD[0] as ChangeEvent[]])], LOG).verdict, "ok", "a stream cut short has no gap");
  const { id, process, key, startRevision, invoke, responses } = watch([[put(2, "a", "1"), put(4, "a", "2"), del(5, "a"), put(7, "a", "3")]]);
  assert.equal(checkWatches([{ id, process, key, startRevision, invoke, responses }], LOG).verdict, "ok", "a single-key watch");
});

test("a duplicate event breaks 'unique'", () => {
  const r = checkWatches([watch([...GOOD.slice(0, 2), [put(4, "a", "2"), del(5, "a")], [put(7, "a", "3")]])], LOG);
  assert.deepEqual(kinds(r), ["unique"]);
  assert.match(r.violations[0]?.message ?? "", /watch 1 is not unique: delivered PUT "a" = "2" @4 twice/);
});

test("a gap breaks 'reliable', including past a progress notification", () => {
  const r = checkWatches([watch([[put(2, "a", "1")], ...GOOD.slice(1)])], LOG);
  assert.deepEqual(kinds(r), ["reliable"]);
  assert.match(r.violations[0]?.message ?? "", /missed PUT "b" = "1" @3 \(it delivered through revision 7\)/);

  const promised = watch(GOOD.slice(0, 3));
  const lying = { ...promised, responses: [...promised.responses, { at: 20, revision: 10, progressNotify: true, events: [] }] };
  const p = checkWatches([lying], LOG);
  assert.deepEqual(kinds(p), ["reliable"]);
  assert.match(p.violations[0]?.message ?? "", /missed PUT "a" = "3" @7 \(it delivered through revision 10\)/);
});

test("events out of order, or before the start revision, break 'ordered'", () => {
  const swapped = watch([[put(3, "b", "1"), put(2, "a", "1")], ...GOOD.slice(1)]);
  assert.deepEqual(kinds(checkWatches([swapped], LOG)), ["ordered"]);
  const backwards = watch([GOOD[1] as ChangeEvent[], GOOD[0] as ChangeEvent[], ...GOOD.slice(2)]);
  assert.deepEqual(kinds(checkWatches([backwards], LOG)), ["ordered"]);
  const early = watch(GOOD, { startRevision: 3 });
  const r = checkWatches([early], LOG);
  assert.deepEqual(kinds(r), ["ordered"]);
  assert.match(r.violations[0]?.message ?? "", /before its start revision 3/);
});

test("one revision split across responses, or delivered in part, breaks 'atomic'", () => {
  const split = watch([GOOD[0] as ChangeEvent[], [put(4, "a", "2")], [put(4, "b", "2"), del(5, "a")], [put(7, "a", "3")]]);
  const r = checkWatches([split], LOG);
  assert.deepEqual(kinds(r), ["atomic"]);
  assert.match(r.violations[0]?.message ?? "", /split revision 4 across responses 2 and 3/);

  const partial = watch([GOOD[0] as ChangeEvent[], [put(4, "a", "2")], [del(5, "a")], [put(7, "a", "3")]]);
  const p = checkWatches([partial], LOG);
  assert.deepEqual(kinds(p), ["atomic"]);
  assert.match(p.violations[0]?.message ?? "", /missed PUT "b" = "2" @4, though it delivered other events of revision 4/);
});

test("events that differ from the log, are not in it, or are out of range break 'accurate'", () => {
  const wrong = watch([[put(2, "a", "9"), put(3, "b", "1")], ...GOOD.slice(1)]);
  assert.match(checkWatches([wrong], LOG).violations[0]?.message ?? "", /delivered PUT "a" = "9" @2, but the final log has PUT "a" = "1" @2/);
  const foreign = watch([...GOOD.slice(0, 3), [put(6, "c", "1")], [put(7, "a", "3")]]);
  assert.deepEqual(kinds(checkWatches([foreign], LOG)), ["accurate"]);
  const phantom = watch([...GOOD, [put(8, "a", "4")]]);
  assert.deepEqual(kinds(checkWatches([phantom], LOG)), ["accurate"]);
  const future = watch([...GOOD, [put(11, "a", "4")]]);
  assert.match(checkWatches([future], LOG).violations[0]?.message ?? "", /past the final log's revision 10/);
});

test("a resumed watch must start right after what the first delivered, and continue with exactly the next events", () => {
  const first = watch(GOOD.slice(0, 1));
  const good = watch(GOOD.slice(1), { id: 2, resumes: 1, startRevision: 4 });
  assert.equal(checkWatches([first, good], LOG).verdict, "ok");

  const skipped = checkWatches([first, watch(GOOD.slice(2), { id: 2, resumes: 1, startRevision: 5 })], LOG);
  assert.deepEqual(kinds(skipped), ["resumable"]);
  assert.match(skipped.violations[0]?.message ?? "", /watch 2 resumes watch 1 at revision 5, but watch 1 delivered through revision 3: revisions 4\.\.4 are never offered/);

  const lost = checkWatches([first, watch(GOOD.slice(2), { id: 2, resumes: 1, startRevision: 4 })], LOG);
  assert.deepEqual(kinds(lost), ["resumable"]);
  assert.match(lost.violations[0]?.message ?? "", /watch 2 is not resumable \(2 times\): missed PUT "a" = "2" @4: it resumed from revision 4 but began after it/);
});

test("key ranges follow etcd: a single key, [key, rangeEnd), and every key from key with a NUL range end", () => {
  assert.equal(inRange("a", { key: "a" }), true);
  assert.equal(inRange("ab", { key: "a" }), false);
  assert.equal(inRange("b", { key: "a", rangeEnd: "c" }), true);
  assert.equal(inRange("c", { key: "a", rangeEnd: "c" }), false);
  assert.equal(inRange("zzz", { key: "a", rangeEnd: "\0" }), true);
  assert.equal(inRange("0", { key: "a", rangeEnd: "\0" }), false);
});
