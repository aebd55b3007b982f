/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final
 * value 0xFFFFFFFF): the checksum of zlib, PNG and `cksum -a crc32b`, so a
 * file can be checked with common tools. Check value: "123456789" gives
 * 0xCBF43926.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * Takes bytes and, to continue a running checksum, the previous result;
 * returns the CRC-32 (unsigned) of everything so far.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
