import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import type { FrameSink } from "../../internal/etcdapi/frame-sink.js";
import { callSink, rawSink } from "../../internal/etcdapi/frame-sink.js";

// A bidi method whose messages are raw bytes, so the test sees exactly what the sink framed.
const passthrough = (b: Buffer): Buffer => b;
const service: grpc.ServiceDefinition = {
  Stream: {
    path: "/raftplane.test.Sink/Stream",
    requestStream: true,
    responseStream: true,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
};

type Kind = "raw" | "call";

/** Each request names the sink to use; the server answers with three messages in one flush. */
function handler(kinds: Kind[]) {
  return (call: grpc.ServerDuplexStream<Buffer, Buffer>): void => {
    call.on("data", (req: Buffer) => {
      const want = req.toString() as Kind;
      const sink: FrameSink | undefined = want === "raw" ? rawSink(call, () => {}) : callSink(call, () => {});
      kinds.push(sink === undefined ? ("none" as Kind) : want);
      if (sink === undefined) {
        call.end();
        return;
      }
      sink.push(Buffer.from("one"));
      sink.push(Buffer.from("two"), Buffer.from("2:"));
      sink.push(Buffer.alloc(0), Buffer.from("empty body"));
      assert.equal(sink.pendingBytes, 3 * 5 + 3 + 5 + 10);
      sink.flush();
      assert.equal(sink.pendingBytes, 0);
      call.end();
    });
  };
}

describe("frame sinks", () => {
  const kinds: Kind[] = [];
  let server: grpc.Server;
  let client: grpc.Client;

  before(async () => {
    server = new grpc.Server();
    server.addService(service, { Stream: handler(kinds) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  async function exchange(kind: Kind): Promise<string[]> {
    const call = client.makeBidiStreamRequest("/raftplane.test.Sink/Stream", passthrough, passthrough);
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (b: Buffer) => got.push(b.toString()));
      call.on("status", (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : reject(new Error(s.details))));
      call.on("error", reject);
    });
    call.write(Buffer.from(kind));
    call.end();
    await done;
    return got;
  }

  // If a grpc-js upgrade moves the call's HTTP/2 stream, watches silently fall back to one
  // write per message; this test says so instead.
  test("the raw sink reaches grpc-js's HTTP/2 stream and frames every message", async () => {
    assert.deepEqual(await exchange("raw"), ["one", "2:two", "empty body"]);
    assert.equal(kinds.at(-1), "raw");
  });

  test("the call sink sends the same messages through grpc-js's write", async () => {
    assert.deepEqual(await exchange("call"), ["one", "2:two", "empty body"]);
    assert.equal(kinds.at(-1), "call");
  });

  test("a call behind an interceptor gets no raw sink, so the caller falls back", () => {
    const fake = { call: { nextCall: {} } } as unknown as grpc.ServerDuplexStream<Buffer, Buffer>;
    assert.equal(rawSink(fake, () => {}), undefined);
  });
});
