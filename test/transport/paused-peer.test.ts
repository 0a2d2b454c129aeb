import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { message } from "../../internal/raft/index.js";
import { startMember, waitFor } from "./helpers.js";

test("a paused peer: the queue stays bounded, keepalive drops the stream, and it recovers", async () => {
  const a = await startMember(1, {
    maxQueuedBytes: 4 << 20,
    maxInflightBytes: 1 << 20,
    keepaliveMs: 200,
    keepaliveTimeoutMs: 300,
  });
  const script = fileURLToPath(new URL("./fixtures/echo-member.js", import.meta.url));
  const child = spawn(process.execPath, [script, "2", "1", a.url], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    const url = /listening (\S+)/.exec(line.toString())?.[1];
    assert.ok(url, line.toString());
    a.transport.addPeer(2, [url]);
    const echoed = (): number[] => a.recorder.from(2).map((m) => m.index);
    const entry = { term: 1, index: 1, type: "normal" as const, data: new Uint8Array(64 * 1024) };
    const app = (i: number) => message({ type: "MsgApp", from: 1, to: 2, term: 1, index: i, entries: [entry] });
    a.transport.send([app(1)]);
    await waitFor("the echo", () => echoed().includes(1));

    child.kill("SIGSTOP");
    // 64 KiB appends, 32 per turn: far more than the peer, stopped, can take in.
    for (let turn = 0; turn < 40; turn++) {
      a.transport.send(Array.from({ length: 32 }, (_, i) => app(1000 + turn * 32 + i)));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor("drops for a full queue", () => a.transport.stats().droppedQueueFull > 0);
    assert.ok(a.recorder.unreachables.includes(2));
    await waitFor("keepalive to give up on the stream", () =>
      a.recorder.events.some((e) => e.type === "peer-disconnected" && e.peer === 2),
    );

    child.kill("SIGCONT");
    let i = 100_000;
    await waitFor("echoes after the pause", () => {
      a.transport.send([app(i++)]);
      return echoed().some((x) => x >= 100_000);
    });
  } finally {
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    await a.transport.stop();
  }
});
