import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { snapshotImage } from "../../internal/etcdapi/index.js";
import { ctlError, describeRun, requireEtcdctl } from "./etcdctl.js";
import { hexId } from "./grpc-client.js";
import type { HeaderJson } from "./helpers.js";
import { hashesAgree, json, useCluster, waitFor } from "./helpers.js";

interface StatusJson {
  readonly Endpoint: string;
  readonly Status: {
    readonly header: HeaderJson;
    readonly version: string;
    readonly leader: number;
    readonly raftIndex: number;
    readonly raftTerm: number;
    readonly raftAppliedIndex: number;
    readonly errors?: string[];
  };
}

describe("etcdctl endpoint and maintenance commands on a 3-member cluster", () => {
  const cluster = useCluster();

  test("endpoint status: every member answers, all agree on one leader and term", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    await c.ctlOk(["put", "/maint/x", "1"]);
    const all = json<StatusJson[]>(await c.ctl(["endpoint", "status", "-w", "json"]));
    assert.deepEqual(all.map((s) => s.Endpoint), c.members.map((m) => m.endpoint));
    const leader = await c.leader();
    for (const [i, s] of all.entries()) {
      const m = c.members[i];
      assert.equal(s.Status.header.member_id, m?.id);
      assert.equal(s.Status.leader, leader.id, `${m?.name} names the leader`);
      assert.match(s.Status.version, /^3\.4\./, "reports an etcd 3.4 server version");
      assert.ok(s.Status.raftAppliedIndex > 0 && s.Status.raftIndex >= s.Status.raftAppliedIndex, `${m?.name} index ${s.Status.raftIndex}, applied ${s.Status.raftAppliedIndex}`);
      assert.equal(s.Status.raftTerm, all[0]?.Status.raftTerm);
    }
    const table = await c.ctl(["endpoint", "status", "-w", "table"]);
    assert.equal(table.code, 0, describeRun(table));
    assert.equal(table.stdout.split("\n").filter((l) => / true \|/.test(l) && l.includes(leader.endpoint)).length, 1, table.stdout);
  });

  test("endpoint health --cluster: every member is healthy", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["endpoint", "health", "--cluster"], { members: ["m1"] });
    assert.equal(r.code, 0, describeRun(r));
    // etcdctl prints health to stderr; its order follows the answers
    const lines = r.stderr.split("\n").filter((l) => l.includes(" is healthy: "));
    assert.deepEqual(
      lines.map((l) => l.split(" ")[0]).sort(),
      c.members.map((m) => m.clientUrl).sort(),
      describeRun(r),
    );
    for (const l of lines) assert.match(l, /^http:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = /);
  });

  test("endpoint hashkv: equal on every member after writes on all of them", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    for (const [i, m] of c.members.entries()) {
      for (let k = 0; k < 5; k++) await c.ctlOk(["put", `/maint/hash/${m.name}/${k}`, `v${i}${k}`], { members: [m.name] });
    }
    await c.ctlOk(["del", "/maint/hash/m2/", "--prefix"], { members: ["m3"] });
    const agreed = await hashesAgree(c, c.members.map((m) => m.name));
    assert.notEqual(agreed[0]?.HashKV.hash ?? 0, 0);
  });

  test("endpoint status --cluster and hashkv --cluster (etcdctl sends :authority http://host:port)", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const status = await c.ctl(["endpoint", "status", "--cluster", "-w", "json"], { members: ["m1"] });
    assert.equal(status.code, 0, describeRun(status));
    assert.equal(json<StatusJson[]>(status).length, 3);
    const hash = await c.ctl(["endpoint", "hashkv", "--cluster", "-w", "json"], { members: ["m1"] });
    assert.equal(hash.code, 0, describeRun(hash));
  });

  test("alarm list is empty on a healthy cluster", async (t) => {
    if (!requireEtcdctl(t)) return;
    const r = await cluster().ctl(["alarm", "list"]);
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, "");
  });

  test("compaction: reads below the compacted revision fail with etcd's error", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const revs: number[] = [];
    for (let i = 0; i < 4; i++) {
      revs.push(json<{ header: HeaderJson }>(await c.ctl(["put", "/maint/compact", `v${i}`, "-w", "json"])).header.revision);
    }
    const at = revs[2] as number;
    const r = await c.ctl(["compaction", String(at)], { members: ["m2"] });
    assert.equal(r.stdout, `compacted revision ${at}\n`, describeRun(r));

    for (const m of c.members) {
      const below = await c.ctl(["get", "/maint/compact", "--rev", String(at - 1)], { members: [m.name] });
      assert.notEqual(below.code, 0);
      assert.equal(ctlError(below), "Error: etcdserver: mvcc: required revision has been compacted", m.name);
    }
    assert.equal((await c.ctl(["get", "/maint/compact", "--rev", String(at)])).stdout, "/maint/compact\nv2\n");
    assert.equal((await c.ctl(["get", "/maint/compact"])).stdout, "/maint/compact\nv3\n");

    const again = await c.ctl(["compaction", String(at - 1)]);
    assert.equal(ctlError(again), "Error: etcdserver: mvcc: required revision has been compacted");
    const physical = await c.ctl(["compaction", "--physical", String(revs[3])]);
    assert.equal(physical.stdout, `compacted revision ${revs[3]}\n`, describeRun(physical));

    const agreed = await hashesAgree(c, c.members.map((m) => m.name));
    for (const h of agreed) assert.equal(h.HashKV.compact_revision, revs[3], `${h.Endpoint} reports the compact revision`);
  });

  test("defrag on every member", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["defrag"]);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(
      r.stdout.trimEnd().split("\n"),
      c.members.map((m) => `Finished defragmenting etcd member[${m.endpoint}]`),
    );
  });

  test("defrag --cluster", async (t) => {
    if (!requireEtcdctl(t)) return;
    const r = await cluster().ctl(["defrag", "--cluster"], { members: ["m1"] });
    assert.equal(r.code, 0, describeRun(r));
  });

  test("snapshot save writes a complete snapshot file", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    await c.ctlOk(["put", "/maint/snap", "in the snapshot"]);
    const file = join(c.dir, "saved.db");
    const r = await c.ctl(["snapshot", "save", file], { members: ["m3"] });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, `Snapshot saved at ${file}\n`);
    assert.ok(existsSync(file) && !existsSync(`${file}.part`));
    assert.ok(statSync(file).size > 0);
    // raftplane's own check of the file (length, padding, SHA-256 trailer); snapshot-restore.test covers restoring it
    const image = snapshotImage(readFileSync(file));
    assert.ok(Buffer.from(image).includes(Buffer.from("in the snapshot")), "the snapshot holds the written value");
  });

  test("move-leader hands leadership to the named member", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const before = await c.leader();
    const target = (await c.followers())[0];
    assert.ok(target);
    const r = await c.ctl(["move-leader", hexId(target.id)], { timeoutMs: 20_000 });
    assert.equal(r.stdout, `Leadership transferred from ${hexId(before.id)} to ${hexId(target.id)}\n`, describeRun(r));
    const after = await c.leader();
    assert.equal(after.name, target.name);
    await waitFor("every member to follow the new leader", async () => {
      const all = json<StatusJson[]>(await c.ctl(["endpoint", "status", "-w", "json"]));
      return all.every((s) => s.Status.leader === target.id) ? true : undefined;
    });
    await c.ctlOk(["put", "/maint/after-move", "ok"], { members: [before.name] });
    assert.equal((await c.ctl(["get", "/maint/after-move"], { members: [target.name] })).stdout, "/maint/after-move\nok\n");

    const self = await c.ctl(["move-leader", hexId(target.id)]);
    assert.notEqual(self.code, 0, "moving leadership to the leader itself is refused");
    assert.equal(ctlError(self), "Error: etcdserver: bad leader transferee");
  });
});
