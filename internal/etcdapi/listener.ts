import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { Server as NetServer, Socket } from "node:net";
import { Duplex } from "node:stream";
import type { Server as GrpcServer } from "@grpc/grpc-js";
import { ServerCredentials } from "@grpc/grpc-js";
import { AuthorityFixer } from "./authority.js";

/** Every HTTP/2 connection opens with this preface; gRPC over plain TCP is HTTP/2 (h2c). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FRAME_HEADER_BYTES = 9;
const FRAME_SETTINGS = 0x4;

/**
 * Whether a connection may come from etcd 3.4's Go client, whose `:authority` Node's HTTP/2
 * refuses (see AuthorityFixer): grpc-go opens with an empty SETTINGS frame, where grpc-js,
 * nghttp2 and curl announce settings. Only those connections pay for a JavaScript stream between
 * the socket and HTTP/2; every other client talks to Node's HTTP/2 on the socket itself, which
 * costs far less per frame (measured: socket writes were the largest share of a watch-heavy
 * member's CPU through the JavaScript stream).
 */
function mayNeedAuthorityFix(head: Buffer): boolean {
  const at = HTTP2_PREFACE.length;
  return head[at + 3] === FRAME_SETTINGS && head.readUIntBE(at, 3) === 0;
}

/**
 * The socket as a stream that first yields the bytes already read from it, with the client's
 * bytes passing through an AuthorityFixer on the way: Node's HTTP/2 then reads a JavaScript
 * stream instead of the socket's handle, which is slower, so only clients that may need the
 * fix come this way (mayNeedAuthorityFix).
 */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      socket.write(chunk, done);
    },
    final(done) {
      socket.end();
      done();
    },
    destroy(err, done) {
      socket.destroy(err ?? undefined);
      done(err);
    },
  });
  const fixer = new AuthorityFixer();
  const forward = (chunk: Buffer): void => {
    let out: Buffer;
    try {
      out = fixer.push(chunk);
    } catch {
      socket.destroy(); // header blocks that do not decode: the client is not speaking HTTP/2
      return;
    }
    if (out.length > 0 && !stream.push(out)) socket.pause();
  };
  forward(head);
  socket.on("data", forward);
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  socket.setNoDelay(true);
  return stream;
}

export interface ClientPort {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serve gRPC and plain HTTP (/health, /metrics, /version) on one port, as etcd does on its client
 * URLs: the first bytes of a connection tell an HTTP/2 client (gRPC) from an HTTP/1 one.
 */
export async function listenClientPort(
  host: string,
  port: number,
  grpc: GrpcServer,
  http: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<ClientPort> {
  const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
  const httpServer = createHttpServer(http);
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, HTTP2_PREFACE.length);
      const isHttp2 = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      // An HTTP/2 client sends its SETTINGS frame right after the preface: wait for its header.
      if (isHttp2 && head.length < HTTP2_PREFACE.length + FRAME_HEADER_BYTES) return;
      socket.off("data", onData);
      if (isHttp2 && mayNeedAuthorityFix(head)) {
        injector.injectConnection(replaying(socket, head));
      } else if (isHttp2) {
        // Straight to Node's HTTP/2 on the socket's own handle, which also takes the bytes
        // read so far once they are pushed back.
        socket.pause();
        socket.unshift(head);
        socket.setNoDelay(true);
        injector.injectConnection(socket);
      } else {
        socket.pause();
        socket.unshift(head);
        httpServer.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        injector.destroy();
        for (const s of sockets) s.destroy();
        httpServer.close();
        server.close(() => resolve());
      }),
  };
}
