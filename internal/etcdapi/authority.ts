import type { Header } from "./hpack.js";
import { HpackDecoder, encodeLiterals } from "./hpack.js";

const PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const TYPE_HEADERS = 0x1;
const TYPE_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** HTTP/2's default SETTINGS_MAX_FRAME_SIZE, which Node's server keeps. */
const MAX_FRAME_PAYLOAD = 16384;

/** An :authority nghttp2 accepts: RFC 3986 authority characters only (no scheme, no path). */
function validAuthority(a: string): boolean {
  return /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/.test(a);
}

/** `http://host:port/anything` → `host:port`. */
function stripToAuthority(a: string): string {
  return a.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/**
 * Makes etcd clients' gRPC requests acceptable to Node's HTTP/2. etcdctl 3.4 dials members by
 * their client URL and sends `:authority: http://host:port`, which grpc-go's server takes but
 * nghttp2 (inside Node) refuses with a stream error. This sits on the client-to-server bytes of
 * a gRPC connection: it reads the first request's headers and, when the authority is fine (every
 * other client), steps aside for the rest of the connection. Otherwise it keeps decoding the
 * client's header blocks and re-encodes each one with the authority reduced to host:port.
 */
export class AuthorityFixer {
  private buf: Buffer = Buffer.alloc(0);
  private phase: "preface" | "frames" | "passthrough" = "preface";
  private rewriting = false;
  private readonly decoder = new HpackDecoder();
  /** A HEADERS frame waiting for its CONTINUATION frames. */
  private pending: { streamId: number; flags: number; fragments: Buffer[]; raw: Buffer[] } | undefined;

  /** Feed bytes from the client; returns the bytes to hand to the server. */
  push(chunk: Buffer): Buffer {
    if (this.phase === "passthrough") return chunk;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    if (this.phase === "preface") {
      if (this.buf.length < PREFACE_BYTES) return Buffer.alloc(0);
      out.push(this.buf.subarray(0, PREFACE_BYTES));
      this.buf = this.buf.subarray(PREFACE_BYTES);
      this.phase = "frames";
    }
    while (this.phase === "frames" && this.buf.length >= FRAME_HEADER_BYTES) {
      const length = this.buf.readUIntBE(0, 3);
      if (this.buf.length < FRAME_HEADER_BYTES + length) break;
      const raw = this.buf.subarray(0, FRAME_HEADER_BYTES + length);
      this.buf = this.buf.subarray(FRAME_HEADER_BYTES + length);
      out.push(this.onFrame(raw));
    }
    if (this.steppedAside() && this.buf.length > 0) {
      out.push(this.buf);
      this.buf = Buffer.alloc(0);
    }
    return Buffer.concat(out);
  }

  /** (A method, so that TypeScript does not narrow the phase across onFrame's change of it.) */
  private steppedAside(): boolean {
    return this.phase === "passthrough";
  }

  private onFrame(raw: Buffer): Buffer {
    const type = raw[3] as number;
    const flags = raw[4] as number;
    const streamId = raw.readUInt32BE(5) & 0x7fffffff;
    const payload = raw.subarray(FRAME_HEADER_BYTES);
    if (type === TYPE_HEADERS) {
      let start = 0;
      let end = payload.length;
      if (flags & FLAG_PADDED) {
        end -= payload[0] as number;
        start = 1;
      }
      if (flags & FLAG_PRIORITY) start += 5;
      this.pending = { streamId, flags, fragments: [payload.subarray(start, Math.max(start, end))], raw: [raw] };
    } else if (type === TYPE_CONTINUATION && this.pending) {
      this.pending.fragments.push(payload);
      this.pending.raw.push(raw);
    } else {
      return raw;
    }
    if ((flags & FLAG_END_HEADERS) === 0) return Buffer.alloc(0);
    const block = this.pending;
    this.pending = undefined;
    return this.onHeaderBlock(block);
  }

  private onHeaderBlock(block: { streamId: number; flags: number; fragments: Buffer[]; raw: Buffer[] }): Buffer {
    const headers = this.decoder.decode(Buffer.concat(block.fragments));
    const authority = headers.find((h) => h[0] === ":authority")?.[1];
    if (!this.rewriting) {
      if (authority === undefined || validAuthority(authority)) {
        // The server's view of the client's HPACK state matches ours: step aside for good.
        this.phase = "passthrough";
        return Buffer.concat(block.raw);
      }
      this.rewriting = true;
    }
    const fixed: Header[] = headers.map((h) => (h[0] === ":authority" ? [h[0], stripToAuthority(h[1])] : h));
    const encoded = encodeLiterals(fixed);
    const frames: Buffer[] = [];
    for (let off = 0; off < encoded.length || off === 0; off += MAX_FRAME_PAYLOAD) {
      const part = encoded.subarray(off, off + MAX_FRAME_PAYLOAD);
      const last = off + MAX_FRAME_PAYLOAD >= encoded.length;
      const flags = off === 0 ? (block.flags & FLAG_END_STREAM) | (last ? FLAG_END_HEADERS : 0) : last ? FLAG_END_HEADERS : 0;
      frames.push(frame(off === 0 ? TYPE_HEADERS : TYPE_CONTINUATION, flags, block.streamId, part));
      if (last) break;
    }
    return Buffer.concat(frames);
  }
}
