/**
 * The app's data in flash: reading Resources by name, in place.
 *
 * A Moddable Resource is a read-only HostBuffer over flash; a Uint8Array
 * made on it is a view, not a copy, which is what keeps a guest image out
 * of RAM. Text (the board file) is decoded here because XS on a board has
 * no TextDecoder unless a module brings one in.
 */

import { ModdableAppError } from './errors.js';

/** The parts of Moddable's `Resource` module used here: constructing one yields a HostBuffer (viewed like an ArrayBuffer). */
export interface ResourceClassLike {
  new (name: string): object;
  exists(name: string): boolean;
}

/**
 * Takes the Resource class and a resource name; returns a view of its
 * bytes (no copy). Refuses a name that is not in flash with a
 * {@link ModdableAppError} (`missing-resource`).
 */
export function resourceBytes(ResourceClass: ResourceClassLike, name: string): Uint8Array {
  if (!ResourceClass.exists(name)) {
    throw new ModdableAppError('missing-resource', name, 'is not among the resources built into the app (see manifest.json "data")');
  }
  // A HostBuffer is not an ArrayBuffer to TypeScript, but Uint8Array views it in place just the same.
  return new Uint8Array(new ResourceClass(name) as ArrayBuffer);
}

/**
 * Decodes UTF-8 (RFC 3629). Refuses malformed input, overlong forms,
 * surrogates and code points past U+10FFFF with a {@link ModdableAppError}
 * (`bad-resource`) naming `name` and the byte offset.
 */
export function decodeUtf8(bytes: Uint8Array, name: string): string {
  const fail = (at: number): never => {
    throw new ModdableAppError('bad-resource', name, `is not valid UTF-8 (byte offset ${at})`);
  };
  let out = '';
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      // Runs of ASCII are the common case: one append per run (of at most 256, to bound the argument list).
      let j = i + 1;
      while (j < n && j - i < 256 && bytes[j] < 0x80) j++;
      out += String.fromCharCode(...bytes.subarray(i, j));
      i = j;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
      min = 0x10000;
    } else {
      return fail(i);
    }
    if (i + need > n - 1) return fail(i);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return fail(i + k);
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return fail(i);
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
