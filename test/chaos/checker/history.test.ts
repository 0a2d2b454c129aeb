import { test } from "node:test";
import assert from "node:assert/strict";
import type { History } from "../history.js";
import { HISTORY_VERSION, HistoryFormatError, formatHistory, historyProblems, parseHistory } from "../history.js";
import { HistoryBuilder } from "./build.js";

function sample(): History {
  const h = new HistoryBuilder();
  h.write(1, [0, 1.25], "a", { revision: 2, member: "m1" });
  h.cas(2, [2, 3], { modRevision: 2 }, "b", { current: "a", modRevision: 2 }, { revision: 3 });
  h.read(3, [4, 5], null, { key: "y", revision: 3 });
  h.readUnknown(4, 6);
  h.writeFailed(5, [7, 8], "c");
  return {
    version: HISTORY_VERSION,
    meta: { seed: 1, nemesis: "kill" },
    ops: h.ops,
    watches: [
      {
        id: 1,
        process: 9,
        key: "x",
        rangeEnd: "\0",
        startRevision: 1,
        invoke: 0,
        responses: [{ at: 1.5, revision: 2, events: [{ revision: 2, key: "x", type: "PUT", value: "a" }] }],
        end: { at: 9, reason: "closed" },
      },
    ],
    finalLog: { member: "m2", fromRevision: 1, toRevision: 2, events: [{ revision: 2, key: "x", type: "PUT", value: "a" }] },
    hashes: [{ member: "m1", revision: 2, hash: 123, compactRevision: 0 }],
  };
}

test("a history survives formatting and parsing, one record per line", () => {
  const h = sample();
  const text = formatHistory(h);
  assert.deepEqual(parseHistory(text), h);
  assert.equal(text.split("\n").filter((l) => l.includes('"type":"write"')).length, 2, "each operation on its own line");
  const bare: History = { version: HISTORY_VERSION, ops: [], watches: [], hashes: [] };
  assert.deepEqual(parseHistory(formatHistory(bare)), bare);
});

test("malformed records are refused with the path of every problem", () => {
  const raw = JSON.parse(formatHistory(sample())) as { ops: Record<string, unknown>[]; watches: Record<string, unknown>[] };
  raw.ops[0] = { ...raw.ops[0], outcome: "maybe" };
  raw.ops[1] = { ...raw.ops[1], compare: { target: "version", version: 1 } };
  delete raw.ops[2]?.["complete"];
  raw.watches[0] = { ...raw.watches[0], startRevision: "1" };
  assert.throws(
    () => parseHistory(JSON.stringify(raw)),
    (err: unknown) => {
      assert.ok(err instanceof HistoryFormatError);
      assert.deepEqual(err.problems, [
        'ops[0].outcome: expected "ok", "failed" or "unknown", got "maybe"',
        'ops[1].compare.target: expected "value" or "modRevision"',
        "ops[2].complete: expected a finite number",
        "watches[0].startRevision: expected a finite number",
      ]);
      return true;
    },
  );
  assert.throws(() => parseHistory("{"), /invalid history:\n {2}not JSON/);
  assert.throws(() => parseHistory(JSON.stringify({ ...raw, version: 2 })), /version: expected 1, got 2/);
});

test("well-typed histories the checkers cannot use are refused too", () => {
  const h = sample();
  const dup = new HistoryBuilder();
  dup.write(1, [0, 1], "a");
  dup.write(2, [2, 1.5], "a");
  const ops = [...dup.ops, { ...(dup.ops[0] as History["ops"][number]) }];
  const watches = [{ ...(h.watches[0] as History["watches"][number]), id: 2, resumes: 7 }];
  const finalLog = { ...(h.finalLog as NonNullable<History["finalLog"]>), events: [...(h.finalLog?.events ?? []), { revision: 1, key: "y", type: "DELETE" as const }] };
  assert.deepEqual(historyProblems({ ...h, ops, watches, finalLog }), [
    "op 2: completes at 1.5, before its invoke at 2",
    'op 2: writes "a" to "x", as op 1 does: values must be unique per key',
    "op 1: duplicate id",
    'op 1: writes "a" to "x", as op 2 does: values must be unique per key',
    "watch 2: resumes watch 7, which is not in the history",
    "finalLog.events[1]: revision 1 after 2",
  ]);
  assert.throws(() => parseHistory(formatHistory({ ...h, ops })), HistoryFormatError);
});
