import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeRun, requireEtcdctl } from "./etcdctl.js";
import { hexId } from "./grpc-client.js";
import type { HeaderJson } from "./helpers.js";
import { hashesAgree, json, useCluster, waitFor } from "./helpers.js";

interface MemberJson {
  readonly ID: number;
  readonly name?: string;
  readonly peerURLs: string[];
  readonly clientURLs?: string[];
  readonly isLearner?: boolean;
}

interface MemberListJson {
  readonly header: HeaderJson;
  readonly members: MemberJson[];
}

describe("etcdctl member list, add and remove on a 3-member cluster", () => {
  const cluster = useCluster();

  test("member list shows every member started, with its name and URLs", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const list = json<MemberListJson>(await c.ctl(["member", "list", "-w", "json"], { members: ["m2"] }));
    const byName = new Map(list.members.map((m) => [m.name, m]));
    assert.equal(list.members.length, 3);
    for (const m of c.members) {
      const entry = byName.get(m.name);
      assert.ok(entry, `${m.name} listed`);
      assert.equal(entry.ID, m.id);
      assert.deepEqual(entry.peerURLs, [m.peerUrl]);
      assert.deepEqual(entry.clientURLs, [m.clientUrl]);
      assert.notEqual(entry.isLearner, true);
    }

    const simple = await c.ctl(["member", "list"], { members: ["m3"] });
    const lines = simple.stdout.trimEnd().split("\n").sort();
    const want = c.members.map((m) => `${hexId(m.id)}, started, ${m.name}, ${m.peerUrl}, ${m.clientUrl}, false`).sort();
    assert.deepEqual(lines, want, describeRun(simple));
  });

  test("a 4th member joins with --initial-cluster-state existing, catches up, and is removed", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    for (let i = 0; i < 50; i++) await c.grpc("m1").put(`/member/before/${String(i).padStart(3, "0")}`, `v${i}`);

    const { member: m4, added } = await c.announceMember("m4");
    // etcdctl prints ids with %16x: raftplane's ids fit in 53 bits (exact as JS numbers), so
    // they come out space-padded where etcd's 64-bit ids fill all sixteen digits
    const addedLine = /^Member +([0-9a-f]+) added to cluster +([0-9a-f]+)\n\n/.exec(added.stdout);
    assert.ok(addedLine, describeRun(added));
    const initialCluster = [...c.members.filter((m) => m !== m4).map((m) => `${m.name}=${m.peerUrl}`), `m4=${m4.peerUrl}`].sort();
    const printed = /^ETCD_INITIAL_CLUSTER="([^"]*)"$/m.exec(added.stdout)?.[1] ?? "";
    assert.deepEqual(printed.split(",").sort(), initialCluster);
    assert.match(added.stdout, /^ETCD_NAME="m4"$/m);
    assert.match(added.stdout, new RegExp(`^ETCD_INITIAL_ADVERTISE_PEER_URLS="${m4.peerUrl}"$`, "m"));
    assert.match(added.stdout, /^ETCD_INITIAL_CLUSTER_STATE="existing"$/m);
    const m4Id = addedLine[1] as string;

    // before it starts, etcd lists it unstarted: no name and no client URLs yet
    const pending = await c.ctl(["member", "list"]);
    assert.ok(pending.stdout.split("\n").includes(`${m4Id}, unstarted, , ${m4.peerUrl}, , false`), describeRun(pending));

    await c.startJoined(m4);
    assert.equal(hexId(m4.id), m4Id, "the joined member took the id member add gave it");
    const list = json<MemberListJson>(await c.ctl(["member", "list", "-w", "json"], { members: ["m4"] }));
    const entry = list.members.find((m) => m.name === "m4");
    assert.ok(entry, "m4 is listed by its name once started");
    assert.deepEqual(entry.clientURLs, [m4.clientUrl]);
    assert.equal(list.members.length, 4);

    // it caught up with what was written before it joined, and takes part in new writes
    const caughtUp = await waitFor("m4 to hold the keys written before it joined", async () => {
      const r = await c.grpc("m4").range("/member/before/", { serializable: true, keysOnly: true });
      return r.count === 50 ? r : undefined;
    });
    assert.equal(caughtUp.count, 50);
    await c.ctlOk(["put", "/member/after", "four"], { members: ["m4"] });
    assert.equal((await c.ctl(["get", "/member/after"], { members: ["m2"] })).stdout, "/member/after\nfour\n");
    await hashesAgree(c, ["m1", "m2", "m3", "m4"]);
    const status = await c.ctl(["endpoint", "status", "-w", "json"], { members: ["m1", "m2", "m3", "m4"] });
    assert.equal(json<unknown[]>(status).length, 4);

    const removed = await c.removeMember("m4");
    assert.equal(removed.code, 0, describeRun(removed));
    assert.match(removed.stdout, new RegExp(`^Member +${m4Id} removed from cluster +[0-9a-f]+\n$`));
    assert.ok(c.member("m4").exitedByItself, "the removed member stopped by itself, as etcd does");
    const after = json<MemberListJson>(await c.ctl(["member", "list", "-w", "json"]));
    assert.deepEqual(after.members.map((m) => m.name).sort(), ["m1", "m2", "m3"]);
    await c.ctlOk(["put", "/member/after-remove", "three again"]);
    await hashesAgree(c, ["m1", "m2", "m3"]);
  });

  test("member add of a peer URL already in the cluster is refused", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["member", "add", "dup", `--peer-urls=${c.member("m1").peerUrl}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /etcdserver: Peer URLs already exists/);
  });

  test("a voter that would leave too few started members for quorum is refused (strict reconfig check)", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const ids: string[] = [];
    // 3 started voters: a 4th and a 5th unstarted voter still leave a quorum of started ones.
    for (const [name, port] of [["x1", 1], ["x2", 2]] as const) {
      const out = await c.ctlOk(["member", "add", name, `--peer-urls=http://127.0.0.1:${port}`]);
      const id = /Member +([0-9a-f]+) added/.exec(out)?.[1];
      assert.ok(id, out);
      ids.push(id);
    }
    // A 6th would need 4 started voters of 6; only 3 have started.
    const r = await c.ctl(["member", "add", "x3", "--peer-urls=http://127.0.0.1:3"]);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /etcdserver: unhealthy cluster/);
    for (const id of ids) await c.ctlOk(["member", "remove", id]);
    const list = await c.ctlOk(["member", "list"]);
    assert.doesNotMatch(list, /x1|x2|x3/);
  });
});

describe("membership turned over completely", () => {
  const cluster = useCluster();

  // Found in the chaos suite: once every founder had been replaced, a new member got the
  // founding snapshot (whose member list names only the founders), dropped the current
  // members from its peers, could not answer the leader, and never caught up.
  test("after every founder is replaced, a new member still joins, catches up and restarts", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    for (let i = 0; i < 20; i++) await c.grpc("m1").put(`/turnover/${i}`, `v${i}`);
    for (const [founder, replacement] of [["m1", "m4"], ["m2", "m5"], ["m3", "m6"]] as const) {
      await c.addMember(replacement);
      const r = await c.removeMember(founder);
      assert.equal(r.code, 0, describeRun(r));
    }
    await c.addMember("m7");
    const caughtUp = await waitFor("m7 to hold the keys written by the founders", async () => {
      const r = await c.grpc("m7").range("/turnover/", { serializable: true, keysOnly: true });
      return r.count === 20 ? r : undefined;
    });
    assert.equal(caughtUp.count, 20);
    // Restarted, it starts again from that founding snapshot: it must still reach the others.
    await c.stop("m7");
    await c.restart("m7");
    await c.ctlOk(["put", "/turnover/after", "seven"], { members: ["m7"] });
    await hashesAgree(c, ["m4", "m5", "m6", "m7"]);
  });
});
