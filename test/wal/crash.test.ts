import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Wal } from "../../internal/wal/index.js";
import { tempDir } from "./helpers.js";

const child = fileURLToPath(new URL("./crash-child.js", import.meta.url));

/** Run the child until it acknowledged `acks` saves, SIGKILL it, and return what it acknowledged. */
function runAndKill(dir: string, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir], { stdio: ["pipe", "pipe", "pipe"] });
    const acked: number[] = [];
    let buffered = "";
    let stderr = "";
    let killed = false;
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line !== "ready") acked.push(Number(line));
      if (!killed && acked.length >= acks) {
        killed = true;
        proc.kill("SIGKILL");
      }
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`crash child exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

test("every save acknowledged before a SIGKILL is there after reopening, with no gaps", async (t) => {
  const dir = await tempDir(t);
  let acknowledged: number[] = [];
  // Twice: the second run also recovers from the first crash and carries on after it.
  for (let round = 0; round < 2; round++) {
    acknowledged = acknowledged.concat(await runAndKill(dir, 300));
    const { wal, storage } = await Wal.open(dir);
    const last = storage.lastIndex();
    assert.ok(last >= Math.max(...acknowledged), `round ${round}: last index ${last} is below an acknowledged save`);
    // Open checks contiguity; read everything anyway, to check each acknowledged entry's content.
    const log = storage.entries(storage.firstIndex(), last + 1, Infinity);
    assert.equal(log[0]?.index, 1);
    for (const [k, e] of log.entries()) assert.equal(e.index, k + 1);
    for (const i of acknowledged) {
      const e = log[i - 1];
      assert.ok(e !== undefined && new TextDecoder().decode(e.data).startsWith(`entry ${i} `), `entry ${i} lost`);
    }
    assert.ok(storage.hardStateNow().commit <= last);
    await wal.close();
  }
});
