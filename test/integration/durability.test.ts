import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sleep, useCluster } from "./helpers.js";
import type { LoadResult } from "./load.js";
import { WriteLoad, bulkPut, checkAllAcked, compactedTo } from "./load.js";

describe("durability under kill -9 with a concurrent write load", () => {
  const cluster = useCluster({}, false);

  test("no acknowledged write is lost when a follower, then the leader, then every member is killed", { timeout: 110_000 }, async (t) => {
    const c = cluster();
    const load = new WriteLoad(c, 4);
    let result: LoadResult;
    try {
      await load.progress(100);

      const [follower] = await c.followers();
      assert.ok(follower);
      await c.kill(follower.name);
      await load.progress(100);
      await c.restart(follower.name);
      await load.progress(100);

      const leader = await c.leader();
      await c.kill(leader.name);
      // the two left elect a leader among themselves and the load goes on
      await load.progress(100);
      const next = await c.leader();
      assert.notEqual(next.name, leader.name);
      await c.restart(leader.name);
      await load.progress(100);

      // everything at once: whatever was acknowledged was on a majority's disk
      const before = load.count;
      await Promise.all(c.members.map((m) => c.kill(m.name)));
      await sleep(500);
      for (const m of c.members) c.spawn(m.name);
      await c.waitReady();
      await load.progress(100);
      assert.ok(load.count > before);
    } finally {
      result = await load.stop();
    }
    assert.ok(result.acked.size >= 600, `only ${result.acked.size} writes acknowledged`);
    const revision = await checkAllAcked(c, result.acked);
    assert.ok(revision > result.acked.size, `revision ${revision} below the ${result.acked.size} acknowledged puts`);
    t.diagnostic(`acknowledged ${result.acked.size} writes, ${result.failed} failed while members were down; all present at revision ${revision}`);
  });
});

describe("a follower that missed more than the leader's log still holds catches up by snapshot", () => {
  const cluster = useCluster({ snapshotCount: 100 }, false);

  test("kill -9 a follower, write past several snapshots, restart it", { timeout: 110_000 }, async (t) => {
    const c = cluster();
    const [follower] = await c.followers();
    assert.ok(follower);
    const behindAt = (await c.grpc(follower.name).status()).raftAppliedIndex ?? 0;
    await c.kill(follower.name);

    // the leader keeps 5000 entries behind each snapshot for slow followers (etcd's
    // SnapshotCatchUpEntries): write past that so the follower's next entry is gone from its log
    const leader = await c.leader();
    const load = new WriteLoad(c, 2, "/snap/load/");
    const acked = await bulkPut(c, leader.name, "/snap/bulk/", 6000);
    const compacted = compactedTo(leader.log());
    assert.ok(compacted > behindAt, `the leader compacted its log to ${compacted}, not past the follower's ${behindAt}`);

    await c.restart(follower.name);
    const loaded = await load.stop();
    await checkAllAcked(c, acked, "/snap/bulk/");
    await checkAllAcked(c, loaded.acked, "/snap/load/");
    t.diagnostic(`follower stopped at index ${behindAt}; leader compacted to ${compacted}; ${acked.size + loaded.acked.size} keys caught up`);

    // what it received by snapshot is on its disk: it comes back with it after another kill -9
    await c.kill(follower.name);
    await c.restart(follower.name);
    await checkAllAcked(c, acked, "/snap/bulk/");
  });
});
