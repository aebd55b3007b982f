/**
 * A flattened devicetree (DTB) reader: parses a blob (Devicetree
 * Specification 0.4, chapter 5) into plain nodes, checking offsets and
 * tokens so that a malformed blob is refused, never read out of bounds.
 * Used to check the writer and to inspect trees a user supplies.
 */

import { FdtError } from './errors.js';
import { FDT_HEADER_SIZE, FDT_MAGIC, FdtToken, fromUtf8 } from './format.js';

/** A parsed node: its name, its properties' raw values in blob order, its children. */
export interface FdtParsedNode {
  readonly name: string;
  readonly properties: Map<string, Uint8Array>;
  readonly children: FdtParsedNode[];
}

/** A parsed blob. */
export interface FdtParsed {
  readonly version: number;
  readonly lastCompatibleVersion: number;
  readonly bootCpuId: number;
  readonly totalSize: number;
  /** Memory reservation entries as {address, size}. */
  readonly reservations: { address: bigint; size: bigint }[];
  readonly root: FdtParsedNode;
}

/** Parses `blob`. Refuses a bad magic, offsets outside the blob, bad tokens or truncation with an {@link FdtError} `bad-blob`. */
export function parseFdt(blob: Uint8Array): FdtParsed {
  const bad = (detail: string): FdtError => new FdtError('bad-blob', '', detail);
  if (blob.length < FDT_HEADER_SIZE) throw bad(`${blob.length} bytes is shorter than a header`);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const h = (i: number): number => dv.getUint32(i * 4);
  if (h(0) !== FDT_MAGIC) throw bad(`magic 0x${h(0).toString(16)} is not 0xd00dfeed`);
  const total = h(1);
  const offStruct = h(2);
  const offStrings = h(3);
  const offRsv = h(4);
  const version = h(5);
  const sizeStrings = h(8);
  const sizeStruct = h(9);
  if (total > blob.length) throw bad(`totalsize ${total} is beyond the ${blob.length} bytes given`);
  if (version < 17) throw bad(`version ${version} is older than 17`);
  if (offStruct % 4 !== 0 || offRsv % 8 !== 0) throw bad('a block is misaligned');
  if (offStruct + sizeStruct > total || offStrings + sizeStrings > total || offRsv > total) throw bad('a block runs past totalsize');

  const reservations: { address: bigint; size: bigint }[] = [];
  for (let at = offRsv; ; at += 16) {
    if (at + 16 > total) throw bad('the reservation map is not terminated');
    const address = dv.getBigUint64(at);
    const size = dv.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }

  const structEnd = offStruct + sizeStruct;
  let at = offStruct;
  const word = (): number => {
    if (at + 4 > structEnd) throw bad('the structure block is truncated');
    const v = dv.getUint32(at);
    at += 4;
    return v;
  };
  const cstring = (from: number, limit: number): [string, number] => {
    let end = from;
    while (end < limit && blob[end] !== 0) end++;
    if (end >= limit) throw bad('an unterminated string');
    return [fromUtf8(blob, from, end), end + 1];
  };

  const stack: FdtParsedNode[] = [];
  let root: FdtParsedNode | null = null;
  for (;;) {
    const token = word();
    if (token === FdtToken.Nop) continue;
    if (token === FdtToken.BeginNode) {
      const [name, next] = cstring(at, structEnd);
      at = (next + 3) & ~3;
      const node: FdtParsedNode = { name, properties: new Map(), children: [] };
      if (stack.length === 0) {
        if (root !== null) throw bad('a second root node');
        root = node;
      } else {
        stack[stack.length - 1].children.push(node);
      }
      stack.push(node);
    } else if (token === FdtToken.Prop) {
      if (stack.length === 0) throw bad('a property outside any node');
      const len = word();
      const nameoff = word();
      if (at + len > structEnd) throw bad('a property value runs past the structure block');
      if (nameoff >= sizeStrings) throw bad('a property name offset is outside the strings block');
      const [pname] = cstring(offStrings + nameoff, offStrings + sizeStrings);
      stack[stack.length - 1].properties.set(pname, blob.slice(at, at + len));
      at = (at + len + 3) & ~3;
    } else if (token === FdtToken.EndNode) {
      if (stack.pop() === undefined) throw bad('END_NODE without a node');
    } else if (token === FdtToken.End) {
      if (stack.length !== 0 || root === null) throw bad('END inside a node or before the root');
      break;
    } else {
      throw bad(`unknown token 0x${token.toString(16)}`);
    }
  }
  return { version, lastCompatibleVersion: h(6), bootCpuId: h(7), totalSize: total, reservations, root: root! };
}

/** The node at `path` (`/`, `/soc/serial@10000000`) under `root`, or undefined. */
export function findFdtNode(root: FdtParsedNode, path: string): FdtParsedNode | undefined {
  if (path === '/') return root;
  let n: FdtParsedNode | undefined = root;
  for (const part of path.split('/').slice(1)) {
    n = n.children.find((c) => c.name === part);
    if (n === undefined) return undefined;
  }
  return n;
}

/** A property value read as big-endian 32-bit cells. Refuses a length that is not a multiple of 4. */
export function fdtValueCells(value: Uint8Array): number[] {
  if (value.length % 4 !== 0) throw new FdtError('bad-value', '', `${value.length} bytes are not whole cells`);
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(dv.getUint32(i));
  return out;
}

/** A property value read as a list of NUL-terminated strings. Refuses a value that does not end in NUL. */
export function fdtValueStrings(value: Uint8Array): string[] {
  if (value.length === 0 || value[value.length - 1] !== 0) throw new FdtError('bad-value', '', 'not a NUL-terminated string list');
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === 0) {
      out.push(fromUtf8(value, from, i));
      from = i + 1;
    }
  }
  return out;
}
