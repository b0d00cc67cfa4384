/**
 * `@httpserver/core/platform`: what an adapter implements and the helpers adapters share. A user
 * of the server classes does not need it; a runtime adapter is written against it.
 * @module
 */
export { allocBytes } from "../http/chars.ts";
export { fsdecode, fsencode, hasLoneSurrogate } from "../python/codecs.ts";
export {
  CLIENT_GONE_ACCEPT_ERRORS,
  WRITE_HIGH_WATER_MARK,
  acceptBackoff,
  descriptorLimitFromProcLimits,
  listenDualStack,
  noIPv6,
} from "./listen.ts";
export { zlibCompression, zlibRawDeflate, type StreamModule, type ZlibModule, type ZlibRawStream, type ZlibStream } from "./compress.ts";
export { readableChunks, type ChunkReader } from "./streams.ts";
export { checkTLSConfig, pemBlocks, tlsConfigError, type PEMBlock, type TLSCheckCrypto } from "./tls.ts";
export * from "./types.ts";
