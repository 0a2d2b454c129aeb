import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ctlError, describeRun, requireEtcdctl } from "./etcdctl.js";
import type { HeaderJson } from "./helpers.js";
import { hashesAgree, json, useCluster, waitFor } from "./helpers.js";

describe("state that survives restarts of a 3-member cluster", () => {
  const cluster = useCluster();

  test("leases survive kill -9 of every member, and still expire afterwards", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const granted = await c.ctl(["lease", "grant", "4"]);
    const id = /^lease ([0-9a-f]+) granted/.exec(granted.stdout)?.[1];
    assert.ok(id, describeRun(granted));
    await c.ctlOk(["put", "/restart/leased", "v", `--lease=${id}`]);

    await Promise.all(c.members.map((m) => c.kill(m.name)));
    for (const m of c.members) c.spawn(m.name);
    await c.waitReady();

    // etcd gives every lease its whole TTL again under a new leader
    assert.equal((await c.ctl(["get", "/restart/leased"])).stdout, "/restart/leased\nv\n");
    assert.match((await c.ctl(["lease", "timetolive", id])).stdout, new RegExp(`^lease ${id} granted with TTL\\(4s\\), remaining\\([1-4]s\\)\\n$`));
    await waitFor("the lease to expire after the restart", async () => ((await c.ctl(["get", "/restart/leased"])).stdout === "" ? true : undefined), 20_000);
    assert.equal((await c.ctl(["lease", "timetolive", id])).stdout, `lease ${id} already expired\n`);
  });

  test("the compact revision survives a clean stop and a kill -9", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const revs: number[] = [];
    for (let i = 0; i < 4; i++) revs.push(json<{ header: HeaderJson }>(await c.ctl(["put", "/restart/c", `v${i}`, "-w", "json"])).header.revision);
    const at = revs[2] as number;
    await c.ctlOk(["compaction", String(at)]);

    await c.stop("m2");
    await c.kill("m3");
    c.spawn("m2");
    c.spawn("m3");
    await c.waitReady();
    for (const m of c.members) {
      const r = await c.ctl(["get", "/restart/c", "--rev", String(at - 1)], { members: [m.name] });
      assert.equal(ctlError(r), "Error: etcdserver: mvcc: required revision has been compacted", `${m.name}: ${describeRun(r)}`);
      assert.equal((await c.ctl(["get", "/restart/c", "--rev", String(at)], { members: [m.name] })).stdout, "/restart/c\nv2\n");
    }
    const agreed = await hashesAgree(c, ["m1", "m2", "m3"]);
    for (const h of agreed) assert.equal(h.HashKV.compact_revision, at);
  });

  test("a member that joined at runtime restarts from its own data directory", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    await c.addMember("m4");
    await c.kill("m4");
    await c.ctlOk(["put", "/restart/while-m4-down", "x"]);
    await c.restart("m4");
    const got = await waitFor("m4 to catch up after its restart", async () => {
      const r = await c.ctl(["get", "/restart/while-m4-down", "--consistency=s"], { members: ["m4"] });
      return r.stdout === "" ? undefined : r.stdout;
    });
    assert.equal(got, "/restart/while-m4-down\nx\n");
    await hashesAgree(c, ["m1", "m2", "m3", "m4"]);
    const removed = await c.removeMember("m4");
    assert.equal(removed.code, 0, describeRun(removed));
  });
});
