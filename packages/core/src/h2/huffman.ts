/**
 * HPACK's Huffman code (RFC 7541 §5.2, Appendix B): decoding four bits at a time through a table
 * built once from the code, with the padding rules checked, and encoding.
 * @module
 */

import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffmantable.ts";

const EOS = 256;

/**
 * The decoding automaton. A state is an internal node of the code's tree (0 = the root); for each
 * state and nibble, `NEXT` gives the state after those four bits, `EMIT` the symbol completed on
 * the way (or -1; no code is shorter than five bits, so at most one) and `FAIL` whether they run
 * into EOS. `ACCEPT[state]`: the input may end here — at the root, or after at most seven bits of
 * the EOS code's leading ones (RFC 7541 §5.2: padding).
 */
const { NEXT, EMIT, FAIL, ACCEPT } = buildAutomaton();

function buildAutomaton() {
  // The tree: children[2 * node + bit] is a node index (> 0) or -(symbol + 1) for a leaf.
  const children: number[] = [0, 0];
  for (let symbol = 0; symbol <= EOS; symbol++) {
    const code = HUFFMAN_CODES[symbol];
    const length = HUFFMAN_LENGTHS[symbol];
    let node = 0;
    for (let i = length - 1; i >= 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (i === 0) children[slot] = -(symbol + 1);
      else {
        if (children[slot] === 0) {
          children[slot] = children.length / 2;
          children.push(0, 0);
        }
        node = children[slot];
      }
    }
  }
  const nodes = children.length / 2;
  const next = new Uint16Array(nodes * 16);
  const emit = new Int16Array(nodes * 16).fill(-1);
  const fail = new Uint8Array(nodes * 16);
  const accept = new Uint8Array(nodes);
  // The EOS path's first seven nodes (all-ones prefixes shorter than a byte) may end the input.
  accept[0] = 1;
  for (let node = 0, depth = 0; depth < 7; depth++) {
    node = children[2 * node + 1];
    accept[node] = 1;
  }
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      const at = state * 16 + nibble;
      for (let i = 3; i >= 0; i--) {
        const child = children[2 * node + ((nibble >>> i) & 1)];
        if (child > 0) node = child;
        else if (-child - 1 === EOS) fail[at] = 1;
        else {
          emit[at] = -child - 1;
          node = 0;
        }
      }
      next[at] = node;
    }
  }
  return { NEXT: next, EMIT: emit, FAIL: fail, ACCEPT: accept };
}

/**
 * Decodes a Huffman-coded string to its octets as a string of ISO-8859-1 characters, or returns
 * `null` when the input is not a valid encoding (EOS inside it, padding longer than seven bits or
 * not a prefix of EOS: RFC 7541 §5.2, a COMPRESSION_ERROR).
 */
export function huffmanDecode(bytes: Uint8Array): string | null {
  let state = 0;
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    let at = state * 16 + (byte >>> 4);
    if (FAIL[at] === 1) return null;
    if (EMIT[at] >= 0) out += String.fromCharCode(EMIT[at]);
    state = NEXT[at];
    at = state * 16 + (byte & 0x0f);
    if (FAIL[at] === 1) return null;
    if (EMIT[at] >= 0) out += String.fromCharCode(EMIT[at]);
    state = NEXT[at];
  }
  return ACCEPT[state] === 1 ? out : null;
}

/** The length in bytes of `text`'s Huffman encoding (its characters taken as octets). */
export function huffmanLength(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length; i++) bits += HUFFMAN_LENGTHS[text.charCodeAt(i) & 0xff];
  return (bits + 7) >>> 3;
}

/**
 * Writes `text`'s Huffman encoding (its characters taken as octets) into `out` at `offset`,
 * padded with the EOS code's leading ones (RFC 7541 §5.2); returns the offset after it. `out`
 * must have {@link huffmanLength} bytes free.
 */
export function huffmanEncode(text: string, out: Uint8Array, offset: number): number {
  // `pending` holds fewer than 8 bits, so `pending * 2^length + code` stays below 2^38.
  let pending = 0;
  let bits = 0;
  let at = offset;
  for (let i = 0; i < text.length; i++) {
    const symbol = text.charCodeAt(i) & 0xff;
    const length = HUFFMAN_LENGTHS[symbol];
    pending = pending * 2 ** length + HUFFMAN_CODES[symbol];
    bits += length;
    while (bits >= 8) {
      bits -= 8;
      const scale = 2 ** bits;
      const byte = Math.floor(pending / scale);
      out[at++] = byte;
      pending -= byte * scale;
    }
  }
  if (bits > 0) out[at++] = (pending << (8 - bits)) | (0xff >>> bits);
  return at;
}
