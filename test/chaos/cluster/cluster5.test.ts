import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { TestContext } from "node:test";
import { describeRun, haveEtcdctl, requireEtcdctl } from "../../integration/etcdctl.js";
import { ChaosCluster } from "./cluster.js";
import { dockerOrSkip, ensureImage, requireDocker } from "./docker.js";

// The partitions that need five members: a majority/minority split with the leader in the
// minority, and Jepsen's bridge (two halves that share one member).
describe("chaos cluster: five raftplane members in containers", { timeout: 15 * 60_000 }, () => {
  let cluster: ChaosCluster | undefined;

  before(
    async () => {
      if (!(await dockerOrSkip()) || !haveEtcdctl()) return;
      await ensureImage();
      cluster = await ChaosCluster.start({ size: 5, delayProxy: false });
    },
    { timeout: 15 * 60_000 },
  );
  afterEach(async (t) => {
    if (!cluster) return;
    await cluster.reportIfFailed(t);
    await cluster.recover();
  });
  after(async () => {
    await cluster?.destroy();
  });

  async function ready(t: TestContext): Promise<ChaosCluster | undefined> {
    if (!(await requireDocker(t)) || !requireEtcdctl(t)) return undefined;
    if (!cluster) throw new Error("the cluster was not started");
    return cluster;
  }

  test("leader in the minority: the three elect a leader and commit; the two refuse writes; heal converges", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const old = await c.leader();
    const { majority, minority } = await c.splitMajority("minority");
    assert.equal(majority.length, 3);
    assert.ok(minority.includes(old.name));
    const elected = await c.leader({ among: majority });
    assert.ok(majority.includes(elected.name));
    await c.ctlOk(["put", "/chaos5/split", "majority"], { members: majority });
    const put = await c.ctl(["put", "/chaos5/split", "minority", "--command-timeout=3s"], { members: minority, timeoutMs: 20_000 });
    assert.notEqual(put.code, 0, `the minority must not commit: ${describeRun(put)}`);
    await c.heal();
    await c.waitReady();
    const got = await c.ctlOk(["get", "/chaos5/split", "--print-value-only"], { members: minority });
    assert.equal(got.trim(), "majority");
    await c.hashesAgree();
  });

  test("bridge: two halves joined by one member keep one leader and commit through the bridge", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const [a1, a2, bridge, b1, b2] = c.names() as [string, string, string, string, string];
    await c.bridge([a1, a2], [b1, b2], bridge);
    const rules = await c.rules(a1);
    assert.match(rules, new RegExp(`-s ${c.member(b1).address.replace(/\./g, "\\.")}/32 -j DROP`));
    assert.doesNotMatch(rules, new RegExp(`-s ${c.member(bridge).address.replace(/\./g, "\\.")}/32`));
    // Elections may come and go while the halves compete, but a majority always exists.
    await c.ctlOk(["put", "/chaos5/bridge", "through-the-bridge", "--command-timeout=15s"], { members: [bridge], timeoutMs: 40_000 });
    await c.heal();
    await c.waitReady();
    const leader = await c.leader();
    assert.ok(c.names().includes(leader.name));
    const got = await c.ctlOk(["get", "/chaos5/bridge", "--print-value-only"], { members: [a1, b2] });
    assert.equal(got.trim(), "through-the-bridge");
    await c.hashesAgree();
  });
});
