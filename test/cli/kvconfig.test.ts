import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError, parseKvConfig } from "../../internal/cli/index.js";

test("defaults are etcd's", () => {
  const c = parseKvConfig([], {});
  assert.equal(c.name, "default");
  assert.equal(c.dataDir, "default.etcd");
  assert.deepEqual(c.listenClientUrls, ["http://localhost:2379"]);
  assert.deepEqual(c.initialCluster, [{ name: "default", peerUrls: ["http://localhost:2380"] }]);
  assert.equal(c.initialClusterState, "new");
  assert.equal(c.initialClusterToken, "etcd-cluster");
  assert.equal(c.snapshotCount, 100000);
  assert.equal(c.heartbeatIntervalMs, 100);
  assert.equal(c.electionTimeoutMs, 1000);
  assert.equal(c.quotaBackendBytes, 2 * 1024 ** 3);
  assert.equal(c.maxRequestBytes, 1.5 * 1024 * 1024);
  assert.equal(c.maxTxnOps, 128);
  assert.equal(c.autoCompactionRetention, 0);
  assert.equal(c.logLevel, "info");
});

test("a member of a three-member loopback cluster, as etcd is started", () => {
  const c = parseKvConfig(
    [
      "--name", "m2",
      "--data-dir=/tmp/m2",
      "--listen-client-urls", "http://127.0.0.1:22379",
      "--advertise-client-urls", "http://127.0.0.1:22379",
      "--listen-peer-urls", "http://127.0.0.1:22380",
      "-initial-advertise-peer-urls", "http://127.0.0.1:22380",
      "--initial-cluster", "m1=http://127.0.0.1:12380,m2=http://127.0.0.1:22380,m3=http://127.0.0.1:32380",
      "--initial-cluster-state", "new",
      "--auto-compaction-retention=1h30m",
    ],
    {},
  );
  assert.equal(c.name, "m2");
  assert.equal(c.dataDir, "/tmp/m2");
  assert.deepEqual(c.initialCluster.map((m) => m.name), ["m1", "m2", "m3"]);
  assert.equal(c.autoCompactionRetention, 90 * 60_000);
});

test("ETCD_* environment variables fill flags not given", () => {
  const c = parseKvConfig(["--name", "x"], { ETCD_NAME: "ignored", ETCD_SNAPSHOT_COUNT: "500", ETCD_INITIAL_CLUSTER: "x=http://localhost:2380" });
  assert.equal(c.name, "x");
  assert.equal(c.snapshotCount, 500);
});

test("bad flags fail with a message naming the problem", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus", "1"], /flag provided but not defined: --bogus/],
    [["--name"], /flag needs an argument: --name/],
    [["--snapshot-count", "ten"], /invalid value "ten" for flag --snapshot-count/],
    [["--listen-client-urls", "localhost:2379"], /must use http or https|invalid URL/],
    [["--listen-client-urls", "http://localhost"], /scheme:\/\/host:port/],
    [["--initial-cluster-state", "old"], /want one of new, existing/],
    [["--name", "a", "--initial-cluster", "b=http://localhost:2380"], /couldn't find local name "a"/],
    [["--election-timeout", "300"], /at least as 5 times as --heartbeat-interval/],
    [["--log-level", "loud"], /--log-level/],
    [["--auto-compaction-retention", "soon"], /auto-compaction-retention/],
    [["stray"], /unexpected argument "stray"/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseKvConfig(argv, {}), (e: unknown) => e instanceof FlagError && message.test(e.message), argv.join(" "));
  }
});

test("--unsafe-local-reads is a switch: off by default, on alone, off with =false, refused otherwise", () => {
  assert.equal(parseKvConfig([], {}).unsafeLocalReads, false);
  const on = parseKvConfig(["--unsafe-local-reads", "--name", "m1"], {});
  assert.equal(on.unsafeLocalReads, true);
  assert.equal(on.name, "m1", "a switch does not swallow the next flag");
  assert.equal(parseKvConfig(["--unsafe-local-reads=false"], {}).unsafeLocalReads, false);
  assert.equal(parseKvConfig([], { ETCD_UNSAFE_LOCAL_READS: "true" }).unsafeLocalReads, true);
  assert.throws(() => parseKvConfig(["--unsafe-local-reads=maybe"], {}), FlagError);
});
