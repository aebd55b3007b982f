/**
 * Malformed images, generated with fast-check: ELF32 files whose header
 * and program headers take absurd values (class, machine, phnum,
 * phentsize, phoff, shoff, shnum, shentsize, segments overlapping, out of
 * range, unaligned, with sizes past 2^32, filesz > memsz, an entry outside
 * every segment) and raw images larger than RAM.
 *
 * Every image either loads, and then every segment with file bytes lies
 * inside RAM, no two have overlapping file bytes, filesz <= memsz, the entry is in RAM and RAM holds the
 * file's bytes; or it is refused with an ImageError naming the image, the
 * place and the reason, with RAM untouched. No other exception escapes.
 * Through VirtVm the same images leave nothing open: a counting serial
 * port factory and pin factories see as many closes as opens (none, since
 * the image is checked before any port opens).
 */
import fc from 'fast-check';
import { describe, it, assert } from '../harness/index.js';
import { ImageError, loadImage, MAX_PROGRAM_HEADERS, type ImageErrorReason } from '../../src/loader/index.js';
import { validateBoard } from '../../src/board/index.js';
import { VirtVm, VmConfigError } from '../../src/monitor/index.js';
import { ManualClock } from '../../src/ports/sim/index.js';
import { type DigitalPinFactory, type SerialPortFactory } from '../../src/ports/index.js';

const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 64 * 1024;
const RUNS = 400;

const REASONS: readonly ImageErrorReason[] = ['empty', 'not-elf', 'bad-class', 'bad-endianness', 'bad-version', 'bad-type', 'bad-machine',
  'truncated-header', 'bad-header-size', 'too-many-segments', 'no-segments', 'truncated-segment', 'filesz-exceeds-memsz', 'outside-ram',
  'overlapping-segments', 'rom-mismatch', 'bad-symtab', 'entry-outside-ram'];

// ------------------------------------------------------------------ building ELF files

interface Phdr {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

interface Elf {
  ident: { cls: number; data: number; version: number };
  type: number;
  machine: number;
  version: number;
  entry: number;
  phoff: number;
  shoff: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  phdrs: Phdr[];
  /** Bytes after the program headers (segment contents, anything). */
  tail: Uint8Array;
}

/** Lays the ELF out: 52-byte header, the program headers at 52 (whatever e_phoff says), then the tail. */
function build(e: Elf): Uint8Array {
  const out = new Uint8Array(52 + e.phdrs.length * 32 + e.tail.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, e.ident.cls, e.ident.data, e.ident.version]);
  v.setUint16(16, e.type, true);
  v.setUint16(18, e.machine, true);
  v.setUint32(20, e.version, true);
  v.setUint32(24, e.entry >>> 0, true);
  v.setUint32(28, e.phoff >>> 0, true);
  v.setUint32(32, e.shoff >>> 0, true);
  v.setUint16(40, e.ehsize, true);
  v.setUint16(42, e.phentsize, true);
  v.setUint16(44, e.phnum, true);
  v.setUint16(46, e.shentsize, true);
  v.setUint16(48, e.shnum, true);
  v.setUint16(50, e.shstrndx, true);
  e.phdrs.forEach((p, i) => {
    const h = 52 + i * 32;
    for (const [k, val] of [p.type, p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.flags, p.align].entries()) v.setUint32(h + 4 * k, val >>> 0, true);
  });
  out.set(e.tail, 52 + e.phdrs.length * 32);
  return out;
}

/** A well-formed image: one segment of `code` at the start of RAM, entry there. */
function good(code: number[] = [0x13, 0, 0, 0, 0x6f, 0, 0, 0]): Elf {
  return {
    ident: { cls: 1, data: 1, version: 1 }, type: 2, machine: 243, version: 1, entry: RAM_BASE,
    phoff: 52, shoff: 0, ehsize: 52, phentsize: 32, phnum: 1, shentsize: 40, shnum: 0, shstrndx: 0,
    phdrs: [{ type: 1, offset: 84, vaddr: RAM_BASE, paddr: RAM_BASE, filesz: code.length, memsz: code.length, flags: 5, align: 4 }],
    tail: new Uint8Array(code),
  };
}

// ------------------------------------------------------------------ generators

const u32 = fc.nat({ max: 0xffff_ffff });
const u16 = fc.nat({ max: 0xffff });
/** 32-bit values with the edges over-represented. */
const edgy32 = fc.oneof(
  u32,
  fc.constantFrom(0, 1, 3, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffc, 0xffff_f000, RAM_BASE, RAM_BASE + RAM_SIZE, RAM_BASE + RAM_SIZE - 1),
  fc.integer({ min: RAM_BASE - 64, max: RAM_BASE + RAM_SIZE + 64 }),
);
/** Sizes: small, near RAM's, or past 2^31/2^32 when added to an address. */
const size = fc.oneof(fc.nat({ max: 256 }), fc.constantFrom(RAM_SIZE, RAM_SIZE + 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff), u32);
const addr = fc.oneof(fc.integer({ min: RAM_BASE, max: RAM_BASE + RAM_SIZE - 1 }), edgy32);

const phdr: fc.Arbitrary<Phdr> = fc.record({
  type: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 3, 4, 6, 0x6474e551, 0x70000003) }, { weight: 1, arbitrary: u32 }),
  offset: fc.oneof(fc.nat({ max: 600 }), edgy32),
  vaddr: addr,
  paddr: addr,
  filesz: size,
  memsz: size,
  flags: fc.nat({ max: 7 }),
  align: fc.oneof(fc.constantFrom(0, 1, 2, 4, 0x1000), u32),
});

const elf: fc.Arbitrary<Elf> = fc.record({
  ident: fc.record({
    cls: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
    data: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
    version: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
  }),
  type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(2, 3) }, { weight: 1, arbitrary: u16 }),
  machine: fc.oneof({ weight: 8, arbitrary: fc.constant(243) }, { weight: 1, arbitrary: u16 }),
  version: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: u32 }),
  entry: addr,
  phoff: fc.oneof({ weight: 6, arbitrary: fc.constant(52) }, { weight: 1, arbitrary: edgy32 }),
  shoff: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: edgy32 }, { weight: 1, arbitrary: fc.nat({ max: 800 }) }),
  ehsize: fc.oneof({ weight: 6, arbitrary: fc.constant(52) }, { weight: 1, arbitrary: u16 }),
  phentsize: fc.oneof({ weight: 6, arbitrary: fc.constant(32) }, { weight: 1, arbitrary: u16 }),
  phnum: fc.oneof({ weight: 1, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: u16 }, { weight: 1, arbitrary: fc.nat({ max: 300 }) }),
  shentsize: fc.oneof(fc.constant(40), u16),
  shnum: fc.oneof(fc.constant(0), fc.nat({ max: 8 }), u16),
  shstrndx: fc.oneof(fc.constant(0), u16),
  phdrs: fc.array(phdr, { maxLength: 6 }),
  tail: fc.uint8Array({ maxLength: 700 }),
}).map((e) => (e.phnum === -1 ? { ...e, phnum: e.phdrs.length } : e));

// ------------------------------------------------------------------ the property

/** Loads `image` into fresh RAM; checks the result's invariants or the refusal's form. Returns the reason or 'loaded'. */
function loadChecked(image: Uint8Array, name = 'fuzz.elf', format: 'auto' | 'raw' = 'auto'): ImageErrorReason | 'loaded' {
  const ram = new Uint8Array(RAM_SIZE);
  let loaded;
  try {
    loaded = loadImage({ image, ram: { base: RAM_BASE, bytes: ram }, name, format });
  } catch (e) {
    if (!(e instanceof ImageError)) throw new Error(`not an ImageError: ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(REASONS.includes(e.reason), e.reason);
    assert.equal(e.image, name);
    assert.ok(e.message.startsWith(`${name}: ${e.place}`), e.message);
    assert.ok(e.place.length > 0);
    assert.ok(e.offset === null || (Number.isSafeInteger(e.offset) && e.offset >= 0), `offset ${e.offset}`);
    assert.ok(ram.every((b) => b === 0), 'RAM untouched by a refused image');
    return e.reason;
  }
  const end = RAM_BASE + RAM_SIZE;
  // Segments with file bytes lie in RAM and their file bytes do not overlap (QEMU's rule); those without write nothing.
  const segs = loaded.segments.filter((s) => s.filesz > 0).sort((a, b) => a.paddr - b.paddr);
  for (const [i, s] of segs.entries()) {
    assert.ok(s.paddr >= RAM_BASE && s.paddr + s.memsz <= end, `segment ${s.index} inside RAM`);
    assert.ok(s.filesz <= s.memsz, `segment ${s.index}: filesz <= memsz`);
    if (i > 0) assert.ok(segs[i - 1].paddr + segs[i - 1].filesz <= s.paddr, 'no overlap of file bytes');
  }
  assert.ok(loaded.entry >= RAM_BASE && loaded.entry < end, `entry 0x${loaded.entry.toString(16)} in RAM`);
  return 'loaded';
}

describe('malformed ELF images (fast-check)', () => {
  it(`${RUNS} random ELF headers and program headers: loaded consistently or refused with an ImageError`, () => {
    const seen = new Map<string, number>();
    fc.assert(fc.property(elf, (e) => {
      const r = loadChecked(build(e));
      seen.set(r, (seen.get(r) ?? 0) + 1);
    }), { numRuns: RUNS, seed: 0x5eed });
    // The generator reaches deep: more than the header checks refuse.
    assert.ok(seen.size >= 8, `reasons seen: ${[...seen.keys()].join(', ')}`);
  });

  it('mutations of a good image (one field at a time): loaded consistently or refused', () => {
    const fields = fc.oneof(
      fc.record({ entry: edgy32 }),
      fc.record({ phnum: u16 }),
      fc.record({ phentsize: u16 }),
      fc.record({ phoff: edgy32 }),
      fc.record({ shoff: edgy32, shnum: u16, shentsize: u16 }),
      fc.record({ phdrs: fc.array(phdr, { minLength: 1, maxLength: 4 }) }),
    );
    fc.assert(fc.property(fields, fc.uint8Array({ minLength: 8, maxLength: 64 }), (patch, code) => {
      const e = { ...good([...code]), ...patch };
      loadChecked(build(e));
    }), { numRuns: RUNS, seed: 7 });
  });

  it('each absurd field gives its own reason (ELF spec, the loader\'s documented refusals)', () => {
    const cases: [string, Partial<Elf> | ((e: Elf) => Elf), ImageErrorReason][] = [
      ['ELFCLASS64', (e) => ({ ...e, ident: { ...e.ident, cls: 2 } }), 'bad-class'],
      ['big-endian', (e) => ({ ...e, ident: { ...e.ident, data: 2 } }), 'bad-endianness'],
      ['x86-64', { machine: 62 }, 'bad-machine'],
      ['a relocatable object', { type: 1 }, 'bad-type'],
      ['phentsize 16', { phentsize: 16 }, 'bad-header-size'],
      ['phnum 65535', { phnum: 0xffff }, 'too-many-segments'],
      [`phnum ${MAX_PROGRAM_HEADERS} past the file`, { phnum: MAX_PROGRAM_HEADERS }, 'truncated-header'],
      ['phoff past the file', { phoff: 0xffff_ff00 }, 'truncated-header'],
      ['shoff past the file', { shoff: 0x7fff_0000, shnum: 3 }, 'truncated-header'],
      ['no PT_LOAD', (e) => ({ ...e, phdrs: [{ ...e.phdrs[0], type: 4 }] }), 'no-segments'],
      ['filesz > memsz', (e) => ({ ...e, phdrs: [{ ...e.phdrs[0], memsz: 4 }] }), 'filesz-exceeds-memsz'],
      ['file bytes past the end', (e) => ({ ...e, phdrs: [{ ...e.phdrs[0], offset: 0xffff_fff0 }] }), 'truncated-segment'],
      ['memsz past 2^32', (e) => ({ ...e, phdrs: [{ ...e.phdrs[0], memsz: 0xffff_ffff }] }), 'outside-ram'],
      ['paddr near 2^32', (e) => ({ ...e, entry: 0xffff_fff8, phdrs: [{ ...e.phdrs[0], paddr: 0xffff_fff8, vaddr: 0xffff_fff8 }] }), 'outside-ram'],
      ['paddr below RAM', (e) => ({ ...e, phdrs: [{ ...e.phdrs[0], paddr: RAM_BASE - 4 }] }), 'outside-ram'],
      ['segment straddling the end of RAM', (e) => ({ ...e, phdrs: [{ ...e.phdrs[0], paddr: RAM_BASE + RAM_SIZE - 4 }] }), 'outside-ram'],
      ['overlapping segments', (e) => ({ ...e, phdrs: [e.phdrs[0], { ...e.phdrs[0], paddr: RAM_BASE + 4 }], phnum: 2, tail: e.tail }), 'overlapping-segments'],
      ['entry outside every segment and RAM', { entry: 0x1000 }, 'entry-outside-ram'],
    ];
    for (const [what, change, reason] of cases) {
      const base = good();
      const e = typeof change === 'function' ? change(base) : { ...base, ...change };
      // Overlapping: the second header shifts the tail; point both at the data again.
      if (reason === 'overlapping-segments') {
        e.phdrs = e.phdrs.map((p) => ({ ...p, offset: 52 + 2 * 32 }));
      }
      assert.equal(loadChecked(build(e)), reason, what);
    }
  });

  it('an unaligned segment (p_offset and p_vaddr disagreeing modulo p_align) still loads its bytes where p_paddr says', () => {
    const e = good([1, 2, 3, 4, 5, 6, 7, 8]);
    e.phdrs = [{ ...e.phdrs[0], paddr: RAM_BASE + 3, vaddr: RAM_BASE + 3, align: 0x1000 }];
    e.entry = RAM_BASE + 3;
    const ram = new Uint8Array(RAM_SIZE);
    loadImage({ image: build(e), ram: { base: RAM_BASE, bytes: ram }, name: 'u.elf' });
    assert.deepEqual([...ram.subarray(3, 11)], [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('raw images larger than RAM are refused (outside-ram); those that fit load at the start', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 * RAM_SIZE }), (n) => {
      const image = new Uint8Array(n).fill(0x13);
      image[0] = 0; // not the ELF magic
      const r = loadChecked(image, 'raw.bin', 'raw');
      assert.equal(r, n > RAM_SIZE ? 'outside-ram' : 'loaded', `${n} bytes`);
    }), { numRuns: 100, seed: 3 });
    assert.equal(loadChecked(new Uint8Array(0), 'empty.bin'), 'empty');
  });
});

// ------------------------------------------------------------------ no partial VM

/** Serial and pin factories that count opens and closes. */
function counting() {
  const c = { serialOpens: 0, serialCloses: 0, pinOpens: 0, pinCloses: 0 };
  const serial: SerialPortFactory = () => {
    c.serialOpens++;
    let open = true;
    return { read: () => undefined, write: () => {}, close: () => { if (open) { open = false; c.serialCloses++; } } };
  };
  const pin = (failOn: number | null) => (line: { line: number }): DigitalPinFactory => () => {
    if (failOn === line.line) throw new Error(`pin for line ${line.line} is busy`);
    c.pinOpens++;
    let open = true;
    return { read: () => 0, write: () => {}, close: () => { if (open) { open = false; c.pinCloses++; } } };
  };
  return { c, serial, pin };
}

const BOARD = validateBoard({
  name: 'fuzz', platform: 'host', ramBudget: '16MiB',
  devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'virtio-mmio', 'htif'],
  uart0: { serial: 'none' },
  gpio: { lines: [
    { line: 0, name: 'a', pin: 0, direction: 'output' },
    { line: 1, name: 'b', pin: 1, direction: 'input' },
    { line: 2, name: 'c', pin: 2, direction: 'input', pull: 'up' },
  ] },
}, 'fuzz.json');

describe('malformed images and options through VirtVm: no partial VM', () => {
  it('every refused image opens nothing (and a loaded one closes what it opened)', () => {
    fc.assert(fc.property(elf, (e) => {
      const { c, serial, pin } = counting();
      let vm: VirtVm | null = null;
      try {
        vm = new VirtVm({ image: build(e), imageName: 'fuzz.elf', ramSize: RAM_SIZE, board: BOARD, clock: new ManualClock(), serial, pins: pin(null) });
      } catch (err) {
        if (!(err instanceof ImageError) && !(err instanceof VmConfigError)) throw new Error(`unexpected ${err instanceof Error ? err.stack : String(err)}`);
        assert.equal(c.serialOpens, 0, 'a refused image opens no port');
        assert.equal(c.pinOpens, 0, 'nor any pin');
        return;
      }
      assert.equal(c.serialOpens, 1);
      assert.equal(c.pinOpens, 3);
      vm.close();
      assert.deepEqual(c, { serialOpens: 1, serialCloses: 1, pinOpens: 3, pinCloses: 3 });
    }), { numRuns: 150, seed: 11 });
  });

  it('absurd options are refused with a VmConfigError, nothing left open', () => {
    const options = [
      { ramSize: 0 }, { ramSize: 4095 }, { ramSize: -4096 }, { ramSize: 2 ** 53 }, { ramSize: 32 * 1024 * 1024 }, { ramSize: NaN },
      { hartId: -1 }, { hartId: 2 ** 32 }, { hartId: 0.5 }, { firmware: 'uefi' as 'sbi' },
      { rom: [{ name: 'r', base: 0x7000_0000, bytes: new Uint8Array(16) }] },
      { rom: [{ name: 'r', base: RAM_BASE, bytes: new Uint8Array(0) }] },
      { rom: [null as never] },
    ];
    for (const o of options) {
      const { c, serial, pin } = counting();
      assert.throws(() => new VirtVm({ image: build(good()), ramSize: RAM_SIZE, board: BOARD, clock: new ManualClock(), serial, pins: pin(null), ...o }),
        VmConfigError, undefined, JSON.stringify(o));
      assert.deepEqual(c, { serialOpens: 0, serialCloses: 0, pinOpens: 0, pinCloses: 0 }, JSON.stringify(o));
    }
  });

  it('an odd entry point (no instruction starts there) is refused as a bad image before any port opens', () => {
    for (const entry of [RAM_BASE + 1, RAM_BASE + 5]) {
      const { c, serial, pin } = counting();
      const e = assert.throws(() => new VirtVm({ image: build({ ...good(), entry }), imageName: 'odd.elf', ramSize: RAM_SIZE, board: BOARD,
        clock: new ManualClock(), serial, pins: pin(null) }), ImageError);
      assert.match(e.message, /^odd\.elf: ELF header .*e_entry 0x8000000[15] is odd/);
      assert.deepEqual(c, { serialOpens: 0, serialCloses: 0, pinOpens: 0, pinCloses: 0 });
    }
  });

  it('a pin that cannot be opened: the VM is refused and every port and pin it opened is closed again', () => {
    for (const failOn of [0, 1, 2]) {
      const { c, serial, pin } = counting();
      assert.throws(() => new VirtVm({ image: build(good()), ramSize: RAM_SIZE, board: BOARD, clock: new ManualClock(), serial, pins: pin(failOn) }),
        Error, (e) => /GPIO line \d/.test(e.message));
      assert.equal(c.serialCloses, c.serialOpens, `line ${failOn}: serial closed`);
      assert.equal(c.pinCloses, c.pinOpens, `line ${failOn}: ${c.pinOpens} pins opened, ${c.pinCloses} closed`);
    }
  });
});
