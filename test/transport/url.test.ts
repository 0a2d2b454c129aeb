import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff, GrpcTransport, PeerUrlError, parsePeerUrl } from "../../internal/transport/index.js";

test("etcd-style peer URLs parse to gRPC targets", () => {
  assert.deepEqual(parsePeerUrl("http://127.0.0.1:2380"), {
    url: "http://127.0.0.1:2380",
    host: "127.0.0.1",
    port: 2380,
    target: "127.0.0.1:2380",
  });
  assert.equal(parsePeerUrl("http://infra-1.example.com:12380/").target, "infra-1.example.com:12380");
  assert.equal(parsePeerUrl("http://[::1]:2380").target, "[::1]:2380");
  assert.equal(parsePeerUrl("http://127.0.0.1:0", { listen: true }).port, 0);
});

test("anything but http://host:port is refused with a clear error", () => {
  const cases: [string, RegExp][] = [
    ["https://127.0.0.1:2380", /https is not supported/],
    ["unix://peer.sock:1", /unsupported scheme "unix"/],
    ["127.0.0.1:2380", /scheme:\/\/host:port/],
    ["http://127.0.0.1", /scheme:\/\/host:port/],
    ["http://127.0.0.1:2380/raft", /scheme:\/\/host:port/],
    ["http://user:pw@127.0.0.1:2380", /scheme:\/\/host:port/],
    ["http://127.0.0.1:2380?x=1", /scheme:\/\/host:port/],
    ["http://127.0.0.1:99999", /out of range/],
    ["http://127.0.0.1:0", /only valid for listening/],
    ["", /scheme:\/\/host:port/],
  ];
  for (const [url, why] of cases) {
    assert.throws(
      () => parsePeerUrl(url),
      (err: unknown) => err instanceof PeerUrlError && err.name === "PeerUrlError" && why.test(err.message),
      url,
    );
  }
});

test("the transport checks its listen and peer URLs up front", () => {
  assert.throws(
    () => new GrpcTransport({ id: 1, clusterId: "c", listenUrls: ["https://127.0.0.1:2380"] }),
    PeerUrlError,
  );
  const t = new GrpcTransport({ id: 1, clusterId: "c", listenUrls: ["http://127.0.0.1:0"] });
  assert.throws(() => t.addPeer(2, ["http://127.0.0.1:2380/path"]), PeerUrlError);
  assert.throws(() => t.addPeer(2, []), PeerUrlError);
  assert.throws(() => new GrpcTransport({ id: 0, clusterId: "c", listenUrls: ["http://127.0.0.1:0"] }), RangeError);
});

test("backoff doubles up to its cap, jitters within 20%, and resets", () => {
  const b = new Backoff(100, 1000, () => 0.5);
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  assert.equal(b.next(), 100);
  b.exhaust();
  assert.equal(b.next(), 1000);
  const low = new Backoff(100, 1000, () => 0);
  const high = new Backoff(100, 1000, () => 0.999);
  assert.equal(low.next(), 80);
  assert.ok(high.next() <= 120);
});
