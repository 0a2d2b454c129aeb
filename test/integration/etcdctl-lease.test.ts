import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ctlError, describeRun, requireEtcdctl } from "./etcdctl.js";
import { json, sleep, useCluster, waitFor } from "./helpers.js";

/** `lease 694d77aa9e38260f granted with TTL(60s)` → the id as etcdctl prints it. */
function grantedId(stdout: string): string {
  const m = /^lease ([0-9a-f]+) granted with TTL\((\d+)s\)\n$/.exec(stdout);
  assert.ok(m, `unexpected lease grant output: ${JSON.stringify(stdout)}`);
  return m[1] as string;
}

describe("etcdctl leases on a 3-member cluster", () => {
  // etcd's minimum lease TTL is 3 × the election timeout, here 1.5 s rounded up to 2 s
  const cluster = useCluster({ heartbeatMs: 50, electionMs: 500 });

  test("grant, attach a key, keep-alive --once, timetolive --keys, list, revoke", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const [follower] = await c.followers();
    const leader = await c.leader();
    assert.ok(follower);

    const granted = await c.ctl(["lease", "grant", "60"], { members: [follower.name] });
    assert.equal(granted.code, 0, describeRun(granted));
    const id = grantedId(granted.stdout);

    assert.equal((await c.ctl(["put", "/lease/a", "x", `--lease=${id}`])).stdout, "OK\n");
    assert.equal((await c.ctl(["put", "/lease/b", "y", `--lease=${id}`])).stdout, "OK\n");
    const kv = json<{ kvs: { lease: number }[] }>(await c.ctl(["get", "/lease/a", "-w", "json"]));
    assert.equal(kv.kvs[0]?.lease, parseInt(id, 16), "the key carries the lease id");

    // keep-alive is the leader's job: a follower forwards it
    for (const m of [follower, leader]) {
      const ka = await c.ctl(["lease", "keep-alive", "--once", id], { members: [m.name] });
      assert.equal(ka.stdout, `lease ${id} keepalived with TTL(60)\n`, `${m.name}: ${describeRun(ka)}`);
    }

    const ttl = await c.ctl(["lease", "timetolive", "--keys", id], { members: [follower.name] });
    const m = /^lease ([0-9a-f]+) granted with TTL\(60s\), remaining\((\d+)s\), attached keys\(\[(.*)\]\)\n$/.exec(ttl.stdout);
    assert.ok(m, describeRun(ttl));
    assert.equal(m[1], id);
    assert.ok(Number(m[2]) >= 55 && Number(m[2]) <= 60, `remaining ${m[2]}s right after a keep-alive`);
    assert.deepEqual((m[3] as string).split(" ").sort(), ["/lease/a", "/lease/b"]);

    const list = await c.ctl(["lease", "list"]);
    assert.match(list.stdout, /^found \d+ leases\n/);
    assert.ok(list.stdout.split("\n").includes(id), describeRun(list));

    const revoked = await c.ctl(["lease", "revoke", id], { members: [follower.name] });
    assert.equal(revoked.stdout, `lease ${id} revoked\n`, describeRun(revoked));
    assert.equal((await c.ctl(["get", "/lease/", "--prefix"])).stdout, "", "revoking deletes the attached keys");
    assert.equal((await c.ctl(["lease", "timetolive", id])).stdout, `lease ${id} already expired\n`);
    assert.ok(!(await c.ctl(["lease", "list"])).stdout.split("\n").includes(id));

    const again = await c.ctl(["lease", "revoke", id]);
    assert.notEqual(again.code, 0);
    assert.equal(ctlError(again), "Error: failed to revoke lease (etcdserver: requested lease not found)");
  });

  test("a lease that is not kept alive expires and deletes its key on every member", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const id = grantedId((await c.ctl(["lease", "grant", "3"])).stdout);
    const granted = Date.now();
    assert.equal((await c.ctl(["put", "/expiring", "soon", `--lease=${id}`])).stdout, "OK\n");
    assert.equal((await c.ctl(["get", "/expiring"], { members: ["m3"] })).stdout, "/expiring\nsoon\n", "not gone before its TTL");

    await waitFor("the leased key to be deleted", async () => ((await c.ctl(["get", "/expiring"])).stdout === "" ? true : undefined), 15_000);
    const after = (Date.now() - granted) / 1000;
    assert.ok(after >= 2.5, `expired after ${after.toFixed(1)} s, before its 3 s TTL`);
    for (const m of c.members) {
      const got = await c.ctl(["get", "/expiring", "--consistency=s"], { members: [m.name] });
      assert.equal(got.stdout, "", `${m.name} still has the key`);
    }
    assert.equal((await c.ctl(["lease", "timetolive", id])).stdout, `lease ${id} already expired\n`);
  });

  test("keep-alives hold a short lease past its TTL", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const id = grantedId((await c.ctl(["lease", "grant", "3"])).stdout);
    assert.equal((await c.ctl(["put", "/kept", "alive", `--lease=${id}`])).stdout, "OK\n");
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      const ka = await c.ctl(["lease", "keep-alive", "--once", id], { members: ["m2"] });
      assert.equal(ka.stdout, `lease ${id} keepalived with TTL(3)\n`, describeRun(ka));
      await sleep(800);
    }
    assert.equal((await c.ctl(["get", "/kept"])).stdout, "/kept\nalive\n", "kept alive twice its TTL");
    await waitFor("the lease to expire once keep-alives stop", async () => ((await c.ctl(["get", "/kept"])).stdout === "" ? true : undefined), 15_000);
  });

  test("put with a lease that does not exist fails with etcd's error", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["put", "/nolease", "v", "--lease=123abc"]);
    assert.notEqual(r.code, 0);
    assert.equal(ctlError(r), "Error: etcdserver: requested lease not found");
    assert.equal((await c.ctl(["get", "/nolease"])).stdout, "");
  });
});
