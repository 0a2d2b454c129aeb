import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import type { DelayProxy } from "./delay-proxy.js";
import { invalidSettings, noDelay, startDelayProxy } from "./delay-proxy.js";

// The proxy on loopback, in front of a server that timestamps what arrives and answers at
// once: the added latency is measured one way, and the way back must stay fast.
describe("delay proxy", () => {
  let server: Server;
  let serverPort = 0;
  let proxy: DelayProxy;
  /** Per connection: when each byte count arrived at the server. */
  const arrivals: { bytes: number; at: number }[] = [];

  before(async () => {
    server = createServer({ allowHalfOpen: true }, (s) => {
      let total = 0;
      s.on("data", (chunk: Buffer) => {
        total += chunk.length;
        arrivals.push({ bytes: total, at: performance.now() });
        s.write(chunk);
      });
      s.on("end", () => s.end());
      s.on("error", () => undefined);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    serverPort = (server.address() as AddressInfo).port;
    proxy = await startDelayProxy({ listenPort: 0, targetHost: "127.0.0.1", targetPort: serverPort, controlPort: 0, host: "127.0.0.1" });
  });
  after(async () => {
    await proxy.close();
    server.close();
  });

  async function open(): Promise<Socket> {
    const s = connect({ host: "127.0.0.1", port: proxy.listenPort as number });
    await once(s, "connect");
    s.setNoDelay(true);
    return s;
  }

  /** Send `data`, resolve with the echo once all of it is back. */
  function echo(s: Socket, data: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      let got = 0;
      const onData = (c: Buffer): void => {
        parts.push(c);
        got += c.length;
        if (got >= data.length) {
          s.off("data", onData);
          resolve(Buffer.concat(parts));
        }
      };
      s.on("data", onData);
      s.write(data);
    });
  }

  test("without delay it is a plain pipe", async () => {
    proxy.setDelays(noDelay);
    const s = await open();
    const started = performance.now();
    const back = await echo(s, Buffer.from("hello"));
    assert.equal(back.toString(), "hello");
    assert.ok(performance.now() - started < 150, "a loopback round trip with no delay is fast");
    s.destroy();
  });

  test("the delay applies one way: to what the client sends, not to the answer", async () => {
    proxy.setDelays({ defaultMs: 200, jitterMs: 0, bySource: {} });
    const s = await open();
    arrivals.length = 0;
    const sent = performance.now();
    await echo(s, Buffer.from("ping"));
    const back = performance.now();
    const arrived = (arrivals[0] as { at: number }).at;
    assert.ok(arrived - sent >= 195, `the server got the bytes ${(arrived - sent).toFixed(1)} ms after they were sent`);
    assert.ok(back - arrived < 100, `the answer took ${(back - arrived).toFixed(1)} ms to come back`);
    s.destroy();
  });

  test("a delay keyed by the source address wins over the default", async () => {
    proxy.setDelays({ defaultMs: 0, jitterMs: 0, bySource: { "127.0.0.1": 250 } });
    const s = await open();
    const started = performance.now();
    await echo(s, Buffer.from("x"));
    assert.ok(performance.now() - started >= 245);
    s.destroy();
  });

  test("with jitter every byte still arrives, in order", async () => {
    proxy.setDelays({ defaultMs: 5, jitterMs: 40, bySource: {} });
    const s = await open();
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.from(`${String(i).padStart(4, "0")};`));
    const expected = Buffer.concat(chunks);
    const received = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      let got = 0;
      s.on("data", (c: Buffer) => {
        parts.push(c);
        got += c.length;
        if (got >= expected.length) resolve(Buffer.concat(parts));
      });
    });
    for (const c of chunks) {
      s.write(c);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await received).toString(), expected.toString());
    s.destroy();
  });

  test("a half-close is passed on after the delayed bytes", async () => {
    proxy.setDelays({ defaultMs: 100, jitterMs: 0, bySource: {} });
    const s = connect({ host: "127.0.0.1", port: proxy.listenPort as number, allowHalfOpen: true });
    await once(s, "connect");
    const parts: Buffer[] = [];
    s.on("data", (c: Buffer) => parts.push(c));
    s.end("last words");
    await once(s, "end");
    assert.equal(Buffer.concat(parts).toString(), "last words");
    s.destroy();
  });

  test("a connection to a target that is down is closed", async () => {
    const lonely = await startDelayProxy({ listenPort: 0, targetPort: 1, controlPort: 0, host: "127.0.0.1" });
    try {
      const s = connect({ host: "127.0.0.1", port: lonely.listenPort as number });
      s.on("error", () => undefined);
      await once(s, "close");
    } finally {
      await lonely.close();
    }
  });

  test("the control port reads and replaces the settings, and refuses bad ones", async () => {
    const url = `http://127.0.0.1:${proxy.controlPort}/delays`;
    const wanted = { defaultMs: 7, jitterMs: 1, bySource: { "10.0.0.2": 30 } };
    const put = await fetch(url, { method: "PUT", body: JSON.stringify(wanted) });
    assert.equal(put.status, 200);
    assert.deepEqual(await (await fetch(url)).json(), wanted);
    assert.deepEqual(proxy.settings(), wanted);
    const bad = await fetch(url, { method: "PUT", body: JSON.stringify({ defaultMs: -1, jitterMs: 0, bySource: {} }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /defaultMs/);
    assert.deepEqual(proxy.settings(), wanted, "refused settings change nothing");
    assert.equal((await fetch(`http://127.0.0.1:${proxy.controlPort}/other`)).status, 404);
    proxy.setDelays(noDelay);
  });

  test("settings are checked", () => {
    assert.equal(invalidSettings(noDelay), "");
    assert.match(invalidSettings(null), /object/);
    assert.match(invalidSettings({ defaultMs: 0, jitterMs: "1", bySource: {} }), /jitterMs/);
    assert.match(invalidSettings({ defaultMs: 0, jitterMs: 0, bySource: { a: 1e9 } }), /bySource\["a"\]/);
    assert.throws(() => proxy.setDelays({ defaultMs: Number.NaN, jitterMs: 0, bySource: {} }), /defaultMs/);
  });
});
