import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

test("after stop() nothing holds the process open: it exits on its own", async () => {
  const script = fileURLToPath(new URL("./fixtures/stop-and-exit.js", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve("still running after 8 s");
    }, 8000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c ?? "killed");
    });
  });
  assert.equal(code, 0, out);
  assert.match(out, /^stopped /m);
});
