import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { TestContext } from "node:test";
import { describeRun, haveEtcdctl, requireEtcdctl } from "../../integration/etcdctl.js";
import { hexId } from "../../integration/grpc-client.js";
import { ChaosCluster } from "./cluster.js";
import { dockerOrSkip, ensureImage, requireDocker, waitFor } from "./docker.js";

// One 3-member cluster in containers for the whole file; each scenario leaves it healthy again
// (afterEach: recover), so the scenarios also check that the cluster comes back from each fault.
describe("chaos cluster: three raftplane members in containers", { timeout: 15 * 60_000 }, () => {
  let cluster: ChaosCluster | undefined;

  before(
    async () => {
      if (!(await dockerOrSkip()) || !haveEtcdctl()) return;
      await ensureImage();
      cluster = await ChaosCluster.start({ size: 3 });
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

  /** Sequential puts of prefix0..prefix(n-1) through one member; resolves when all are acknowledged. */
  /**
   * Put n keys through one member. Under packet loss a put can time out while leadership moves
   * (etcd answers "request timed out" or "leader changed" then too); like a client, retry it,
   * for up to a minute per key: the cluster must commit every key, just not at once.
   */
  async function putKeys(c: ChaosCluster, via: string, prefix: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await c.grpc(via).put(`${prefix}${i}`, `v${i}`, 10_000);
          break;
        } catch (err) {
          const retryable = /request timed out|leader changed|no leader|DEADLINE_EXCEEDED|Deadline exceeded/i.test((err as Error).message);
          if (!retryable || Date.now() > deadline) throw err;
        }
      }
    }
  }

  /** How many keys under prefix a member holds (serializable: its own applied state). */
  async function countOn(c: ChaosCluster, name: string, prefix: string): Promise<number> {
    const r = await c.grpc(name).range(prefix, { serializable: true, keysOnly: true });
    return r.kvs?.length ?? 0;
  }

  test("members serve etcdctl from the host; member list, leader and HashKV agree", async (t) => {
    const c = await ready(t);
    if (!c) return;
    assert.equal(c.running().length, 3);
    await c.ctlOk(["put", "/chaos/hello", "world"]);
    for (const m of c.running()) {
      const got = await c.ctlOk(["get", "/chaos/hello", "--print-value-only"], { members: [m.name] });
      assert.equal(got.trim(), "world", `get through ${m.name}`);
    }
    const list = JSON.parse(await c.ctlOk(["member", "list", "-w", "json"])) as { members: { name: string; peerURLs: string[] }[] };
    assert.deepEqual(list.members.map((m) => m.name).sort(), ["m1", "m2", "m3"]);
    for (const m of list.members) assert.deepEqual(m.peerURLs, [c.member(m.name).peerUrl]);
    const leader = await c.leader();
    const statuses = await Promise.all(c.running().map((m) => c.status(m.name)));
    for (const s of statuses) assert.equal(s.leader, leader.id, "every member names the same leader");
    const hashes = await c.hashesAgree();
    assert.equal(hashes.size, 3);
  });

  test("isolating the leader: the majority elects another; the isolated member refuses linearizable requests; heal restores it", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const old = await c.leader();
    const majority = c.names().filter((n) => n !== old.name);
    await c.isolate(old.name);

    const elected = await c.leader({ among: majority, timeoutMs: 30_000 });
    assert.notEqual(elected.name, old.name, "the majority elected a new leader");
    await c.ctlOk(["put", "/chaos/isolated", "majority-write"], { members: majority });

    const put = await c.ctl(["put", "/chaos/isolated", "minority-write", "--command-timeout=3s"], { members: [old.name], timeoutMs: 20_000 });
    assert.notEqual(put.code, 0, `a write through the isolated member must fail: ${describeRun(put)}`);
    const get = await c.ctl(["get", "/chaos/isolated", "--command-timeout=3s"], { members: [old.name], timeoutMs: 20_000 });
    assert.notEqual(get.code, 0, `a linearizable read through the isolated member must fail: ${describeRun(get)}`);

    await c.heal();
    await c.waitReady();
    const after = await c.leader();
    assert.notEqual(after.name, old.name, "the old leader rejoins as a follower (a higher term has passed)");
    const value = await waitFor("the healed member to read the majority's write", async () => {
      const r = await c.ctl(["get", "/chaos/isolated", "--print-value-only", "--command-timeout=3s"], { members: [old.name] });
      return r.code === 0 ? r.stdout.trim() : undefined;
    });
    assert.equal(value, "majority-write", "the minority's write was never applied");
    await c.hashesAgree();
  });

  test("kill -9 of the leader and restart: writes go on meanwhile, the member keeps its data and catches up", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const victim = await c.leader();
    const others = c.names().filter((n) => n !== victim.name);
    await putKeys(c, victim.name, "/chaos/kill/a", 50);
    await c.kill(victim.name);
    assert.equal(c.member(victim.name).state, "down");
    const next = await c.leader({ among: others });
    await putKeys(c, next.name, "/chaos/kill/b", 50);
    await c.restart(victim.name);
    await waitFor("the restarted member to hold all 100 keys", async () =>
      (await countOn(c, victim.name, "/chaos/kill/")) === 100 ? true : undefined,
    );
    await c.hashesAgree();
  });

  test("pause the leader: the others elect a leader and serve; after unpause all agree", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const paused = await c.leader();
    const others = c.names().filter((n) => n !== paused.name);
    await c.pause(paused.name);
    const elected = await c.leader({ among: others });
    assert.notEqual(elected.name, paused.name);
    await c.ctlOk(["put", "/chaos/pause", "while-paused"], { members: others });
    await c.unpause(paused.name);
    await c.waitReady();
    const got = await c.ctlOk(["get", "/chaos/pause", "--print-value-only"], { members: [paused.name] });
    assert.equal(got.trim(), "while-paused");
    await c.hashesAgree();
  });

  test("latency on every peer link slows each commit by at least the delay; clearing it restores speed", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const leader = await c.leader();
    const timePut = async (key: string): Promise<number> => {
      const started = performance.now();
      await c.grpc(leader.name).put(key, "x", 20_000);
      return performance.now() - started;
    };
    const median = async (label: string): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push(await timePut(`/chaos/latency/${label}${i}`));
      return times.sort((a, b) => a - b)[2] as number;
    };
    const delayMs = 300;
    const before = await median("before");
    await c.setDelay({ ms: delayMs });
    const delayed = await median("delayed");
    await c.clearDelays();
    const afterClear = await median("after");
    t.diagnostic(`put median: ${before.toFixed(1)} ms before, ${delayed.toFixed(1)} ms with ${delayMs} ms per link, ${afterClear.toFixed(1)} ms after`);
    // A commit needs the leader's append to reach a follower and the answer to come back.
    assert.ok(delayed >= delayMs, `with ${delayMs} ms on each link a put took ${delayed.toFixed(1)} ms`);
    assert.ok(before < delayMs && afterClear < delayMs, `without delay puts took ${before.toFixed(1)} / ${afterClear.toFixed(1)} ms`);
  });

  test("packet loss and a one-way drop: rules are in place, the cluster still commits", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const leader = await c.leader();
    const follower = c.names().find((n) => n !== leader.name) as string;
    await c.loss(0.2);
    await c.dropOneWay(leader.name, follower);
    const rules = await c.rules(follower);
    assert.match(rules, new RegExp(`-A RAFTPLANE_CHAOS -s ${c.member(leader.name).address.replace(/\./g, "\\.")}/32 -j DROP`));
    assert.match(rules, /--mode random --probability 0\.2/);
    await putKeys(c, leader.name, "/chaos/loss/", 20);
    await c.heal();
    assert.doesNotMatch(await c.rules(follower), /-A RAFTPLANE_CHAOS/, "heal empties the chain");
    await c.waitReady();
    await c.hashesAgree();
  });

  test("replace the leader: member remove, then member add with --initial-cluster-state existing", async (t) => {
    const c = await ready(t);
    if (!c) return;
    await c.ctlOk(["put", "/chaos/replace", "kept"]);
    const { removed, added } = await c.replaceLeader();
    assert.equal(removed.state, "removed");
    assert.equal(added.state, "running");
    const list = JSON.parse(await c.ctlOk(["member", "list", "-w", "json"])) as { members: { ID: number; name: string }[] };
    const names = list.members.map((m) => m.name).sort();
    assert.equal(names.length, 3);
    assert.ok(!names.includes(removed.name), `${removed.name} (${hexId(removed.id)}) left the member list: ${names.join(",")}`);
    assert.ok(names.includes(added.name));
    const got = await c.ctlOk(["get", "/chaos/replace", "--print-value-only"], { members: [added.name] });
    assert.equal(got.trim(), "kept", "the new member received the data");
    await c.hashesAgree();
  });

  test("every member killed at once and started again: nothing acknowledged is lost", async (t) => {
    const c = await ready(t);
    if (!c) return;
    const leader = await c.leader();
    await putKeys(c, leader.name, "/chaos/all/", 30);
    await c.restartAll();
    const got = await c.ctlOk(["get", "/chaos/all/", "--prefix", "--keys-only", "-w", "json"]);
    assert.equal((JSON.parse(got) as { count?: number }).count, 30);
    await c.hashesAgree();
  });
});
