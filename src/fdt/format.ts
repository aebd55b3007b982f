/**
 * Constants of the flattened devicetree format (Devicetree Specification
 * 0.4, chapter 5) shared by the writer and the reader.
 */

/** Header magic (5.2). */
export const FDT_MAGIC = 0xd00dfeed;
/** The version written (5.2: version 17, compatible back to 16). */
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
/** Header size of a version 17 blob: ten 32-bit fields. */
export const FDT_HEADER_SIZE = 40;

/** Structure block tokens (5.4.1). */
export const FdtToken = Object.freeze({
  BeginNode: 0x1,
  EndNode: 0x2,
  Prop: 0x3,
  Nop: 0x4,
  End: 0x9,
} as const);

// Character scans, not RegExps: a module-level RegExp is corrupted by Moddable 8.2.3's
// preload (docs/moddable.md, "The stock SDK's defects"), and a literal is compiled at each
// call with C malloc outside XS's heap, where a Pico has about 3 KiB to spare: compiling the
// node-name pattern there panicked the instrumented firmware ("Out of memory").

/** True when code unit `c` may appear in a node name (2.2.1, table 2.1), or with `property` in a property name (2.2.4, table 2.2). */
function isNameChar(c: number, property: boolean): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  // , . _ + -
  if (c === 0x2c || c === 0x2e || c === 0x5f || c === 0x2b || c === 0x2d) return true;
  // ? #
  return property && (c === 0x3f || c === 0x23);
}

/** Takes a node name; true when its characters are valid (2.2.1, table 2.1), before and after '@'. */
export function isNodeName(name: string): boolean {
  const first = name.charCodeAt(0);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return false;
  let at = -1;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x40 && at < 0) at = i;
    else if (!isNameChar(c, false)) return false;
  }
  // 1 to 31 characters before '@'; at least one after it.
  return at < 0 ? name.length <= 31 : at <= 31 && at < name.length - 1;
}

/** Takes a property name; true when it has 1 to 31 valid characters (2.2.4, table 2.2). */
export function isPropertyName(name: string): boolean {
  if (name.length < 1 || name.length > 31) return false;
  for (let i = 0; i < name.length; i++) if (!isNameChar(name.charCodeAt(i), true)) return false;
  return true;
}

/** Encodes a string as UTF-8 (device tree strings are normally ASCII). */
export function utf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** Decodes UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  let i = start;
  while (i < end) {
    const b = bytes[i++];
    let c: number;
    let more: number;
    if (b < 0x80) { c = b; more = 0; }
    else if (b >= 0xf0) { c = b & 7; more = 3; }
    else if (b >= 0xe0) { c = b & 15; more = 2; }
    else if (b >= 0xc0) { c = b & 31; more = 1; }
    else { s += '\ufffd'; continue; }
    let ok = true;
    for (let k = 0; k < more; k++) {
      if (i >= end || (bytes[i] & 0xc0) !== 0x80) { ok = false; break; }
      c = (c << 6) | (bytes[i++] & 63);
    }
    s += ok ? String.fromCodePoint(c) : '\ufffd';
  }
  return s;
}
