import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createKvMetrics, createLogger, isLogLevel } from "../../internal/observability/index.js";

test("metrics render in Prometheus text format under etcd's names", async () => {
  const m = createKvMetrics();
  m.hasLeader.set(1);
  m.leaderChanges.inc();
  m.walFsyncSeconds.observe(0.003);
  m.peerRoundTripSeconds.observe({ To: "2" }, 0.0004);
  const text = await m.registry.metrics();
  assert.match(text, /^etcd_server_has_leader 1$/m);
  assert.match(text, /^etcd_server_leader_changes_seen_total 1$/m);
  assert.match(text, /^etcd_disk_wal_fsync_duration_seconds_bucket\{le="0.004"\} 1$/m);
  assert.match(text, /^etcd_network_peer_round_trip_time_seconds_count\{To="2"\} 1$/m);
  for (const name of ["etcd_server_is_leader", "etcd_server_proposals_committed_total", "etcd_server_proposals_applied_total",
    "etcd_server_proposals_pending", "etcd_server_proposals_failed_total", "etcd_disk_backend_commit_duration_seconds",
    "etcd_mvcc_db_total_size_in_bytes"]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  }
});

test("two members' registries do not share values", async () => {
  const a = createKvMetrics();
  const b = createKvMetrics();
  a.isLeader.set(1);
  assert.match(await b.registry.metrics(), /^etcd_server_is_leader 0$/m);
});

test("the logger writes JSON lines with the component and bindings", async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ component: "kv", level: "warn", bindings: { member: "abc" }, destination });
  log.info("hidden below warn");
  log.warn({ term: 3 }, "slow fsync");
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
  assert.equal(line.component, "kv");
  assert.equal(line.member, "abc");
  assert.equal(line.term, 3);
  assert.equal(line.msg, "slow fsync");
});

test("etcd's log levels are recognised and others refused", () => {
  assert.ok(isLogLevel("panic"));
  assert.ok(!isLogLevel("verbose"));
});
