/**
 * Round-trip time of one raft message between two processes on loopback: this process sends a
 * MsgApp with one 300-byte entry, an echo member in a child process answers it, and the next
 * goes out when the answer arrives. A quick measurement, not a test:
 *   node dist/bench/transport/round-trip.js [round trips]
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { message } from "../../internal/raft/index.js";
import type { Message } from "../../internal/raft/index.js";
import { startMember } from "../../test/transport/helpers.js";

const rounds = Number(process.argv[2] ?? 3000);
const warmup = Math.min(500, Math.floor(rounds / 5));
const a = await startMember(1);
const script = fileURLToPath(new URL("../../test/transport/fixtures/echo-member.js", import.meta.url));
const child = spawn(process.execPath, [script, "2", "1", a.url], { stdio: ["ignore", "pipe", "inherit"] });
try {
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  const url = /listening (\S+)/.exec(line.toString())?.[1];
  if (url === undefined) throw new Error(`echo member said: ${line.toString()}`);
  a.transport.addPeer(2, [url]);
  let answered: (m: Message) => void = () => {};
  a.transport.setHandler({ step: (m) => answered(m), reportUnreachable: () => {}, reportSnapshot: () => {} });
  const data = new Uint8Array(300);
  const times: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    const started = performance.now();
    const answer = new Promise<Message>((resolve) => (answered = resolve));
    a.transport.send([message({ type: "MsgApp", from: 1, to: 2, term: 1, index: i, entries: [{ term: 1, index: i, type: "normal", data }] })]);
    await answer;
    if (i > warmup) times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  const at = (q: number): string => (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(3);
  console.log(`${times.length} round trips: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms`);
} finally {
  child.kill("SIGTERM");
  await a.transport.stop();
}
