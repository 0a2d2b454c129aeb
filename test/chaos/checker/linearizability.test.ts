import { test } from "node:test";
import assert from "node:assert/strict";
import { HistoryFormatError } from "../history.js";
import { HistoryBuilder } from "./build.js";
import { checkLinearizability } from "./index.js";
import type { LinearizabilityFailure, LinearizabilityResult } from "./index.js";
import { generateRegisterHistory } from "./generate.js";

function only(result: LinearizabilityResult): LinearizabilityFailure {
  assert.equal(result.verdict, "violation");
  assert.equal(result.failures.length, 1);
  return result.failures[0] as LinearizabilityFailure;
}

test("a sequential history, reads of an absent key and an empty history pass", () => {
  const h = new HistoryBuilder();
  h.read(1, [0, 1], null);
  h.write(1, [2, 3], "a");
  h.read(2, [4, 5], "a");
  h.write(2, [6, 7], "b");
  h.read(1, [8, 9], "b");
  const result = checkLinearizability(h.ops);
  assert.equal(result.verdict, "ok");
  assert.deepEqual(result.keys[0]?.order, [1, 2, 3, 4, 5]);
  assert.equal(checkLinearizability([]).verdict, "ok");
});

test("stale read: a value overwritten before the read began is caught, with a minimal excerpt", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.write(2, [2, 3], "b");
  h.read(3, [4, 5], "a");
  h.read(3, [6, 7], "b");
  const f = only(checkLinearizability(h.ops));
  assert.deepEqual(
    f.ops.map((op) => op.id),
    [1, 2, 3],
    "the later good read is not needed to show the problem",
  );
  assert.equal(f.minimal, true);
  assert.equal(f.blocked, 3);
  assert.deepEqual(f.order, [1, 2]);
  assert.equal(f.state, "b");
  assert.match(f.stuck[0]?.reason ?? "", /read returned "a", but the register holds "b"/);
  assert.match(f.message, /key "x" is not linearizable \(3 of 4 operations fail, minimal\)/);
});

test("lost write: an acknowledged write that a later read does not see is caught", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.read(2, [2, 3], null);
  const f = only(checkLinearizability(h.ops));
  assert.match(f.stuck.find((s) => s.id === 2)?.reason ?? "", /read returned nothing \(the key is absent\), but the register holds "a"/);
});

test("a read of a value never written, or written by a failed write, is caught", () => {
  const never = new HistoryBuilder();
  never.write(1, [0, 1], "a");
  never.read(2, [2, 3], "ghost");
  const f = only(checkLinearizability(never.ops));
  assert.deepEqual(
    f.ops.map((op) => op.id),
    [2],
    "the read alone is the evidence",
  );
  assert.match(f.stuck[0]?.reason ?? "", /read returned "ghost", which no write of this key put/);

  const failed = new HistoryBuilder();
  failed.writeFailed(1, [0, 1], "f");
  failed.read(2, [2, 3], "f");
  assert.equal(checkLinearizability(failed.ops).verdict, "violation");

  const refused = new HistoryBuilder();
  refused.write(1, [0, 1], "a");
  refused.cas(1, [2, 3], "z", "f", false);
  refused.read(2, [4, 5], "f");
  const f2 = only(checkLinearizability(refused.ops));
  assert.deepEqual(
    f2.ops.map((op) => op.id),
    [3],
    "a compare-and-swap whose compare failed put nothing",
  );
});

test("compare-and-swap: success on a stale value, and failure though the compare held, are caught", () => {
  const stale = new HistoryBuilder();
  stale.write(1, [0, 1], "a");
  stale.write(2, [2, 3], "b");
  stale.cas(3, [4, 5], "a", "c", true);
  const f = only(checkLinearizability(stale.ops));
  assert.match(f.stuck.find((s) => s.id === 3)?.reason ?? "", /succeeded, but its compare value == "a" does not hold: the register holds "b"/);

  const held = new HistoryBuilder();
  held.write(1, [0, 1], "a");
  held.cas(2, [2, 3], "a", "c", false);
  assert.equal(checkLinearizability(held.ops).verdict, "violation");

  const explained = new HistoryBuilder();
  explained.write(1, [0, 1], "a");
  explained.write(3, [1.5, 4], "b");
  explained.cas(2, [2, 3], "a", "c", false);
  assert.equal(checkLinearizability(explained.ops).verdict, "ok", "a concurrent write may have come first");

  const current = new HistoryBuilder();
  current.write(1, [0, 1], "a");
  current.write(3, [1.5, 4], "b");
  current.cas(2, [2, 3], "a", "c", { current: "z" });
  assert.equal(checkLinearizability(current.ops).verdict, "violation", "but the failure branch read a value nobody wrote");
});

test("compare-and-swap on mod_revision: revisions tie compares to writes", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a", { revision: 2 });
  h.cas(2, [2, 3], { modRevision: 2 }, "b", true, { revision: 3 });
  h.read(1, [4, 5], "b", { modRevision: 3, revision: 3 });
  assert.equal(checkLinearizability(h.ops).verdict, "ok");
  h.cas(3, [6, 7], { modRevision: 2 }, "c", true, { revision: 4 });
  assert.equal(checkLinearizability(h.ops).verdict, "violation", "revision 2 was overwritten at 3");

  const create = new HistoryBuilder();
  create.cas(1, [0, 1], { modRevision: 0 }, "a", true);
  create.cas(2, [2, 3], { modRevision: 0 }, "b", true);
  assert.equal(checkLinearizability(create.ops).verdict, "violation", "create-if-absent succeeded twice");
});

test("unknown outcomes: an unknown write may take effect late, or never, but not before its invoke", () => {
  const never = new HistoryBuilder();
  never.writeUnknown(1, 0, "u");
  never.read(2, [1, 2], null);
  never.read(2, [100, 101], null);
  never.readUnknown(3, 5);
  assert.equal(checkLinearizability(never.ops).verdict, "ok");

  const late = new HistoryBuilder();
  late.writeUnknown(1, 0, "u");
  late.write(2, [1, 2], "b");
  late.read(2, [3, 4], "b");
  late.read(3, [1000, 1001], "u");
  assert.equal(checkLinearizability(late.ops).verdict, "ok", "it took effect long after the client gave up");

  const early = new HistoryBuilder();
  early.read(2, [1, 2], "u");
  early.writeUnknown(1, 5, "u");
  assert.equal(checkLinearizability(early.ops).verdict, "violation");

  const once = new HistoryBuilder();
  once.writeUnknown(1, 0, "u");
  once.write(2, [1, 2], "b");
  once.read(3, [3, 4], "u");
  once.read(3, [5, 6], "b");
  assert.equal(checkLinearizability(once.ops).verdict, "violation", "b cannot come back after u overwrote it");
});

test("unknown outcomes: an unobserved unknown write may explain a failed compare, an unknown compare-and-swap may succeed", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.writeUnknown(3, 1.5, "u");
  h.cas(2, [2, 3], "a", "c", false);
  h.write(1, [4, 5], "d");
  h.read(2, [6, 7], "d");
  assert.equal(checkLinearizability(h.ops).verdict, "ok");
  const without = h.ops.filter((op) => op.id !== 2);
  assert.equal(checkLinearizability(without).verdict, "violation", "without the unknown write the failure is unexplained");

  const cas = new HistoryBuilder();
  cas.write(1, [0, 1], "a");
  cas.cas(2, [2, 3], "a", "c", "unknown");
  cas.read(3, [5, 6], "c");
  assert.equal(checkLinearizability(cas.ops).verdict, "ok");
  const wrong = new HistoryBuilder();
  wrong.write(1, [0, 1], "a");
  wrong.cas(2, [2, 3], "b", "c", "unknown");
  wrong.read(3, [5, 6], "c");
  assert.equal(checkLinearizability(wrong.ops).verdict, "violation", "its compare could never hold");
});

test("one unknown write explains one failed compare, not two", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.writeUnknown(9, 1.5, "u");
  h.cas(2, [2, 3], "a", "c", false);
  h.write(1, [4, 5], "b");
  h.cas(2, [6, 7], "b", "d", false);
  assert.equal(checkLinearizability(h.ops).verdict, "violation", "after u explains the first, b holds again for the second");
  h.writeUnknown(8, 0.5, "u2");
  assert.equal(checkLinearizability(h.ops).verdict, "ok", "a second unknown write explains the second");
});

test("concurrent operations that only linearize against their invoke order are accepted, in that order", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 10], "a");
  h.write(2, [1, 11], "b");
  h.read(3, [2, 3], "b");
  h.read(3, [12, 13], "a");
  const writes = checkLinearizability(h.ops);
  assert.equal(writes.verdict, "ok");
  assert.deepEqual(writes.keys[0]?.order, [2, 3, 1, 4]);

  const chain = new HistoryBuilder();
  chain.cas(1, [0, 10], "a", "b", true);
  chain.cas(2, [1, 10], "b", "c", true);
  chain.cas(3, [2, 10], { modRevision: 0 }, "a", true);
  chain.read(4, [11, 12], "c");
  const cas = checkLinearizability(chain.ops);
  assert.equal(cas.verdict, "ok");
  assert.deepEqual(cas.keys[0]?.order, [3, 1, 2, 4], "invoked 1, 2, 3 but only 3, 1, 2 works");

  const touching = new HistoryBuilder();
  touching.write(1, [0, 1], "a");
  touching.write(2, [1, 2], "b");
  touching.read(3, [3, 4], "a");
  assert.equal(checkLinearizability(touching.ops).verdict, "ok", "operations that touch in time count as concurrent");
});

test("keys are checked separately: a violation names its key, the other key passes", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a", { key: "x" });
  h.write(1, [2, 3], "a", { key: "y" });
  h.write(2, [4, 5], "b", { key: "y" });
  h.read(3, [6, 7], "a", { key: "x" });
  h.read(3, [8, 9], "a", { key: "y" });
  const result = checkLinearizability(h.ops);
  assert.equal(result.verdict, "violation");
  assert.deepEqual(
    result.keys.map((k) => [k.key, k.verdict]),
    [
      ["x", "ok"],
      ["y", "violation"],
    ],
  );
  assert.equal(result.failures[0]?.key, "y");
  assert.equal(result.violations[0]?.kind, "not-linearizable");
});

test("an excerpt cut from a compare-and-swap chain checks the cut-off link as a plain write", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.cas(1, [2, 3], "a", "b", true);
  h.cas(1, [4, 5], "b", "c", true);
  h.cas(1, [6, 7], "c", "d", true);
  h.read(2, [8, 9], "d");
  h.read(2, [10, 11], "b");
  const f = only(checkLinearizability(h.ops));
  // "b" was put (by 2), then overwritten (by 4, or by 3: either shows it), then read: the
  // writes of "a" and "c" that 2's and 4's compares refer to are not needed.
  assert.deepEqual(
    f.ops.map((op) => op.id),
    [2, 4, 6],
  );
  assert.equal(f.minimal, true);
  const note = "checked as a plain write: the write its compare refers to is not in this excerpt";
  assert.deepEqual(f.notes, [
    { id: 2, note },
    { id: 4, note },
  ]);
});

test("the budget turns a search that runs too long into 'unknown', not a hang", () => {
  const ops = generateRegisterHistory({ seed: 5, ops: 600, keys: 1, processes: 8 });
  const result = checkLinearizability(ops, { maxSteps: 50 });
  assert.equal(result.verdict, "unknown");
  assert.match(result.keys[0]?.reason ?? "", /budget exhausted: 50 steps/);
  assert.equal(result.violations[0]?.kind, "budget-exhausted");
  assert.equal(checkLinearizability(ops).verdict, "ok", "with the default budget it decides");
});

test("a value written twice to one key is refused: a read could not name its write", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a");
  h.write(2, [2, 3], "a");
  assert.throws(() => checkLinearizability(h.ops), HistoryFormatError);
  assert.throws(() => checkLinearizability(h.ops), /ops 1 and 2 both write "a" to "x": values must be unique per key/);
});
