/**
 * Just enough HPACK (RFC 7541) to read the header blocks a client sends: integer and string
 * decoding, the Huffman code, the static table and a client's dynamic table. Encoding is the
 * simplest valid form: literals never indexed, without Huffman.
 */

/** Bit lengths of the Huffman codes of symbols 0-255 (RFC 7541 Appendix B); EOS is 30 ones. */
const huffmanLengths = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
];

/**
 * The code is canonical: codes are consecutive within a length, in symbol order, and each
 * longer length continues from the shorter one shifted left. So the lengths alone define it.
 * Keyed by length·2^32 + code.
 */
const huffmanDecode: ReadonlyMap<number, number> = (() => {
  const symbols = huffmanLengths.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym);
  const table = new Map<number, number>();
  let code = 0;
  let len = symbols[0]?.len ?? 0;
  for (const s of symbols) {
    code <<= s.len - len;
    len = s.len;
    table.set(len * 2 ** 32 + code, s.sym);
    code++;
  }
  return table;
})();

/** The Huffman code of a symbol, for tests of the table against RFC 7541's listed codes. */
export function huffmanCode(symbol: number): { code: number; bits: number } | undefined {
  for (const [key, sym] of huffmanDecode) {
    if (sym === symbol) return { code: key % 2 ** 32, bits: Math.floor(key / 2 ** 32) };
  }
  return undefined;
}

export class HpackError extends Error {
  override readonly name = "HpackError";
}

function huffmanDecodeString(bytes: Uint8Array): string {
  let out = "";
  let code = 0;
  let len = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const sym = huffmanDecode.get(len * 2 ** 32 + code);
      if (sym !== undefined) {
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len > 30) {
        throw new HpackError("invalid Huffman code");
      }
    }
  }
  // What is left must be a prefix of EOS (all ones), shorter than a byte.
  if (len >= 8 || code !== 2 ** len - 1) throw new HpackError("invalid Huffman padding");
  return out;
}

/** RFC 7541 Appendix A. */
const staticTable: readonly (readonly [string, string])[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

export type Header = readonly [name: string, value: string];

/** Decodes one direction's header blocks, keeping that direction's dynamic table. */
export class HpackDecoder {
  private dynamic: Header[] = [];
  private size = 0;

  constructor(private maxSize = 4096) {}

  private entry(index: number): Header {
    const e = index <= staticTable.length ? staticTable[index - 1] : this.dynamic[index - staticTable.length - 1];
    if (index === 0 || e === undefined) throw new HpackError(`header index ${index} out of range`);
    return e;
  }

  private add(h: Header): void {
    this.dynamic.unshift(h);
    this.size += h[0].length + h[1].length + 32;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize) {
      const last = this.dynamic.pop();
      if (!last) break;
      this.size -= last[0].length + last[1].length + 32;
    }
  }

  decode(block: Uint8Array): Header[] {
    const headers: Header[] = [];
    let pos = 0;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let v = (block[pos++] as number) & mask;
      if (v < mask) return v;
      let shift = 0;
      for (;;) {
        if (pos >= block.length) throw new HpackError("truncated integer");
        const b = block[pos++] as number;
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) return v;
        if (shift > 28) throw new HpackError("integer too large");
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new HpackError("truncated string");
      const huffman = ((block[pos] as number) & 0x80) !== 0;
      const len = int(7);
      if (pos + len > block.length) throw new HpackError("truncated string");
      const bytes = block.subarray(pos, pos + len);
      pos += len;
      return huffman ? huffmanDecodeString(bytes) : Buffer.from(bytes).toString("latin1");
    };
    while (pos < block.length) {
      const b = block[pos] as number;
      if (b & 0x80) {
        headers.push(this.entry(int(7)));
      } else if (b & 0x40) {
        const index = int(6);
        const name = index === 0 ? str() : this.entry(index)[0];
        const h: Header = [name, str()];
        headers.push(h);
        this.add(h);
      } else if (b & 0x20) {
        this.maxSize = int(5);
        this.evict();
      } else {
        const index = int(4);
        const name = index === 0 ? str() : this.entry(index)[0];
        headers.push([name, str()]);
      }
    }
    return headers;
  }
}

function encodeInt(out: number[], value: number, prefixBits: number, first: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(first | value);
    return;
  }
  out.push(first | mask);
  let v = value - mask;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * Encode headers as literals never indexed, without Huffman: valid for any decoder state and
 * leaves the receiver's dynamic table untouched.
 */
export function encodeLiterals(headers: readonly Header[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    out.push(0x10);
    for (const s of [name, value]) {
      const bytes = Buffer.from(s, "latin1");
      encodeInt(out, bytes.length, 7, 0);
      for (const b of bytes) out.push(b);
    }
  }
  return Buffer.from(out);
}
