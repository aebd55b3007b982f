/**
 * Netstrings (`LEN:BYTES,`), the framing xsnap-worker speaks on fds 3 and 4.
 */

/** Frames one message. */
export function encodeNetstring(payload: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${payload.length}:`);
  const out = new Uint8Array(head.length + payload.length + 1);
  out.set(head, 0);
  out.set(payload, head.length);
  out[out.length - 1] = 0x2c; // ','
  return out;
}

/** A malformed frame: the peer is not speaking netstrings (or died mid-frame). */
export class NetstringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetstringError';
  }
}

/**
 * Incremental decoder: feed it chunks as they arrive, take whole messages out.
 * Messages may be split across chunks and several may share one chunk.
 */
export class NetstringDecoder {
  private buf: Uint8Array = new Uint8Array(0);

  /** Appends a chunk and returns every message it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.buf.length === 0) this.buf = chunk;
    else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a); // ':'
      if (colon < 0) {
        if (this.buf.length > 20) throw new NetstringError('no length prefix in the first 20 bytes');
        break;
      }
      let len = 0;
      for (let i = 0; i < colon; i++) {
        const d = this.buf[i]! - 0x30;
        if (d < 0 || d > 9) throw new NetstringError(`bad length prefix ${JSON.stringify(new TextDecoder().decode(this.buf.subarray(0, colon)))}`);
        len = len * 10 + d;
      }
      if (colon === 0) throw new NetstringError('empty length prefix');
      const end = colon + 1 + len;
      if (this.buf.length < end + 1) break;
      if (this.buf[end] !== 0x2c) throw new NetstringError('missing "," after a message');
      out.push(this.buf.slice(colon + 1, end));
      this.buf = this.buf.subarray(end + 1);
    }
    return out;
  }

  /** Bytes of an unfinished message still held. */
  get pending(): number {
    return this.buf.length;
  }
}
