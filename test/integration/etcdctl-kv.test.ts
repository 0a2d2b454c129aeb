import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { describeRun, findEtcdctl, requireEtcdctl } from "./etcdctl.js";
import type { HeaderJson } from "./helpers.js";
import { json, useCluster, waitFor } from "./helpers.js";

interface KvJson {
  readonly key: string;
  readonly value?: string;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly version: number;
}

interface RangeJson {
  readonly header: HeaderJson;
  readonly kvs?: KvJson[];
  readonly more?: boolean;
  readonly count?: number;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("etcdctl keys on a 3-member cluster", () => {
  const cluster = useCluster();

  /** `etcdctl put -w json` on m1; returns the revision it created. */
  async function put(key: string, value: string): Promise<number> {
    return json<{ header: HeaderJson }>(await cluster().ctl(["put", key, value, "-w", "json"], { members: ["m1"] })).header.revision;
  }

  test("a put on one member is read back from every member", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["put", "/kv/basic", "hello"], { members: ["m1"] });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, "OK\n");
    for (const m of c.members) {
      const got = await c.ctl(["get", "/kv/basic"], { members: [m.name] });
      assert.equal(got.stdout, "/kv/basic\nhello\n", `${m.name}: ${describeRun(got)}`);
    }
  });

  test("get -w json carries etcd's header: cluster id, the answering member, revision, term", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const rev = await put("/kv/header", "h");
    const clusterIds = new Set<number>();
    for (const m of c.members) {
      const res = json<RangeJson>(await c.ctl(["get", "/kv/header", "-w", "json"], { members: [m.name] }));
      clusterIds.add(res.header.cluster_id);
      assert.equal(res.header.member_id, m.id, `${m.name} answers with its own member id`);
      assert.equal(res.header.revision, rev);
      assert.ok(res.header.raft_term >= 1);
      assert.deepEqual(res.kvs, [{ key: b64("/kv/header"), value: b64("h"), create_revision: rev, mod_revision: rev, version: 1 }]);
      assert.equal(res.count, 1);
    }
    assert.equal(clusterIds.size, 1, "every member reports the same cluster id");
  });

  test("get --prefix, --limit, --keys-only and -w json", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const keys = ["a", "b", "c", "d", "e"].map((k) => `/kv/p/${k}`);
    const revs: number[] = [];
    for (const [i, k] of keys.entries()) revs.push(await put(k, `v${i}`));
    await put("/kv/q", "outside the prefix");

    const all = await c.ctl(["get", "/kv/p/", "--prefix"], { members: ["m2"] });
    assert.equal(all.stdout, keys.map((k, i) => `${k}\nv${i}\n`).join(""), describeRun(all));

    const two = await c.ctl(["get", "/kv/p/", "--prefix", "--limit", "2"], { members: ["m3"] });
    assert.equal(two.stdout, "/kv/p/a\nv0\n/kv/p/b\nv1\n");

    const keysOnly = await c.ctl(["get", "/kv/p/", "--prefix", "--keys-only"], { members: ["m2"] });
    assert.equal(keysOnly.stdout, keys.map((k) => `${k}\n\n`).join(""));

    const desc = await c.ctl(["get", "/kv/p/", "--prefix", "--limit", "1", "--sort-by", "KEY", "--order", "DESCEND"]);
    assert.equal(desc.stdout, "/kv/p/e\nv4\n");

    const res = json<RangeJson>(await c.ctl(["get", "/kv/p/", "--prefix", "--limit", "2", "-w", "json"], { members: ["m3"] }));
    assert.equal(res.count, 5, "count is every key in range, not only those returned");
    assert.equal(res.more, true);
    assert.ok(res.header.revision > (revs[4] as number), "the header shows the store's revision, past the last put");
    assert.deepEqual(
      res.kvs,
      [0, 1].map((i) => ({ key: b64(keys[i] as string), value: b64(`v${i}`), create_revision: revs[i], mod_revision: revs[i], version: 1 })),
    );
  });

  test("get --rev reads earlier versions", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r1 = await put("/kv/h", "v1");
    const r2 = await put("/kv/h", "v2");
    assert.equal((await c.ctl(["get", "/kv/h", "--rev", String(r1)])).stdout, "/kv/h\nv1\n");
    assert.equal((await c.ctl(["get", "/kv/h", "--rev", String(r2)])).stdout, "/kv/h\nv2\n");
    assert.equal((await c.ctl(["get", "/kv/h", "--rev", String(r1 - 1)])).stdout, "", "the key did not exist yet");
    const old = json<RangeJson>(await c.ctl(["get", "/kv/h", "--rev", String(r1), "-w", "json"], { members: ["m2"] }));
    assert.deepEqual(old.kvs, [{ key: b64("/kv/h"), value: b64("v1"), create_revision: r1, mod_revision: r1, version: 1 }]);
    const now = json<RangeJson>(await c.ctl(["get", "/kv/h", "-w", "json"], { members: ["m3"] }));
    assert.deepEqual(now.kvs, [{ key: b64("/kv/h"), value: b64("v2"), create_revision: r1, mod_revision: r2, version: 2 }]);
  });

  test("del --prev-kv prints the count and the deleted pairs", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    await put("/kv/d/1", "a");
    await put("/kv/d/2", "b");
    await put("/kv/d/3", "c");
    const one = await c.ctl(["del", "/kv/d/1", "--prev-kv"], { members: ["m2"] });
    assert.equal(one.stdout, "1\n/kv/d/1\na\n", describeRun(one));
    const rest = await c.ctl(["del", "/kv/d/", "--prefix", "--prev-kv"], { members: ["m3"] });
    assert.equal(rest.stdout, "2\n/kv/d/2\nb\n/kv/d/3\nc\n", describeRun(rest));
    assert.equal((await c.ctl(["get", "/kv/d/", "--prefix"])).stdout, "");
    assert.equal((await c.ctl(["del", "/kv/d/1"])).stdout, "0\n", "deleting nothing reports 0");
  });

  test("txn from stdin: the success branch when the compare holds, the failure branch otherwise", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    await put("/kv/t/flag", "on");
    const script = (want: string): string =>
      `value("/kv/t/flag") = "${want}"\n\nput /kv/t/result yes\nget /kv/t/flag\n\nput /kv/t/result no\n\n`;

    const yes = await c.ctl(["txn"], { members: ["m2"], input: script("on") });
    assert.equal(yes.code, 0, describeRun(yes));
    assert.equal(yes.stdout, "SUCCESS\n\nOK\n\n/kv/t/flag\non\n");
    assert.equal((await c.ctl(["get", "/kv/t/result"])).stdout, "/kv/t/result\nyes\n");

    const no = await c.ctl(["txn"], { members: ["m3"], input: script("off") });
    assert.equal(no.code, 0, describeRun(no));
    assert.equal(no.stdout, "FAILURE\n\nOK\n");
    assert.equal((await c.ctl(["get", "/kv/t/result"])).stdout, "/kv/t/result\nno\n");

    const res = json<{ header: HeaderJson; succeeded?: boolean; responses: unknown[] }>(
      await c.ctl(["txn", "-w", "json"], { members: ["m1"], input: script("on") }),
    );
    assert.equal(res.succeeded, true);
    assert.equal(res.responses.length, 2);
  });

  test("watch --prefix --rev replays history from that revision, then streams new events", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const from = await put("/kv/w/a", "1");
    await put("/kv/w/b", "2");
    await put("/kv/other", "not watched");
    assert.equal((await c.ctl(["del", "/kv/w/a"], { members: ["m1"] })).stdout, "1\n");

    // a follower serves the watch: its events come from its own applied log
    const follower = (await c.followers())[0];
    assert.ok(follower);
    const watch = spawn(findEtcdctl() as string, [`--endpoints=${follower.endpoint}`, "watch", "/kv/w/", "--prefix", "--rev", String(from)], {
      env: { ...process.env, ETCDCTL_API: "3" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    watch.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    watch.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    try {
      const history = "PUT\n/kv/w/a\n1\nPUT\n/kv/w/b\n2\nDELETE\n/kv/w/a\n\n";
      await waitFor("the replayed events", async () => (out === history ? true : undefined), 10_000, 50).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n--- watch stdout\n${out}\n--- stderr\n${err}`);
      });
      await put("/kv/w/c", "3");
      await put("/kv/other", "still not watched");
      await put("/kv/w/b", "22");
      const live = `${history}PUT\n/kv/w/c\n3\nPUT\n/kv/w/b\n22\n`;
      await waitFor("the live events", async () => (out === live ? true : undefined), 10_000, 50).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n--- watch stdout\n${out}\n--- stderr\n${err}`);
      });
    } finally {
      watch.kill("SIGKILL");
    }
  });
});
