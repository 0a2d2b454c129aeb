import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { streamPreface } from "./stream-wire.js";

/** Every HTTP/2 connection, gRPC's included, opens with this preface. */
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Whether head is a prefix of preface, or preface a prefix of head. */
function opensWith(head: Buffer, preface: Buffer): boolean {
  const n = Math.min(head.length, preface.length);
  return head.subarray(0, n).equals(preface.subarray(0, n));
}

/** Where a peer port hands each connection once its first bytes are read. */
export interface PeerConnectionHandlers {
  /** A message stream; its preface has been consumed. */
  stream(socket: Socket): void;
  /** An HTTP/2 connection (gRPC); nothing has been consumed. */
  grpc(socket: Socket): void;
}

export interface PeerListener {
  readonly port: number;
  close(): void;
}

/**
 * Listen on one peer address and route each connection by its first bytes: message streams
 * (stream-wire.ts) to one handler, HTTP/2 to gRPC; anything else is closed.
 */
export async function listenPeerPort(host: string, port: number, handlers: PeerConnectionHandlers): Promise<PeerListener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.setNoDelay(true);
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const isStream = opensWith(head, streamPreface);
      const isHttp2 = opensWith(head, http2Preface);
      if (!isStream && !isHttp2) {
        socket.destroy();
        return;
      }
      if (head.length < (isStream ? streamPreface : http2Preface).length) return;
      socket.off("data", onData);
      socket.pause();
      if (isStream) {
        const rest = head.subarray(streamPreface.length);
        if (rest.length > 0) socket.unshift(rest);
        handlers.stream(socket);
        socket.resume();
      } else {
        // Node's HTTP/2 reads the socket's handle itself, and the bytes pushed back first.
        socket.unshift(head);
        handlers.grpc(socket);
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
  return {
    port: typeof address === "object" && address !== null ? address.port : port,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
