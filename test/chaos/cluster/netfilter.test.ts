import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LinkFault } from "./netfilter.js";
import {
  bridgeFaults,
  isolateFaults,
  lossFaults,
  mergeFaults,
  oneWayFaults,
  partitionFaults,
  restoreScript,
  setupScript,
} from "./netfilter.js";

const links = (faults: readonly LinkFault[]): string[] => mergeFaults(faults).map((f) => `${f.from}>${f.to}${f.probability < 1 ? `@${f.probability}` : ""}`);
const addresses: Record<string, string> = { m1: "172.18.0.2", m2: "172.18.0.3", m3: "172.18.0.4", m4: "172.18.0.5", m5: "172.18.0.6" };
const addressOf = (n: string): string => addresses[n] as string;

describe("network faults", () => {
  test("a partition cuts both directions of every link across groups, none inside one", () => {
    assert.deepEqual(links(partitionFaults([["m1", "m2"], ["m3"]])), ["m3>m1", "m3>m2", "m1>m3", "m2>m3"]);
    assert.throws(() => partitionFaults([["m1"], ["m1", "m2"]]), /more than one group/);
  });

  test("isolating a member cuts it from every other", () => {
    assert.deepEqual(links(isolateFaults("m2", ["m1", "m2", "m3"])), ["m2>m1", "m1>m2", "m3>m2", "m2>m3"]);
    assert.throws(() => isolateFaults("m9", ["m1"]), /no member m9/);
  });

  test("a bridge keeps the bridge member connected to both halves", () => {
    const faults = bridgeFaults(["m1", "m2"], ["m4", "m5"], "m3");
    assert.ok(!faults.some((f) => f.from === "m3" || f.to === "m3"));
    assert.equal(faults.length, 8);
    assert.throws(() => bridgeFaults(["m1", "m3"], ["m4"], "m3"), /neither side/);
  });

  test("a one-way drop has one direction; loss covers every ordered pair", () => {
    assert.deepEqual(links(oneWayFaults("m1", "m2")), ["m1>m2"]);
    assert.throws(() => oneWayFaults("m1", "m1"), /same member/);
    assert.equal(lossFaults(["m1", "m2", "m3"], 0.1).length, 6);
    assert.throws(() => lossFaults(["m1"], 0), /not in \(0, 1\]/);
    assert.throws(() => lossFaults(["m1"], 1.5), /not in \(0, 1\]/);
  });

  test("on one link a cut wins over loss", () => {
    assert.deepEqual(links([...lossFaults(["m1", "m2"], 0.3), ...oneWayFaults("m1", "m2")]), ["m2>m1@0.3", "m1>m2"]);
  });

  test("the restore script rewrites the receiver's chain with its own inbound faults only", () => {
    const faults = [...oneWayFaults("m1", "m2"), ...lossFaults(["m2", "m3"], 0.25)];
    assert.equal(
      restoreScript("m2", faults, addressOf),
      [
        "*filter",
        ":RAFTPLANE_CHAOS - [0:0]",
        "-A RAFTPLANE_CHAOS -s 172.18.0.2/32 -j DROP",
        "-A RAFTPLANE_CHAOS -s 172.18.0.4/32 -m statistic --mode random --probability 0.25 -j DROP",
        "COMMIT",
        "",
      ].join("\n"),
    );
    assert.equal(restoreScript("m1", faults, addressOf), "*filter\n:RAFTPLANE_CHAOS - [0:0]\nCOMMIT\n", "no fault: an empty chain (heal)");
    assert.match(setupScript(), /-I INPUT 1 -j RAFTPLANE_CHAOS/);
  });
});
