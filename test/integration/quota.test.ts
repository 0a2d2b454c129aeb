import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ctlError, describeRun, requireEtcdctl } from "./etcdctl.js";
import type { HeaderJson } from "./helpers.js";
import { json, useCluster, waitFor } from "./helpers.js";

const quotaBytes = 200_000;
const noSpace = "Error: etcdserver: mvcc: database space exceeded";

describe("--quota-backend-bytes on a 3-member cluster", () => {
  const cluster = useCluster({ quotaBackendBytes: quotaBytes });

  test("NOSPACE: writes fail, reads work, compaction + defrag + alarm disarm make writes work again", { timeout: 90_000 }, async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const value = "x".repeat(8 * 1024);

    // as in etcd's space quota guide: overwrite a few keys until history fills the quota
    let refused: Awaited<ReturnType<typeof c.ctl>> | undefined;
    let written = 0;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const r = await c.ctl(["put", `/quota/k${i % 4}`, value], { members: [c.members[i % 3]?.name as string] });
      if (r.code === 0) written++;
      else refused = r;
    }
    assert.ok(refused, `${written} writes of 8 KiB never hit a ${quotaBytes}-byte quota`);
    assert.equal(ctlError(refused), noSpace, describeRun(refused));
    assert.ok(written * value.length <= quotaBytes * 1.1, `${written} writes of 8 KiB were accepted under a ${quotaBytes}-byte quota`);

    const alarms = await c.ctl(["alarm", "list"]);
    assert.match(alarms.stdout, /^memberID:\d+ alarm:NOSPACE \n$/, describeRun(alarms));

    // every member refuses writes, including small ones and lease grants; deletes are allowed
    for (const m of c.members) {
      const small = await c.ctl(["put", "/quota/small", "1"], { members: [m.name] });
      assert.equal(ctlError(small), noSpace, `${m.name}: ${describeRun(small)}`);
    }
    const grant = await c.ctl(["lease", "grant", "60"]);
    assert.match(ctlError(grant), /etcdserver: mvcc: database space exceeded/);
    const del = await c.ctl(["del", "/quota/k3"], { members: ["m3"] });
    assert.equal(del.stdout, "1\n", `deletes are allowed under NOSPACE, as in etcd: ${describeRun(del)}`);

    // reads keep working everywhere
    for (const m of c.members) {
      const got = await c.ctl(["get", "/quota/k0", "--print-value-only"], { members: [m.name] });
      assert.equal(got.stdout, `${value}\n`, `${m.name} still reads`);
    }
    const status = json<{ Status: { errors?: string[] } }[]>(await c.ctl(["endpoint", "status", "-w", "json"]));
    for (const s of status) assert.deepEqual(s.Status.errors?.map((e) => e.trim().replace(/:\d+/, ":N")), ["memberID:N alarm:NOSPACE"]);

    // the alarm is replicated state: it survives every member's kill -9
    await Promise.all(c.members.map((m) => c.kill(m.name)));
    for (const m of c.members) c.spawn(m.name);
    await c.waitReady();
    assert.match((await c.ctl(["alarm", "list"])).stdout, /^memberID:\d+ alarm:NOSPACE \n$/);
    assert.equal(ctlError(await c.ctl(["put", "/quota/small", "1"])), noSpace);

    // the operator's way out: compact away the history, defragment, disarm
    const rev = json<{ header: HeaderJson }>(await c.ctl(["get", "/quota/k0", "-w", "json"])).header.revision;
    assert.equal((await c.ctl(["compaction", String(rev)])).stdout, `compacted revision ${rev}\n`);
    const defrag = await c.ctl(["defrag"]);
    assert.equal(defrag.code, 0, describeRun(defrag));
    const disarm = await c.ctl(["alarm", "disarm"]);
    assert.match(disarm.stdout, /^memberID:\d+ alarm:NOSPACE \n$/, describeRun(disarm));
    assert.equal((await c.ctl(["alarm", "list"])).stdout, "");

    const again = await c.ctl(["put", "/quota/after", "writes work again"], { members: ["m2"] });
    assert.equal(again.stdout, "OK\n", describeRun(again));
    assert.equal((await c.ctl(["get", "/quota/after"], { members: ["m3"] })).stdout, "/quota/after\nwrites work again\n");
    await waitFor("every member to report healthy", async () => {
      const h = await c.ctl(["endpoint", "health"]);
      return h.code === 0 ? true : undefined;
    });
  });
});
