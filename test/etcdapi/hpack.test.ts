import assert from "node:assert/strict";
import { test } from "node:test";
import { AuthorityFixer } from "../../internal/etcdapi/authority.js";
import { HpackDecoder, encodeLiterals, huffmanCode } from "../../internal/etcdapi/hpack.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ""), "hex");

test("Huffman codes derived from the lengths match RFC 7541 Appendix B", () => {
  assert.deepEqual(huffmanCode(0), { code: 0x1ff8, bits: 13 });
  assert.deepEqual(huffmanCode("0".charCodeAt(0)), { code: 0x0, bits: 5 });
  assert.deepEqual(huffmanCode(" ".charCodeAt(0)), { code: 0x14, bits: 6 });
  assert.deepEqual(huffmanCode("/".charCodeAt(0)), { code: 0x18, bits: 6 });
  assert.deepEqual(huffmanCode(255), { code: 0x3ffffee, bits: 26 });
});

test("RFC 7541 C.3 and C.4: requests decode with and without Huffman, and the dynamic table", () => {
  for (const [first, second] of [
    ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865"],
    ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf"],
  ] as const) {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex(first)), [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]]);
    assert.deepEqual(d.decode(hex(second)), [
      [":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], ["cache-control", "no-cache"],
    ]);
  }
});

test("literals never indexed round trip", () => {
  const h = [[":authority", "a:1"], ["x-long", "v".repeat(300)]] as const;
  assert.deepEqual(new HpackDecoder().decode(encodeLiterals(h)), h);
});

function headersFrame(streamId: number, block: Buffer, flags = 0x4 | 0x1): Buffer {
  const f = Buffer.alloc(9);
  f.writeUIntBE(block.length, 0, 3);
  f[3] = 0x1;
  f[4] = flags;
  f.writeUInt32BE(streamId, 5);
  return Buffer.concat([f, block]);
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

test("a connection with a valid authority passes through byte for byte", () => {
  const fixer = new AuthorityFixer();
  const bytes = Buffer.concat([preface, headersFrame(1, hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")), Buffer.from("trailing data")]);
  const out = Buffer.concat([fixer.push(bytes.subarray(0, 10)), fixer.push(bytes.subarray(10))]);
  assert.deepEqual(out, bytes);
});

test("an authority with a scheme is rewritten to host:port on every request of the connection", () => {
  const fixer = new AuthorityFixer();
  const bad = encodeLiterals([[":method", "POST"], [":authority", "http://127.0.0.1:2379"], [":path", "/etcdserverpb.Maintenance/Status"]]);
  const out = fixer.push(Buffer.concat([preface, headersFrame(1, bad), headersFrame(3, bad)]));
  const d = new HpackDecoder();
  let pos = preface.length;
  for (const stream of [1, 3]) {
    const len = out.readUIntBE(pos, 3);
    assert.equal(out[pos + 3], 0x1);
    assert.equal(out.readUInt32BE(pos + 5), stream);
    const headers = d.decode(out.subarray(pos + 9, pos + 9 + len));
    assert.deepEqual(headers.find((h) => h[0] === ":authority"), [":authority", "127.0.0.1:2379"]);
    pos += 9 + len;
  }
  assert.equal(pos, out.length);
});
