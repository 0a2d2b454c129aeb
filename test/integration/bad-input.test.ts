import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { describe, test } from "node:test";
import type { Cluster } from "./cluster.js";
import { ctlError, describeRun, requireEtcdctl } from "./etcdctl.js";
import { hashesAgree, json, useCluster } from "./helpers.js";

const seedKeys = Array.from({ length: 20 }, (_, i) => `/bad/seed/${String(i).padStart(2, "0")}`);

/** A KV client that sends and receives raw bytes: the server sees exactly what we write. */
function rawKvClient(endpoint: string): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  const raw = (name: string): grpc.MethodDefinition<Buffer, Buffer> => ({
    path: `/etcdserverpb.KV/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  });
  const Ctor = grpc.makeGenericClientConstructor({ Range: raw("Range"), Put: raw("Put"), Txn: raw("Txn") }, "RawKV");
  return new Ctor(endpoint.replace(/^https?:\/\//, ""), grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
}

/** Send raw bytes; resolves with the error status, and fails if the server answered instead. */
function rawCall(client: grpc.Client & Record<string, (...args: unknown[]) => unknown>, method: string, bytes: Buffer, what: string): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as (b: Buffer, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Buffer) => void) => void;
    fn.call(client, bytes, { deadline: Date.now() + 5000 }, (err, res) =>
      err ? resolve(err) : reject(new assert.AssertionError({ message: `${method} with ${what} was answered: ${res.toString("hex")}` })),
    );
  });
}

/** Keys under a prefix, by etcdctl (3.4 has no --count-only: the JSON count of a one-key page). */
async function count(c: Cluster, prefix: string): Promise<number> {
  return json<{ count?: number }>(await c.ctl(["get", prefix, "--prefix", "--limit", "1", "-w", "json"])).count ?? 0;
}

/** Every member still runs, serves reads of the seeded keys, takes a write, and agrees on HashKV. */
async function stillServing(c: Cluster, what: string): Promise<void> {
  for (const m of c.members) {
    assert.equal(m.crashed, undefined, `${m.name} ${m.crashed ?? ""} after ${what}`);
    const r = await c.grpc(m.name).range("/bad/seed/");
    assert.deepEqual(
      r.kvs?.map((kv) => `${kv.key.toString()}=${kv.value?.toString() ?? ""}`),
      seedKeys.map((k) => `${k}=${k}-value`),
      `${m.name} lost seeded keys after ${what}`,
    );
  }
  await c.grpc("m1").put(`/bad/after/${what.replace(/\W+/g, "-")}`, "ok");
  await hashesAgree(c, c.members.map((m) => m.name));
}

describe("bad input to a 3-member cluster", () => {
  const cluster = useCluster();

  test("seed keys", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    for (const k of seedKeys) await c.grpc("m1").put(k, `${k}-value`);
    await stillServing(c, "seeding");
  });

  test("malformed protobuf on KV methods: an error status, no crash", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const client = rawKvClient(c.member("m2").endpoint);
    try {
      const garbage: [string, Buffer][] = [
        ["truncated length-delimited key", Buffer.from([0x0a, 0x05, 0x61])],
        ["varint that never ends", Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
        ["length past the end", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
        ["wire type 7", Buffer.from([0x0f, 0x01])],
        ["key sent as a varint", Buffer.from([0x08, 0x01])],
        ["random bytes", Buffer.from("5d2f3e9a0bff00c1d2e3f4a5b6c7d8e9f0", "hex")],
      ];
      for (const method of ["Range", "Put", "Txn"]) {
        for (const [name, bytes] of garbage) {
          const res = await rawCall(client, method, bytes, name);
          // etcd (grpc-go) answers a request it cannot unmarshal with Internal too
          assert.equal(res.code, grpc.status.INTERNAL, `${method} with ${name}: code ${res.code} ${res.details}`);
        }
      }
      // an empty message decodes (every field at its default): etcd's key check answers
      const empty = await rawCall(client, "Range", Buffer.alloc(0), "an empty message");
      assert.equal(empty.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(empty.details, "etcdserver: key is not provided");
    } finally {
      client.close();
    }
    await stillServing(c, "malformed protobuf");
  });

  // etcd's generated decoders refuse field number 0 ("proto: illegal tag 0"); protobufjs skips it,
  // so the bytes below are taken as an empty (valid) txn
  test("a Txn with an illegal field number 0 is refused", { todo: "protobufjs skips field 0 where etcd's decoder fails" }, async (t) => {
    if (!requireEtcdctl(t)) return;
    const client = rawKvClient(cluster().member("m1").endpoint);
    try {
      const res = await rawCall(client, "Txn", Buffer.from([0x02, 0x01, 0x61]), "field number 0");
      assert.equal(res.code, grpc.status.INTERNAL);
    } finally {
      client.close();
    }
  });

  test("a value over --max-request-bytes: etcdserver: request is too large", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    // over the default 1.5 MiB, under the 2 MiB gRPC message limit etcd adds on top
    const r = await c.ctl(["put", "/bad/big"], { input: "v".repeat(1_600_000) });
    assert.notEqual(r.code, 0);
    assert.equal(ctlError(r), "Error: etcdserver: request is too large", describeRun({ ...r, stdout: "" }));
    assert.equal((await c.ctl(["get", "/bad/big"])).stdout, "");
    await stillServing(c, "an oversized value");
  });

  test("an empty key: etcdserver: key is not provided", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    for (const args of [["put", "", "v"], ["get", ""], ["del", ""]]) {
      const r = await c.ctl(args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.equal(ctlError(r), "Error: etcdserver: key is not provided", `${args.join(" ")}: ${describeRun(r)}`);
    }
    await stillServing(c, "empty keys");
  });

  test("a txn with 129 operations: etcdserver: too many operations in txn request", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const script = (n: number): string => `\n${Array.from({ length: n }, (_, i) => `put /bad/txn/${i} v`).join("\n")}\n\n\n`;
    const tooMany = await c.ctl(["txn"], { input: script(129) });
    assert.notEqual(tooMany.code, 0);
    assert.equal(ctlError(tooMany), "Error: etcdserver: too many operations in txn request", describeRun(tooMany));
    assert.equal(await count(c, "/bad/txn/"), 0);

    const limit = await c.ctl(["txn"], { input: script(128) });
    assert.equal(limit.code, 0, describeRun(limit));
    assert.match(limit.stdout, /^SUCCESS\n/);
    assert.equal(await count(c, "/bad/txn/"), 128);
    await stillServing(c, "an oversized txn");
  });

  test("a put with a lease that does not exist: etcdserver: requested lease not found", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["put", "/bad/leased", "v", "--lease=7fffffff"]);
    assert.notEqual(r.code, 0);
    assert.equal(ctlError(r), "Error: etcdserver: requested lease not found", describeRun(r));
    assert.equal((await c.ctl(["get", "/bad/leased"])).stdout, "");
    await stillServing(c, "an unknown lease");
  });

  test("a range whose end is before its key is empty, not an error", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["get", "/bad/seed/10", "/bad/seed/05"]);
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, "");
    const ordered = await c.ctl(["get", "/bad/seed/05", "/bad/seed/07", "--keys-only"]);
    assert.equal(ordered.stdout, "/bad/seed/05\n\n/bad/seed/06\n\n", "the same range the right way round has keys");
    await stillServing(c, "a reversed range");
  });

  test("get --rev of a future revision: etcdserver: mvcc: required revision is a future revision", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const r = await c.ctl(["get", "/bad/seed/00", "--rev", "1000000"]);
    assert.notEqual(r.code, 0);
    assert.equal(ctlError(r), "Error: etcdserver: mvcc: required revision is a future revision", describeRun(r));
    await stillServing(c, "a future revision");
  });
});
