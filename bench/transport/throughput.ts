/**
 * Throughput of small messages between two peer transports on loopback, in one process (so the
 * sender and the receiver share one core's event loop). A quick measurement, not a test:
 *   node dist/bench/transport/throughput.js [seconds per run]
 * The sender keeps at most `window` messages unacknowledged, as raft's inflight limit would, and
 * sends `burst` messages per event-loop turn, as one Ready would.
 */
import { message } from "../../internal/raft/index.js";
import type { Message } from "../../internal/raft/index.js";
import { startMember } from "../../test/transport/helpers.js";

const seconds = Number(process.argv[2] ?? 2);

async function run(label: string, burst: number, window: number, make: (i: number) => Message): Promise<void> {
  const a = await startMember(1, { maxQueuedMessages: 1 << 20 });
  const b = await startMember(2);
  a.transport.addPeer(2, [b.url]);
  b.transport.addPeer(1, [a.url]);
  let received = 0;
  b.transport.setHandler({ step: () => void received++, reportUnreachable: () => {}, reportSnapshot: () => {} });
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    const room = Math.min(burst, window - (sent - received));
    if (room > 0) {
      const out: Message[] = [];
      for (let i = 0; i < room; i++) out.push(make(sent++));
      a.transport.send(out);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (received < sent - a.transport.stats().droppedQueueFull) await new Promise((r) => setImmediate(r));
  const elapsed = (performance.now() - started) / 1000;
  const s = a.transport.stats();
  const rate = received / elapsed;
  const mbps = s.bytesSent / elapsed / 1e6;
  console.log(
    `${label.padEnd(34)} burst ${String(burst).padStart(4)}  ${Math.round(rate).toString().padStart(8)} msg/s  ` +
      `${mbps.toFixed(1).padStart(6)} MB/s  ${(s.messagesSent / s.batchesSent).toFixed(1).padStart(7)} msg/batch`,
  );
  await Promise.all([a.transport.stop(), b.transport.stop()]);
}

const heartbeat = (i: number): Message => message({ type: "MsgHeartbeat", from: 1, to: 2, term: 5, commit: i });
const payload = new Uint8Array(100).fill(7);
const append = (i: number): Message =>
  message({
    type: "MsgApp",
    from: 1,
    to: 2,
    term: 5,
    index: i,
    logTerm: 5,
    commit: i,
    entries: [{ term: 5, index: i + 1, type: "normal", data: payload }],
  });

for (const burst of [1, 16, 256, 1024]) await run("heartbeat (~15 B)", burst, 4096, heartbeat);
for (const burst of [1, 16, 256, 1024]) await run("MsgApp, one 100 B entry (~130 B)", burst, 4096, append);
