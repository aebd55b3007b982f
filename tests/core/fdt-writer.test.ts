/**
 * The flattened devicetree writer and reader (Devicetree Specification 0.4,
 * chapter 5): header fields, block order and alignment, big-endian
 * values, padding, the strings block's deduplication, the reservation map,
 * name checks, phandles, and round trips through the reader.
 */
import { describe, it, assert } from '../harness/index.js';
import {
  FDT_MAGIC,
  FdtBuilder,
  FdtError,
  fdtCells,
  fdtStrings,
  fdtU64,
  fdtValueCells,
  fdtValueStrings,
  findFdtNode,
  parseFdt,
} from '../../src/fdt/index.js';

function be32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function sample(): FdtBuilder {
  const fdt = new FdtBuilder({ bootCpuId: 0, reservations: [{ address: 0x8000_0000, size: 0x1000 }] });
  fdt.root.setCells('#address-cells', 2).setCells('#size-cells', 2).setString('model', 'xsvisor');
  const a = fdt.root.addNode('a@10');
  a.setString('compatible', 'x,y').setCells('reg', 0, 0x10, 0, 0x20).setEmpty('ranges');
  const b = fdt.root.addNode('b');
  b.setString('compatible', 'x,z').setBytes('data', Uint8Array.from([1, 2, 3]));
  b.addNode('c').setU64('big', 0x1_2345_6789n);
  return fdt;
}

describe('FDT writer: layout', () => {
  it('writes a version 17 header whose offsets and sizes describe the blob', () => {
    const blob = sample().toBlob();
    const h = (i: number) => be32(blob, i * 4);
    assert.equal(h(0), FDT_MAGIC);
    assert.equal(h(1), blob.length, 'totalsize');
    assert.equal(h(4), 40, 'memory reservation map right after the header');
    assert.equal(h(4) % 8, 0, 'reservation map 8-byte aligned');
    assert.equal(h(2), 40 + 2 * 16, 'structure block after one entry and the terminator');
    assert.equal(h(2) % 4, 0);
    assert.equal(h(3), h(2) + h(9), 'strings right after the structure block');
    assert.equal(h(3) + h(8), h(1));
    assert.equal(h(5), 17);
    assert.equal(h(6), 16);
    assert.equal(h(7), 0);
  });

  it('writes the reservation entries big-endian, then a zero entry', () => {
    const blob = sample().toBlob();
    assert.deepEqual([40, 44, 48, 52, 56, 60, 64, 68].map((o) => be32(blob, o)), [0, 0x8000_0000, 0, 0x1000, 0, 0, 0, 0]);
  });

  it('stores each property name once in the strings block', () => {
    const blob = sample().toBlob();
    const off = be32(blob, 12);
    const size = be32(blob, 32);
    let text = '';
    for (let i = off; i < off + size; i++) text += String.fromCharCode(blob[i]);
    const names = text.split('\0').filter((s) => s !== '');
    assert.deepEqual(names, ['#address-cells', '#size-cells', 'model', 'compatible', 'reg', 'ranges', 'data', 'big']);
  });

  it('opens with the root node and ends with END, tokens 4-byte aligned', () => {
    const blob = sample().toBlob();
    const s = be32(blob, 8);
    assert.equal(be32(blob, s), 1, 'BEGIN_NODE');
    assert.equal(be32(blob, s + 4), 0, 'root name: empty, padded');
    assert.equal(be32(blob, s + 8), 3, 'PROP');
    assert.equal(be32(blob, s + 8 + 4), 4, 'length of one cell');
    const end = s + be32(blob, 36);
    assert.equal(be32(blob, end - 4), 9, 'END');
    assert.equal(be32(blob, end - 8), 2, 'END_NODE of the root');
  });

  it('round-trips through the reader', () => {
    const t = parseFdt(sample().toBlob());
    assert.equal(t.version, 17);
    assert.deepEqual(t.reservations, [{ address: 0x8000_0000n, size: 0x1000n }]);
    assert.deepEqual(t.root.children.map((c) => c.name), ['a@10', 'b']);
    const a = findFdtNode(t.root, '/a@10')!;
    assert.deepEqual([...a.properties.keys()], ['compatible', 'reg', 'ranges']);
    assert.deepEqual(fdtValueStrings(a.properties.get('compatible')!), ['x,y']);
    assert.deepEqual(fdtValueCells(a.properties.get('reg')!), [0, 0x10, 0, 0x20]);
    assert.equal(a.properties.get('ranges')!.length, 0);
    const b = findFdtNode(t.root, '/b')!;
    assert.deepEqual(Array.from(b.properties.get('data')!), [1, 2, 3]);
    assert.deepEqual(fdtValueCells(findFdtNode(t.root, '/b/c')!.properties.get('big')!), [1, 0x2345_6789]);
    assert.equal(findFdtNode(t.root, '/b/nothing'), undefined);
  });
});

describe('FDT writer: values and names', () => {
  it('encodes cells, 64-bit values and string lists big-endian', () => {
    assert.deepEqual(Array.from(fdtCells([1, 0xdeadbeef])), [0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual(Array.from(fdtU64(2 ** 40 + 5)), [0, 0, 1, 0, 0, 0, 0, 5]);
    assert.deepEqual(Array.from(fdtU64(0xffff_ffff_ffff_ffffn)), [255, 255, 255, 255, 255, 255, 255, 255]);
    assert.deepEqual(Array.from(fdtStrings(['ab', 'c'])), [0x61, 0x62, 0, 0x63, 0]);
  });

  it('refuses values that do not fit', () => {
    assert.throws(() => fdtCells([2 ** 32]), FdtError, (e: FdtError) => e.reason === 'bad-value');
    assert.throws(() => fdtCells([-1]), FdtError);
    assert.throws(() => fdtU64(1n << 64n), FdtError);
    assert.throws(() => fdtStrings(['a\0b']), FdtError);
  });

  it('checks node and property names (DT spec 2.2.1, 2.2.4)', () => {
    const fdt = new FdtBuilder();
    assert.throws(() => fdt.root.addNode(''), FdtError, (e: FdtError) => e.reason === 'bad-name');
    assert.throws(() => fdt.root.addNode('9lives'), FdtError);
    assert.throws(() => fdt.root.addNode('a'.repeat(32)), FdtError);
    assert.throws(() => fdt.root.addNode('a b'), FdtError);
    fdt.root.addNode('serial@10000000');
    assert.throws(() => fdt.root.addNode('serial@10000000'), FdtError, (e: FdtError) => e.reason === 'duplicate');
    assert.throws(() => fdt.root.setCells('a'.repeat(32), 1), FdtError);
    assert.throws(() => fdt.root.setCells('x y', 1), FdtError);
    fdt.root.setCells('#address-cells', 1).setEmpty('riscv,ndev?');
    // Table 2.1: 1 to 31 characters before '@' (a letter first), one or more after it, '@' once.
    for (const ok of ['a', 'a'.repeat(31), `${'a'.repeat(31)}@1`, 'cpu@0', 'pci@1,0', 'x_y.z+w-v@f00', 'A9@x-_.,+']) {
      assert.doesNotThrow(() => new FdtBuilder().root.addNode(ok), ok);
    }
    for (const bad of ['a@', '@0', `${'a'.repeat(32)}@1`, 'a@b@c', 'a#b', 'a?', '_a', 'a/b', 'a\u00e9', 'a@1 ']) {
      assert.throws(() => new FdtBuilder().root.addNode(bad), FdtError, (e: FdtError) => e.reason === 'bad-name');
    }
    // Table 2.2: 1 to 31 characters, '?' and '#' allowed, no '@'.
    for (const ok of ['#size-cells', '9', 'a'.repeat(31), 'linux,initrd-start', 'x_y.z+w?']) fdt.root.setEmpty(ok);
    for (const bad of ['', 'a@b', 'a/b', 'a b', 'a\u00e9']) assert.throws(() => fdt.root.setEmpty(bad), FdtError, (e: FdtError) => e.reason === 'bad-name');
  });

  it('a property set twice keeps its place and its last value', () => {
    const fdt = new FdtBuilder();
    fdt.root.setCells('a', 1).setCells('b', 2).setCells('a', 3);
    assert.deepEqual(fdt.root.propertyNames(), ['a', 'b']);
    assert.deepEqual(fdtValueCells(fdt.root.property('a')!), [3]);
  });

  it('hands out phandles 1, 2, ... once per node', () => {
    const fdt = new FdtBuilder();
    const x = fdt.root.addNode('x');
    const y = fdt.root.addNode('y');
    assert.equal(x.phandle(), 1);
    assert.equal(x.phandle(), 1);
    const reserved = fdt.allocatePhandle();
    assert.equal(reserved, 2);
    y.setPhandle(reserved);
    assert.equal(y.phandle(), 2);
    assert.throws(() => y.setPhandle(9), FdtError);
    assert.deepEqual(fdtValueCells(y.property('phandle')!), [2]);
    assert.equal(fdt.node('/y'), y);
  });
});

describe('FDT reader: malformed blobs', () => {
  it('refuses a bad magic, truncation and offsets past the end', () => {
    const blob = sample().toBlob();
    const bad = blob.slice();
    bad[0] = 0;
    assert.throws(() => parseFdt(bad), FdtError, (e: FdtError) => e.reason === 'bad-blob');
    assert.throws(() => parseFdt(blob.slice(0, 20)), FdtError);
    assert.throws(() => parseFdt(blob.slice(0, blob.length - 4)), FdtError);
    const off = blob.slice();
    off[8] = 0x7f; // off_dt_struct far away
    assert.throws(() => parseFdt(off), FdtError);
  });
});
