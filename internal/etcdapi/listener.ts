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

/**
 * The socket as a stream that first yields the bytes already read from it. Node's HTTP/2 takes
 * over a real socket's native handle and would never see bytes read before it; through a plain
 * Duplex it reads what the stream yields. (HTTP/1's parser does see unshifted bytes.) The
 * client's bytes pass through an AuthorityFixer on the way.
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
      if (isHttp2 && head.length < HTTP2_PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      if (isHttp2) {
        injector.injectConnection(replaying(socket, head));
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
