/**
 * HPACK (RFC 7541): the Appendix C examples byte for byte, both ways; Huffman's padding rules;
 * the decoder's refusals (COMPRESSION_ERROR) and limits; and, as properties, that any field list
 * survives an encode–decode round trip and any string a Huffman round trip.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompressionError, HpackDecoder, HpackEncoder } from "../src/h2/hpack.js";
import { huffmanDecode, huffmanEncode, huffmanLength } from "../src/h2/huffman.js";

const hex = (text: string): Uint8Array => Uint8Array.from((text.replace(/\s/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));
const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const REQUESTS = [
  [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"],
  [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", "cache-control", "no-cache"],
  [":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority", "www.example.com", "custom-key", "custom-value"],
];
const RESPONSES = [
  [":status", "302", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com"],
  [":status", "307", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com"],
  [
    ":status",
    "200",
    "cache-control",
    "private",
    "date",
    "Mon, 21 Oct 2013 20:13:22 GMT",
    "location",
    "https://www.example.com",
    "content-encoding",
    "gzip",
    "set-cookie",
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
  ],
];

/** RFC 7541 Appendix C.3–C.6: blocks in order on one connection, the table size after each. */
const SEQUENCES = {
  "C.3 requests without Huffman": {
    tableSize: 4096,
    huffman: false,
    lists: REQUESTS,
    sizes: [57, 110, 164],
    blocks: [
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ],
  },
  "C.4 requests with Huffman": {
    tableSize: 4096,
    huffman: true,
    lists: REQUESTS,
    sizes: [57, 110, 164],
    blocks: [
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ],
  },
  "C.5 responses without Huffman, 256-byte table": {
    tableSize: 256,
    huffman: false,
    lists: RESPONSES,
    sizes: [222, 222, 215],
    blocks: [
      "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "4803 3330 37c1 c0bf",
      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
    ],
  },
  "C.6 responses with Huffman, 256-byte table": {
    tableSize: 256,
    huffman: true,
    lists: RESPONSES,
    sizes: [222, 222, 215],
    blocks: [
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
      "4883 640e ffc1 c0bf",
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ],
  },
};

const decodeAll = (decoder: HpackDecoder, block: Uint8Array): string[] => decoder.decode(block, 1 << 20, 1000).fields;

describe("RFC 7541 Appendix C, byte for byte", () => {
  it("C.2: one field of each representation", () => {
    const decoder = new HpackDecoder();
    expect(decodeAll(decoder, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([
      "custom-key",
      "custom-header",
    ]);
    expect(decodeAll(decoder, hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([":path", "/sample/path"]);
    expect(decodeAll(decoder, hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))).toEqual(["password", "secret"]);
    expect(decodeAll(decoder, hex("82"))).toEqual([":method", "GET"]);
    // Only the first (incremental indexing) entered the table: index 62 is it.
    expect(decodeAll(decoder, hex("be"))).toEqual(["custom-key", "custom-header"]);
    expect(() => decodeAll(decoder, hex("bf"))).toThrow(CompressionError);
  });

  for (const [name, sequence] of Object.entries(SEQUENCES)) {
    it(`${name}: decoded`, () => {
      const decoder = new HpackDecoder(sequence.tableSize);
      sequence.blocks.forEach((block, i) => expect(decodeAll(decoder, hex(block))).toEqual(sequence.lists[i]));
    });
    it(`${name}: encoded`, () => {
      const encoder = new HpackEncoder({ maxTableSize: sequence.tableSize, huffman: sequence.huffman, notIndexed: new Set() });
      sequence.lists.forEach((list, i) => expect(toHex(encoder.encode(list))).toBe(sequence.blocks[i].replace(/\s/g, "")));
    });
  }
});

describe("Huffman code (RFC 7541 §5.2, Appendix B)", () => {
  it("encodes and decodes 'www.example.com' as in C.4.1", () => {
    const out = new Uint8Array(huffmanLength("www.example.com"));
    expect(huffmanEncode("www.example.com", out, 0)).toBe(12);
    expect(toHex(out)).toBe("f1e3c2e5f23a6ba0ab90f4ff");
    expect(huffmanDecode(out)).toBe("www.example.com");
  });

  it("refuses padding longer than 7 bits, padding that is not EOS's prefix, and EOS itself", () => {
    // h2spec hpack/5.2/1–3: "custom-key" coded, then the value's bad codes.
    expect(huffmanDecode(hex("9c48aca4"))).toBe("h2spec");
    expect(huffmanDecode(hex("49509fff"))).toBeNull();
    expect(huffmanDecode(hex("495090"))).toBeNull();
    expect(huffmanDecode(hex("4951fffffffa7f"))).toBeNull();
    expect(huffmanDecode(hex("ffffffff"))).toBeNull();
    expect(huffmanDecode(hex(""))).toBe("");
  });

  it("round-trips any octets", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = String.fromCharCode(...bytes);
        const out = new Uint8Array(huffmanLength(text));
        expect(huffmanEncode(text, out, 0)).toBe(out.length);
        expect(huffmanDecode(out)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the decoder's refusals and limits", () => {
  const header = hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff");
  const bad = {
    "index 0 (h2spec hpack/6.1)": "80",
    "an index past the dynamic table (hpack/2.3.3/1)": "c6",
    "a literal whose name index is past the tables (hpack/2.3.3/2)": "7f07 00",
    "a table size update after a field (hpack/4.2)": "21",
    "a string longer than the block": "00 85 f2b2",
    "an integer that overflows": "ff ffffffffff7f",
    "a truncated integer": "ff ff",
    "an EOS inside a Huffman string (hpack/5.2/3)": "00 85 f2b24a84ff 87 4951fffffffa7f",
  };
  for (const [what, suffix] of Object.entries(bad)) {
    it(`COMPRESSION_ERROR: ${what}`, () => {
      const block = Uint8Array.from([...header, ...hex(suffix)]);
      expect(() => new HpackDecoder().decode(block, 65536, 100)).toThrow(CompressionError);
    });
  }

  it("a table size update up to the advertised size is taken, one above it refused (hpack/6.3)", () => {
    expect(new HpackDecoder(4096).decode(Uint8Array.from([...hex("3fe11f"), ...header]), 65536, 100).fields).toHaveLength(8);
    expect(() => new HpackDecoder(4096).decode(Uint8Array.from([...hex("3fe21f"), ...header]), 65536, 100)).toThrow(CompressionError);
    // Two updates at the start (the smallest, then the final) are fine; the table empties.
    const decoder = new HpackDecoder();
    decodeAll(decoder, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    decodeAll(decoder, hex("20 3fe11f 82"));
    expect(() => decodeAll(decoder, hex("be"))).toThrow(CompressionError);
  });

  it("an HPACK bomb: references to one large entry are counted as decoded, and dropped past the limit", () => {
    const decoder = new HpackDecoder();
    const value = "x".repeat(3000);
    const literal = Uint8Array.from([0x40, 0x01, 0x61, 0x7f, ...[3000 - 127].flatMap(encodeRest), ...new TextEncoder().encode(value)]);
    const refs = new Uint8Array(1000).fill(0xbe);
    const result = decoder.decode(Uint8Array.from([...literal, ...refs]), 65536, 10000);
    expect(result.oversized).toBe(true);
    expect(result.fields).toEqual([]);
    // The table stayed in step: the next block can still use the entry.
    expect(decoder.decode(hex("be"), 65536, 100).fields).toEqual(["a", value]);
  });

  it("an oversized block keeps the pseudo-header fields decoded before the limit (for the 431's log line)", () => {
    const decoder = new HpackDecoder();
    // :method GET, :path /, then 101 × :scheme http (a regular field after them ends the prefix).
    const block = Uint8Array.from([0x82, 0x84, 0x40, 0x01, 0x61, 0x01, 0x62, ...new Uint8Array(101).fill(0x86)]);
    const result = decoder.decode(block, 65536, 100);
    expect(result.oversized).toBe(true);
    expect(result.fields).toEqual([":method", "GET", ":path", "/"]);
  });

  it("more fields than allowed make the block oversized", () => {
    const block = new Uint8Array(101).fill(0x82);
    expect(new HpackDecoder().decode(block, 65536, 100).oversized).toBe(true);
    expect(new HpackDecoder().decode(block.subarray(1), 65536, 100).fields).toHaveLength(200);
  });
});

/** The continuation bytes of an HPACK integer's remainder (RFC 7541 §5.1). */
function encodeRest(rest: number): number[] {
  const out: number[] = [];
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  out.push(rest);
  return out;
}

describe("round trips", () => {
  const token = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
  const value = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 });
  it("any sequence of field lists decodes to what was encoded, tables in step", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.tuple(fc.oneof(token, fc.constantFrom(":status", "date", "content-type", "set-cookie")), value), { maxLength: 12 }),
          { maxLength: 8 },
        ),
        fc.integer({ min: 0, max: 4096 }),
        (lists, tableSize) => {
          const encoder = new HpackEncoder();
          const decoder = new HpackDecoder();
          encoder.setMaxTableSize(tableSize);
          for (const list of lists) {
            const flat = list.flat();
            expect(decoder.decode(encoder.encode(flat), 1 << 20, 1000).fields).toEqual(flat);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
