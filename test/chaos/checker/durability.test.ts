import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChangeEvent, FinalLog } from "../history.js";
import { HistoryBuilder } from "./build.js";
import { checkConvergence, checkDurability } from "./index.js";

const put = (revision: number, key: string, value: string): ChangeEvent => ({ revision, key, type: "PUT", value });

/** Acknowledged a@2 and b@3, unknown c (seen by a read at mod_revision 4), unknown d (never seen), failed e. */
function history(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a", { revision: 2 });
  h.cas(1, [2, 3], "a", "b", true, { revision: 3 });
  h.writeUnknown(2, 4, "c");
  h.writeUnknown(3, 4, "d");
  h.writeFailed(4, [4, 5], "e");
  h.read(1, [6, 7], "c", { modRevision: 4, revision: 4 });
  return h;
}

function log(events: ChangeEvent[], toRevision = 10, fromRevision = 1): FinalLog {
  return { member: "m2", fromRevision, toRevision, events };
}

const GOOD = [put(2, "x", "a"), put(3, "x", "b"), put(4, "x", "c")];

test("every acknowledged or observed write in the log at its revision passes; an unobserved unknown write may be missing", () => {
  const r = checkDurability(history().ops, log(GOOD));
  assert.equal(r.verdict, "ok");
  assert.match(r.summary, /3 effective writes found in the final log of m2/);
  const other = log([...GOOD, put(5, "other-key", "whatever")]);
  assert.equal(checkDurability(history().ops, other).verdict, "ok", "keys the workload did not use are not judged");
});

test("a lost acknowledged write is caught, and so is one at the wrong revision", () => {
  const lost = checkDurability(history().ops, log([put(2, "x", "a"), put(4, "x", "c")]));
  assert.deepEqual(
    lost.violations.map((v) => v.kind),
    ["lost-write"],
  );
  assert.match(lost.violations[0]?.message ?? "", /op 2 \(acknowledged\) wrote "x" = "b" at revision 3, but the final log of m2 has no change of the key there and never that value/);

  const moved = checkDurability(history().ops, log([put(2, "x", "a"), put(4, "x", "c"), put(5, "x", "b")]));
  assert.deepEqual(
    moved.violations.map((v) => v.kind),
    ["wrong-revision"],
  );
});

test("an unknown write a read observed must be in the log too", () => {
  const r = checkDurability(history().ops, log([put(2, "x", "a"), put(3, "x", "b")]));
  assert.deepEqual(
    r.violations.map((v) => v.kind),
    ["lost-write"],
  );
  assert.match(r.violations[0]?.message ?? "", /op 3 \(observed by op 6\) wrote "x" = "c" at revision 4/);
});

test("a write the client was told failed, or one nobody made, must not be in the log", () => {
  const failed = checkDurability(history().ops, log([...GOOD, put(5, "x", "e")]));
  assert.deepEqual(
    failed.violations.map((v) => v.kind),
    ["failed-write-applied"],
  );
  const refused = history();
  refused.cas(5, [8, 9], "b", "f", { current: "c", modRevision: 4 });
  const applied = checkDurability(refused.ops, log([...GOOD, put(5, "x", "f")]));
  assert.match(applied.violations[0]?.message ?? "", /op 7 was told its write of "x" = "f" was not applied \(compare failed\), but the final log has it at revision 5/);
  const phantom = checkDurability(history().ops, log([...GOOD, put(5, "x", "zzz")]));
  assert.deepEqual(
    phantom.violations.map((v) => v.kind),
    ["phantom-write"],
  );
});

test("a log that stops before revisions clients saw is caught", () => {
  const r = checkDurability(history().ops, log(GOOD.slice(0, 2), 3));
  assert.deepEqual(
    r.violations.map((v) => v.kind),
    ["beyond-final-log", "lost-write"],
  );
  assert.match(r.violations[0]?.message ?? "", /op 6 saw revision 4, but the final log of m2 ends at revision 3/);
});

test("without revisions a write is looked for by value; before a compacted log's start it cannot be judged", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.write(1, [2, 3], "b");
  assert.equal(checkDurability(h.ops, log([put(7, "x", "a"), put(9, "x", "b")])).verdict, "ok");
  assert.deepEqual(
    checkDurability(h.ops, log([put(7, "x", "a")])).violations.map((v) => v.kind),
    ["lost-write"],
  );
  const compacted = checkDurability(h.ops, log([put(7, "x", "a")], 10, 5));
  assert.equal(compacted.verdict, "ok");
  assert.match(compacted.summary, /1 before its start not verifiable/);
});

test("convergence: equal hashes at a revision pass, diverged ones are caught, nothing comparable is unknown", () => {
  const same = checkConvergence([
    { member: "m1", revision: 40, hash: 7 },
    { member: "m2", revision: 40, hash: 7 },
    { member: "m3", revision: 41, hash: 9 },
  ]);
  assert.equal(same.verdict, "ok");
  const diverged = checkConvergence([
    { member: "m1", revision: 40, hash: 7 },
    { member: "m2", revision: 40, hash: 7 },
    { member: "m3", revision: 40, hash: 0xdeadbeef },
  ]);
  assert.equal(diverged.verdict, "violation");
  assert.equal(diverged.violations[0]?.message, "at revision 40 the members disagree: m1, m2 hash 0x00000007; m3 hash 0xdeadbeef");
  const compacted = checkConvergence([
    { member: "m1", revision: 40, hash: 7, compactRevision: 10 },
    { member: "m2", revision: 40, hash: 8, compactRevision: 20 },
  ]);
  assert.equal(compacted.verdict, "unknown", "different compact revisions hash different key sets");
  assert.equal(checkConvergence([]).verdict, "unknown");
});
