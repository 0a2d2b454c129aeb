import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { History } from "../history.js";
import { HISTORY_VERSION } from "../history.js";
import { HistoryBuilder } from "./build.js";
import { checkHistory, checkLinearizability, combine, renderFailure, renderHtml, renderText, writeReport } from "./index.js";

function staleRead(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.write(1, [0, 1], "a", { revision: 2, member: "m1" });
  h.write(2, [2, 3], "<b&>", { revision: 3, member: "m2" });
  h.read(3, [4, 5], "a", { modRevision: 2, revision: 3, member: "m3" });
  h.writeUnknown(4, 4.5, "u");
  return h;
}

function runHistory(ops: History["ops"]): History {
  return {
    version: HISTORY_VERSION,
    meta: { seed: 7, faults: "partition" },
    ops,
    watches: [
      {
        id: 1,
        process: 9,
        key: "x",
        startRevision: 1,
        invoke: 0,
        responses: [
          { at: 1.5, events: [{ revision: 2, key: "x", type: "PUT", value: "a" }] },
          { at: 3.5, events: [{ revision: 3, key: "x", type: "PUT", value: "<b&>" }] },
        ],
      },
    ],
    finalLog: {
      member: "m1",
      fromRevision: 1,
      toRevision: 3,
      events: [
        { revision: 2, key: "x", type: "PUT", value: "a" },
        { revision: 3, key: "x", type: "PUT", value: "<b&>" },
      ],
    },
    hashes: [
      { member: "m1", revision: 3, hash: 11 },
      { member: "m2", revision: 3, hash: 11 },
    ],
  };
}

test("a failing excerpt renders as a table of operations, a timeline and the reason", () => {
  const f = checkLinearizability(staleRead().ops).failures[0];
  assert.ok(f !== undefined);
  const text = renderFailure(f);
  const expected = [
    'key "x": not linearizable — 3 of 4 operations (minimal: drop any one and the rest pass)',
    "No order of these operations is consistent with one register and with real time.",
    "",
    "op  process  member  invoke  complete  call          outcome",
    '#1  p1       m1      0       1         write "a"     ok, revision 2',
    '#2  p2       m2      2       3         write "<b&>"  ok, revision 3',
    '#3  p3       m3      4       5         read          ok "a" mod_revision 2, revision 3',
  ];
  assert.deepEqual(text.split("\n").slice(0, expected.length), expected);
  assert.match(text, /#1  \|=+\|\n#2 +\|=+\|\n#3 +\|=+\|/);
  assert.match(text, /Longest valid order: #1 #2 \(register then: "<b&>"\)/);
  assert.match(text, /#3 \(completed: had to go next\): read returned "a", but the register holds "<b&>"/);
});

test("checkHistory runs every checker; the text report shows each section", () => {
  const ok = checkHistory(runHistory(staleRead().ops.slice(0, 2)));
  assert.equal(ok.verdict, "ok");
  assert.deepEqual(
    ok.sections.map((s) => [s.check, s.verdict]),
    [
      ["linearizability", "ok"],
      ["revisions", "ok"],
      ["watches", "ok"],
      ["durability", "ok"],
      ["convergence", "ok"],
    ],
  );
  const text = renderText(ok);
  assert.match(text, /^chaos check: OK\nrun: seed=7 faults=partition\n/);
  assert.match(text, /\[watches\] ok — 1 watches, 2 events delivered, 2 expected from the final log of m1/);

  const bad = runHistory(staleRead().ops);
  const report = checkHistory({ ...bad, hashes: [...bad.hashes, { member: "m3", revision: 3, hash: 12 }] });
  assert.equal(report.verdict, "violation");
  const shown = renderText(report);
  assert.match(shown, /\[linearizability\] violation/);
  assert.match(shown, /\[revisions\] violation[^\n]*\n {2}- read-vs-log: op 3 read "x" at revision 3 as "a"/);
  assert.match(shown, /\[convergence\] violation[^\n]*\n {2}- diverged: at revision 3 the members disagree/);

  const full = runHistory(staleRead().ops.slice(0, 2));
  const unknown = checkHistory({ version: full.version, ops: full.ops, watches: full.watches, hashes: full.hashes });
  assert.equal(unknown.verdict, "unknown");
  assert.match(renderText(unknown), /\[durability\] unknown — the history has no final log/);
});

test("writeReport writes report.txt and an escaped report.html", async () => {
  const dir = await mkdtemp(join(tmpdir(), "chaos-report-"));
  try {
    const report = combine([checkLinearizability(staleRead().ops)]);
    const paths = await writeReport(join(dir, "run-1"), report);
    assert.deepEqual(paths, { text: join(dir, "run-1", "report.txt"), html: join(dir, "run-1", "report.html") });
    assert.equal(await readFile(paths.text, "utf8"), renderText(report));
    const html = await readFile(paths.html, "utf8");
    assert.equal(html, renderHtml(report));
    assert.match(html, /<h1 class="violation">chaos check: violation<\/h1>/);
    assert.match(html, /<table>/);
    assert.ok(html.includes("write &quot;&lt;b&amp;&gt;&quot;") && !html.includes("<b&>"), "values are escaped");
  } finally {
    await rm(dir, { recursive: true });
  }
});
