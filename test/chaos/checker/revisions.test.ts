import { test } from "node:test";
import assert from "node:assert/strict";
import type { FinalLog } from "../history.js";
import { HistoryBuilder } from "./build.js";
import { checkRevisions } from "./index.js";

function consistent(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a", { revision: 2 });
  h.write(2, [0.5, 1.5], "p", { key: "y", revision: 3 });
  h.read(3, [2, 3], "a", { modRevision: 2, revision: 3 });
  h.cas(1, [4, 5], { modRevision: 2 }, "b", true, { revision: 4 });
  h.cas(2, [6, 7], "a", "c", { current: "b", modRevision: 4 }, { revision: 4 });
  h.read(3, [8, 9], null, { key: "z", revision: 4 });
  return h;
}

const kinds = (h: HistoryBuilder, log?: FinalLog): string[] => checkRevisions(h.ops, log).violations.map((v) => v.kind);

test("revisions that agree, are unique and follow real time pass", () => {
  const r = checkRevisions(consistent().ops);
  assert.equal(r.verdict, "ok");
  assert.match(r.summary, /3 value revisions, 6 operations ordered by real time/);
});

test("a read whose mod_revision is not its write's revision is caught", () => {
  const h = consistent();
  h.read(3, [10, 11], "b", { modRevision: 5, revision: 5 });
  const r = checkRevisions(h.ops);
  assert.deepEqual(
    r.violations.map((v) => v.kind),
    ["value-revision"],
  );
  assert.match(r.violations[0]?.message ?? "", /"b" of key "x": op 4 wrote it at revision 4, but op 7 read it at mod_revision 5/);
});

test("two writes at one revision, across keys, are caught", () => {
  const h = consistent();
  h.write(4, [10, 11], "q", { key: "y", revision: 4 });
  const r = checkRevisions(h.ops);
  assert.deepEqual(
    r.violations.map((v) => v.kind),
    ["duplicate-revision", "real-time"],
  );
  assert.match(r.violations[0]?.message ?? "", /revision 4 holds two writes: "x" = "b" \(op 4 wrote it at revision 4\) and "y" = "q" \(op 7 wrote it at revision 4\)/);
});

test("revisions going backwards in real time are caught, for writes and for reads", () => {
  const w = new HistoryBuilder();
  w.write(1, [0, 1], "a", { revision: 5 });
  w.write(2, [2, 3], "b", { key: "y", revision: 4 });
  const r = checkRevisions(w.ops);
  assert.deepEqual(
    r.violations.map((v) => v.kind),
    ["real-time"],
  );
  assert.match(r.violations[0]?.message ?? "", /op 2 \(write "y"\) was written at revision 4, though it was invoked after op 1 \(write "x"\) completed at revision 5/);

  const stale = new HistoryBuilder();
  stale.write(1, [0, 1], "a", { revision: 5 });
  stale.read(2, [2, 3], null, { key: "y", revision: 4 });
  assert.deepEqual(kinds(stale), ["real-time"], "a read served at an older revision than a completed write");

  const equal = new HistoryBuilder();
  equal.read(1, [0, 1], null, { revision: 5 });
  equal.write(2, [2, 3], "a", { revision: 5 });
  assert.deepEqual(kinds(equal), ["real-time"], "a write after a read of revision 5 needs a higher one");

  const unknown = new HistoryBuilder();
  unknown.read(1, [0, 1], null, { key: "y", revision: 6 });
  unknown.writeUnknown(2, 2, "a");
  unknown.read(3, [3, 4], "a", { modRevision: 5, revision: 7 });
  assert.deepEqual(kinds(unknown), ["real-time"], "an unknown write's revision, learned from a read, counts too");
});

test("a read's mod_revision above its response revision is caught", () => {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a", { revision: 5 });
  h.read(2, [2, 3], "a", { modRevision: 5, revision: 4 });
  assert.deepEqual(kinds(h), ["read-revision", "real-time"]);
});

test("reads are checked against the final log at the revision they were served at", () => {
  const log: FinalLog = {
    member: "m1",
    fromRevision: 1,
    toRevision: 9,
    events: [
      { revision: 2, key: "x", type: "PUT", value: "a" },
      { revision: 3, key: "y", type: "PUT", value: "p" },
      { revision: 4, key: "x", type: "PUT", value: "b" },
    ],
  };
  assert.deepEqual(kinds(consistent(), log), []);

  const stale = consistent();
  stale.read(3, [10, 11], "a", { modRevision: 2, revision: 5 });
  const r = checkRevisions(stale.ops, log);
  assert.deepEqual(
    r.violations.map((v) => v.kind),
    ["read-vs-log"],
  );
  assert.match(r.violations[0]?.message ?? "", /op 7 read "x" at revision 5 as "a" \(mod_revision 2\), but the final log of m1 has it "b" \(mod_revision 4\) there/);

  const absent = consistent();
  absent.read(3, [10, 11], null, { revision: 5 });
  assert.deepEqual(kinds(absent, log), ["read-vs-log"]);

  const compacted = { ...log, fromRevision: 4, events: log.events.slice(2) };
  const early = consistent();
  early.read(3, [10, 11], "p", { key: "y", modRevision: 3, revision: 5 });
  assert.deepEqual(kinds(early, compacted), [], "a key with no change since the log's start is not judged");
});
