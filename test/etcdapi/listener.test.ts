import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { listenClientPort } from "../../internal/etcdapi/index.js";

const echo = {
  path: "/test.Echo/Say",
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

test("one port serves gRPC (HTTP/2) and plain HTTP/1 side by side", async () => {
  const server = new grpc.Server();
  server.addService({ Say: echo }, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.concat([Buffer.from("echo:"), call.request])),
  });
  const port = await listenClientPort("127.0.0.1", 0, server, (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ path: req.url }));
  });
  try {
    const http = await fetch(`http://127.0.0.1:${port.port}/health`);
    assert.deepEqual(await http.json(), { path: "/health" });

    const Client = grpc.makeGenericClientConstructor({ Say: echo }, "Echo");
    const client = new Client(`127.0.0.1:${port.port}`, grpc.credentials.createInsecure());
    const reply = await new Promise<Buffer>((resolve, reject) =>
      (client as unknown as { Say: (b: Buffer, cb: (e: Error | null, r: Buffer) => void) => void }).Say(Buffer.from("hi"), (e, r) => (e ? reject(e) : resolve(r))),
    );
    assert.equal(reply.toString(), "echo:hi");
    client.close();

    // HTTP still works after gRPC traffic on the same port.
    assert.equal((await fetch(`http://127.0.0.1:${port.port}/metrics`)).status, 200);
  } finally {
    await port.close();
    server.forceShutdown();
  }
});
