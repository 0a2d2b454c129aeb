import assert from "node:assert/strict";
import { once } from "node:events";
import { after, describe, test } from "node:test";
import type { IKeyValue } from "etcd3";
import { EtcdLeaseInvalidError, EtcdLockFailedError, Etcd3 } from "etcd3";
import { sleep, useCluster, waitFor } from "./helpers.js";

/**
 * The same operations through a real etcd client library: etcd3 from npm, which speaks the v3
 * gRPC API with its own copy of etcd's protos (no network beyond the hosts it is given).
 */
describe("the etcd3 npm client against a 3-member cluster", () => {
  const cluster = useCluster({}, false);
  const clients: Etcd3[] = [];

  /** A client of the named members (default all), closed after the suite. */
  function client(names?: readonly string[]): Etcd3 {
    const c = cluster();
    const hosts = (names ?? c.members.map((m) => m.name)).map((n) => c.member(n).clientUrl);
    const e = new Etcd3({ hosts, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 10_000 }) });
    clients.push(e);
    return e;
  }

  after(() => {
    for (const e of clients) e.close();
  });

  test("put on one member, get from another", async () => {
    await client(["m1"]).put("/lib/a").value("one");
    assert.equal(await client(["m3"]).get("/lib/a").string(), "one");
    assert.equal(await client(["m2"]).get("/lib/missing").string(), null);
    const kv = await client().get("/lib/a").exec();
    assert.equal(kv.kvs.length, 1);
    assert.equal(kv.kvs[0]?.version, "1");
    assert.equal(kv.kvs[0]?.create_revision, kv.kvs[0]?.mod_revision);
  });

  test("prefix reads: all, keys, count, sorted and limited", async () => {
    const e = client();
    for (const k of ["c", "a", "b"]) await e.put(`/lib/p/${k}`).value(`v-${k}`);
    await e.put("/lib/q").value("outside");
    assert.deepEqual(await e.getAll().prefix("/lib/p/").strings(), { "/lib/p/a": "v-a", "/lib/p/b": "v-b", "/lib/p/c": "v-c" });
    assert.deepEqual(await e.getAll().prefix("/lib/p/").keys(), ["/lib/p/a", "/lib/p/b", "/lib/p/c"]);
    assert.equal(await e.getAll().prefix("/lib/p/").count(), 3);
    assert.deepEqual(await e.getAll().prefix("/lib/p/").sort("Key", "Descend").limit(1).keys(), ["/lib/p/c"]);
    assert.equal(await e.delete().prefix("/lib/p/").exec().then((r) => r.deleted), "3");
    assert.equal(await e.getAll().prefix("/lib/p/").count(), 0);
  });

  test("txn: both branches", async () => {
    const e = client();
    await e.put("/lib/t/flag").value("on");
    const yes = await e.if("/lib/t/flag", "Value", "==", "on").then(e.put("/lib/t/result").value("yes")).else(e.put("/lib/t/result").value("no")).commit();
    assert.equal(yes.succeeded, true);
    assert.equal(await e.get("/lib/t/result").string(), "yes");
    const no = await e.if("/lib/t/flag", "Value", "==", "off").then(e.put("/lib/t/result").value("yes")).else(e.put("/lib/t/result").value("no")).commit();
    assert.equal(no.succeeded, false);
    assert.equal(await e.get("/lib/t/result").string(), "no");
    // a compare on a key's version, as controllers do for optimistic concurrency
    const cas = await e.if("/lib/t/result", "Version", "==", 2).then(e.put("/lib/t/result").value("cas")).commit();
    assert.equal(cas.succeeded, true);
    assert.equal(await e.get("/lib/t/result").string(), "cas");
  });

  test("leases: grant with a key, keep-alive, time to live, revoke; unkept leases expire", async () => {
    const e = client();
    const lease = e.lease(30);
    await lease.put("/lib/lease/a").value("x");
    const id = await lease.grant();
    assert.match(id, /^\d+$/);
    const ka = await lease.keepaliveOnce();
    assert.equal(ka.TTL, "30");
    const ttl = await e.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    assert.equal(ttl.grantedTTL, "30");
    assert.ok(Number(ttl.TTL) > 25 && Number(ttl.TTL) <= 30, `remaining ${ttl.TTL}`);
    assert.deepEqual(ttl.keys.map((k) => k.toString()), ["/lib/lease/a"]);
    assert.equal(await e.get("/lib/lease/a").string(), "x");
    await lease.revoke();
    assert.equal(await e.get("/lib/lease/a").string(), null, "revoking deleted the key");

    const unkept = e.lease(2, { autoKeepAlive: false });
    await unkept.put("/lib/lease/b").value("y");
    await waitFor("the unkept lease to expire", async () => ((await e.get("/lib/lease/b").string()) === null ? true : undefined), 15_000);

    const err = await e.put("/lib/lease/c").value("z").lease("123456789").exec().then(() => undefined, (x: unknown) => x);
    assert.ok(err instanceof EtcdLeaseInvalidError, `etcd3 recognises etcd's lease error: ${String(err)}`);
  });

  test("an automatically kept lease outlives its TTL", async () => {
    const e = client(["m2"]);
    const lease = e.lease(2);
    await lease.put("/lib/kept").value("alive");
    await sleep(5000);
    assert.equal(lease.revoked(), false);
    assert.equal(await e.get("/lib/kept").string(), "alive");
    await lease.revoke();
  });

  test("watch: history from a revision, then live events", async () => {
    const e = client();
    const first = await e.put("/lib/w/a").value("1").exec();
    await e.put("/lib/w/b").value("2");
    await e.delete().key("/lib/w/a");
    const seen: string[] = [];
    const note = (type: string) => (kv: IKeyValue) => seen.push(`${type} ${kv.key.toString()} ${kv.value.toString()}`);
    // handlers go on before it connects: the replayed events may follow the created answer at once
    const watcher = client(["m3"]).watch().prefix("/lib/w/").startRevision(first.header.revision).watcher();
    watcher.on("put", note("PUT"));
    watcher.on("delete", note("DELETE"));
    try {
      await once(watcher, "connected");
      await e.put("/lib/w/c").value("3");
      await e.put("/lib/other").value("not watched");
      const want = ["PUT /lib/w/a 1", "PUT /lib/w/b 2", "DELETE /lib/w/a ", "PUT /lib/w/c 3"];
      await waitFor("the watched events", async () => (seen.length >= want.length ? true : undefined), 10_000, 50);
      assert.deepEqual(seen, want);
    } finally {
      await watcher.cancel();
    }
  });

  test("lock: a second holder is refused until the first releases it", async () => {
    const [a, b] = [client(["m1"]), client(["m2"])];
    const held = await a.lock("/lib/lock").ttl(10).acquire();
    const refused = await b.lock("/lib/lock").ttl(10).acquire().then(() => undefined, (x: unknown) => x);
    assert.ok(refused instanceof EtcdLockFailedError, `the second acquire fails: ${String(refused)}`);
    await held.release();
    const second = await b.lock("/lib/lock").ttl(10).acquire();
    await second.release();
  });
});
