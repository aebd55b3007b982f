/**
 * A flattened devicetree (DTB) writer: build a tree of nodes and
 * properties, then serialise it as the Devicetree Specification 0.4,
 * chapter 5, lays it out: a 40-byte header (version 17), the memory
 * reservation block at 40 (8-byte aligned, ended by a zero entry), the
 * structure block (4-byte aligned tokens and values), the strings block
 * (each property name once). Everything is big-endian; a node's
 * properties precede its children (5.4.2). The blob is sized exactly
 * before it is written, so writing allocates one buffer.
 */

import { FdtError } from './errors.js';
import {
  FDT_HEADER_SIZE,
  FDT_LAST_COMP_VERSION,
  FDT_MAGIC,
  FDT_VERSION,
  FdtToken,
  isNodeName,
  isPropertyName,
  utf8,
} from './format.js';

const TWO32 = 2 ** 32;

/** One memory reservation (5.3): a physical range the client must not use. */
export interface FdtReservation {
  readonly address: number | bigint;
  readonly size: number | bigint;
}

function checkU32(v: number, path: string): number {
  if (!Number.isInteger(v) || v < 0 || v >= TWO32) throw new FdtError('bad-value', path, `cell ${v} is not an integer in [0, 2^32)`);
  return v;
}

function splitU64(v: number | bigint, path: string): [number, number] {
  if (typeof v === 'bigint') {
    if (v < 0n || v >= 1n << 64n) throw new FdtError('bad-value', path, `${v} is not an unsigned 64-bit value`);
    return [Number(v >> 32n), Number(v & 0xffffffffn)];
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new FdtError('bad-value', path, `${v} is not a non-negative safe integer`);
  const hi = Math.floor(v / TWO32);
  return [hi, v - hi * TWO32];
}

/** Encodes 32-bit cells big-endian (`<a b c>`). Refuses values outside [0, 2^32) with an {@link FdtError}. */
export function fdtCells(cells: readonly number[], path = ''): Uint8Array {
  const out = new Uint8Array(cells.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < cells.length; i++) dv.setUint32(i * 4, checkU32(cells[i], path));
  return out;
}

/** Encodes one 64-bit value as two cells, high first (`/bits/ 64 <v>`). */
export function fdtU64(value: number | bigint, path = ''): Uint8Array {
  const [hi, lo] = splitU64(value, path);
  return fdtCells([hi, lo], path);
}

/** Encodes strings, each NUL-terminated (`"a", "b"`). Refuses a string containing NUL. */
export function fdtStrings(values: readonly string[], path = ''): Uint8Array {
  const bytes: number[] = [];
  for (const s of values) {
    if (s.indexOf('\0') >= 0) throw new FdtError('bad-value', path, 'a string value contains NUL');
    bytes.push(...utf8(s), 0);
  }
  return Uint8Array.from(bytes);
}

/** A node under construction. Made by {@link FdtBuilder} and {@link FdtNode.addNode}. */
export class FdtNode {
  /** The node name with its unit address (`uart@10000000`); '' for the root. */
  readonly name: string;
  /** The full path (`/soc/uart@10000000`; `/` for the root). */
  readonly path: string;
  private readonly builder: FdtBuilder;
  private readonly props = new Map<string, Uint8Array>();
  private readonly kids: FdtNode[] = [];
  private handle = 0;

  /** @internal Use {@link FdtBuilder.root} and {@link addNode}. */
  constructor(builder: FdtBuilder, parentPath: string | null, name: string) {
    this.builder = builder;
    this.name = name;
    this.path = parentPath === null ? '/' : parentPath === '/' ? `/${name}` : `${parentPath}/${name}`;
  }

  /**
   * Adds a child called `name` (node-name[@unit-address], DT spec 2.2.1)
   * and returns it. Refuses a bad name and a second child of the same name
   * with an {@link FdtError}.
   */
  addNode(name: string): FdtNode {
    const path = this.path === '/' ? `/${name}` : `${this.path}/${name}`;
    if (!isNodeName(name)) throw new FdtError('bad-name', path, `'${name}' is not a valid node name`);
    if (this.kids.some((k) => k.name === name)) throw new FdtError('duplicate', path, 'a node of that name already exists');
    const node = new FdtNode(this.builder, this.path, name);
    this.kids.push(node);
    return node;
  }

  /** The child called `name`, or undefined. */
  child(name: string): FdtNode | undefined {
    return this.kids.find((k) => k.name === name);
  }

  /** The children, in the order they were added. */
  children(): readonly FdtNode[] {
    return this.kids;
  }

  /** The property names, in the order they were first set. */
  propertyNames(): string[] {
    return [...this.props.keys()];
  }

  /** The raw value of property `name`, or undefined. */
  property(name: string): Uint8Array | undefined {
    return this.props.get(name);
  }

  /**
   * Sets property `name` to the raw bytes `value` (copied), replacing any
   * earlier value but keeping its place. Refuses a bad name (DT spec 2.2.4).
   * Returns this node, for chaining.
   */
  setProperty(name: string, value: Uint8Array): this {
    if (!isPropertyName(name)) throw new FdtError('bad-name', `${this.path}:${name}`, `'${name}' is not a valid property name`);
    this.props.set(name, value.slice());
    return this;
  }

  /** Sets an empty (boolean) property, e.g. `interrupt-controller;`. */
  setEmpty(name: string): this {
    return this.setProperty(name, new Uint8Array(0));
  }

  /** Sets a property of 32-bit cells (`<a b ...>`). */
  setCells(name: string, ...cells: number[]): this {
    return this.setProperty(name, fdtCells(cells, `${this.path}:${name}`));
  }

  /** Sets a property of one 64-bit value (two cells). */
  setU64(name: string, value: number | bigint): this {
    return this.setProperty(name, fdtU64(value, `${this.path}:${name}`));
  }

  /** Sets a string property. */
  setString(name: string, value: string): this {
    return this.setProperty(name, fdtStrings([value], `${this.path}:${name}`));
  }

  /** Sets a string-list property (`"a", "b"`), e.g. `compatible`. */
  setStrings(name: string, values: readonly string[]): this {
    return this.setProperty(name, fdtStrings(values, `${this.path}:${name}`));
  }

  /** Sets a property of raw bytes (`[00 11 ...]`). */
  setBytes(name: string, bytes: Uint8Array): this {
    return this.setProperty(name, bytes);
  }

  /**
   * The node's phandle: allocated from the builder on the first call (and
   * stored as its `phandle` property), the same number afterwards. Use it
   * in cells that reference the node.
   */
  phandle(): number {
    if (this.handle === 0) {
      this.handle = this.builder.allocatePhandle();
      this.setCells('phandle', this.handle);
    }
    return this.handle;
  }

  /**
   * Gives the node a phandle obtained earlier from
   * {@link FdtBuilder.allocatePhandle} (to reference a node before it is
   * added). Refuses a node that has one already and a value that is not a
   * cell in 1..0xfffffffe (DT spec 2.3.3).
   */
  setPhandle(handle: number): this {
    if (this.handle !== 0) throw new FdtError('duplicate', `${this.path}:phandle`, 'the node has a phandle already');
    if (!Number.isInteger(handle) || handle < 1 || handle > 0xfffffffe) throw new FdtError('bad-value', `${this.path}:phandle`, `${handle} is not a valid phandle`);
    this.handle = handle;
    return this.setCells('phandle', handle);
  }

  /** @internal Bytes this node takes in the structure block. */
  structSize(): number {
    let n = 4 + pad4(utf8(this.name).length + 1);
    for (const v of this.props.values()) n += 12 + pad4(v.length);
    for (const k of this.kids) n += k.structSize();
    return n + 4;
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Builds a device tree and serialises it. */
export class FdtBuilder {
  /** The root node. */
  readonly root: FdtNode;
  private readonly bootCpuId: number;
  private readonly reservations: FdtReservation[] = [];
  private nextPhandle = 1;

  /** Takes the physical id of the boot CPU (header field `boot_cpuid_phys`, default 0) and initial memory reservations. */
  constructor(options: { bootCpuId?: number; reservations?: readonly FdtReservation[] } = {}) {
    this.bootCpuId = checkU32(options.bootCpuId ?? 0, 'boot_cpuid_phys');
    this.root = new FdtNode(this, null, '');
    for (const r of options.reservations ?? []) this.addReservation(r);
  }

  /** Adds a memory reservation block entry. Refuses values that are not unsigned 64-bit. */
  addReservation(r: FdtReservation): void {
    splitU64(r.address, 'reservation');
    splitU64(r.size, 'reservation');
    this.reservations.push({ address: r.address, size: r.size });
  }

  /** Hands out a fresh phandle (1, 2, 3, ...), for {@link FdtNode.setPhandle} or {@link FdtNode.phandle}. */
  allocatePhandle(): number {
    return this.nextPhandle++;
  }

  /** The node at `path` (`/`, `/soc/serial@10000000`), or undefined. */
  node(path: string): FdtNode | undefined {
    if (path === '/') return this.root;
    let n: FdtNode | undefined = this.root;
    for (const part of path.split('/').slice(1)) {
      n = n.child(part);
      if (n === undefined) return undefined;
    }
    return n;
  }

  /** Serialises the tree as a version 17 flattened devicetree blob. */
  toBlob(): Uint8Array {
    // Strings block: each property name once (5.5), in first-use order.
    const strings = new Map<string, number>();
    const stringBytes: number[] = [];
    const collect = (n: FdtNode): void => {
      for (const name of n.propertyNames()) {
        if (!strings.has(name)) {
          strings.set(name, stringBytes.length);
          stringBytes.push(...utf8(name), 0);
        }
      }
      for (const k of n.children()) collect(k);
    };
    collect(this.root);

    const rsvSize = (this.reservations.length + 1) * 16;
    const offRsv = FDT_HEADER_SIZE; // 40: already 8-byte aligned, as 5.3 requires
    const offStruct = offRsv + rsvSize; // a multiple of 8, so 4-byte aligned
    const structSize = this.root.structSize() + 4; // + FDT_END
    const offStrings = offStruct + structSize;
    const total = offStrings + stringBytes.length;

    const blob = new Uint8Array(total);
    const dv = new DataView(blob.buffer);
    const header = [FDT_MAGIC, total, offStruct, offStrings, offRsv, FDT_VERSION, FDT_LAST_COMP_VERSION, this.bootCpuId, stringBytes.length, structSize];
    header.forEach((v, i) => dv.setUint32(i * 4, v));

    let at = offRsv;
    for (const r of this.reservations) {
      const [ah, al] = splitU64(r.address, 'reservation');
      const [sh, sl] = splitU64(r.size, 'reservation');
      dv.setUint32(at, ah);
      dv.setUint32(at + 4, al);
      dv.setUint32(at + 8, sh);
      dv.setUint32(at + 12, sl);
      at += 16;
    }
    at += 16; // the terminating entry is zero already

    const emit = (n: FdtNode): void => {
      dv.setUint32(at, FdtToken.BeginNode);
      at += 4;
      const name = utf8(n.name);
      blob.set(name, at);
      at += pad4(name.length + 1);
      for (const pname of n.propertyNames()) {
        const v = n.property(pname)!;
        dv.setUint32(at, FdtToken.Prop);
        dv.setUint32(at + 4, v.length);
        dv.setUint32(at + 8, strings.get(pname)!);
        blob.set(v, at + 12);
        at += 12 + pad4(v.length);
      }
      for (const k of n.children()) emit(k);
      dv.setUint32(at, FdtToken.EndNode);
      at += 4;
    };
    emit(this.root);
    dv.setUint32(at, FdtToken.End);
    at += 4;
    blob.set(stringBytes, at);
    return blob;
  }
}
