/** The image loader: ELF32 RISC-V and raw loads, and every refusal naming its place. */
import { describe, it, assert } from '../harness/index.js';
import { ImageError, loadImage, MAX_PROGRAM_HEADERS, type RamTarget } from '../../src/loader/index.js';

// ------------------------------------------------------------------ a tiny ELF builder

interface SegSpec {
  type?: number;
  paddr: number;
  vaddr?: number;
  data: number[];
  memsz?: number;
  /** Override p_offset / p_filesz to build broken images. */
  offset?: number;
  filesz?: number;
}

interface ElfSpec {
  entry?: number;
  segments?: SegSpec[];
  symbols?: { name: string; value: number; shndx?: number }[];
  class?: number;
  data?: number;
  version?: number;
  type?: number;
  machine?: number;
  flags?: number;
  phentsize?: number;
  phnum?: number;
}

/**
 * Builds an ELF32 little-endian file: header, program headers, segment
 * data, then (with symbols) .symtab, .strtab and a section header table.
 */
function buildElf(spec: ElfSpec): Uint8Array {
  const segs = spec.segments ?? [{ paddr: 0x8000_0000, data: [0x13, 0, 0, 0] }];
  const out: number[] = [];
  const put32 = (at: number, v: number): void => {
    for (let i = 0; i < 4; i++) out[at + i] = (v >>> (8 * i)) & 0xff;
  };
  const put16 = (at: number, v: number): void => {
    out[at] = v & 0xff;
    out[at + 1] = (v >>> 8) & 0xff;
  };
  for (let i = 0; i < 52; i++) out.push(0);
  out[0] = 0x7f; out[1] = 0x45; out[2] = 0x4c; out[3] = 0x46;
  out[4] = spec.class ?? 1;
  out[5] = spec.data ?? 1;
  out[6] = 1;
  put16(16, spec.type ?? 2);
  put16(18, spec.machine ?? 243);
  put32(20, spec.version ?? 1);
  put32(24, spec.entry ?? segs[0]?.paddr ?? 0x8000_0000);
  put32(28, 52);
  put32(36, spec.flags ?? 0);
  put16(40, 52);
  put16(42, spec.phentsize ?? 32);
  put16(44, spec.phnum ?? segs.length);
  const phoff = 52;
  for (let i = 0; i < segs.length * 32; i++) out.push(0);
  segs.forEach((s, i) => {
    const dataOff = out.length;
    out.push(...s.data);
    while (out.length % 4) out.push(0);
    const h = phoff + i * 32;
    put32(h, s.type ?? 1);
    put32(h + 4, s.offset ?? dataOff);
    put32(h + 8, s.vaddr ?? s.paddr);
    put32(h + 12, s.paddr);
    put32(h + 16, s.filesz ?? s.data.length);
    put32(h + 20, s.memsz ?? s.data.length);
    put32(h + 24, 5);
    put32(h + 28, 4);
  });
  if (spec.symbols) {
    const strtab: number[] = [0];
    const symtab: number[] = new Array(16).fill(0); // symbol 0 is the null symbol
    for (const sym of spec.symbols) {
      const nameOff = strtab.length;
      for (const c of sym.name) strtab.push(c.charCodeAt(0));
      strtab.push(0);
      const e = new Array(16).fill(0);
      const v = sym.value >>> 0;
      for (let i = 0; i < 4; i++) { e[i] = (nameOff >>> (8 * i)) & 0xff; e[4 + i] = (v >>> (8 * i)) & 0xff; }
      const shndx = sym.shndx ?? 1;
      e[14] = shndx & 0xff; e[15] = shndx >> 8;
      symtab.push(...e);
    }
    const symOff = out.length;
    out.push(...symtab);
    const strOff = out.length;
    out.push(...strtab);
    while (out.length % 4) out.push(0);
    const shoff = out.length;
    // Sections: 0 null, 1 .symtab (link 2), 2 .strtab.
    for (let i = 0; i < 3 * 40; i++) out.push(0);
    put32(shoff + 40 + 4, 2);
    put32(shoff + 40 + 16, symOff);
    put32(shoff + 40 + 20, symtab.length);
    put32(shoff + 40 + 24, 2);
    put32(shoff + 40 + 36, 16);
    put32(shoff + 80 + 4, 3);
    put32(shoff + 80 + 16, strOff);
    put32(shoff + 80 + 20, strtab.length);
    put32(32, shoff);
    put16(46, 40);
    put16(48, 3);
  }
  return Uint8Array.from(out);
}

const RAM_BASE = 0x8000_0000;
function ram(size = 0x1_0000): RamTarget {
  return { base: RAM_BASE, bytes: new Uint8Array(size) };
}

function refused(image: Uint8Array, reason: string, r: RamTarget = ram()): ImageError {
  const before = r.bytes.slice();
  const e = assert.throws<ImageError>(() => loadImage({ image, ram: r, name: 'guest.elf' }), ImageError);
  assert.equal(e.reason, reason, `reason (${e.message})`);
  assert.equal(e.image, 'guest.elf');
  assert.match(e.message, /^guest\.elf: /);
  assert.deepEqual(r.bytes, before, 'RAM is untouched by a refused image');
  return e;
}

// ------------------------------------------------------------------ loads

describe('loader: overlapping PT_LOAD segments, as QEMU 7.2 loads them', () => {
  // Each case was run under qemu-system-riscv32 7.2 -M virt -bios none with a guest printing the bytes (tests/qemu has the guest).
  const seg = (paddr: number, data: number[], memsz = data.length): SegSpec => ({ paddr: RAM_BASE + paddr, data, memsz });
  const load = (segments: SegSpec[]): number[] => {
    const r = ram();
    r.bytes.fill(0xee, 0x100, 0x10c);
    loadImage({ image: buildElf({ entry: RAM_BASE, segments: [seg(0, [0x13, 0, 0, 0]), ...segments] }), ram: r, name: 'o.elf' });
    return Array.from(r.bytes.subarray(0x100, 0x10c));
  };
  it('a p_filesz 0 segment at the paddr of a data segment (.bss placed with AT> after .sdata) loads, writing nothing', () => {
    assert.deepEqual(load([seg(0x100, [1, 1, 1, 1]), seg(0x100, [], 8)]), [1, 1, 1, 1, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    assert.deepEqual(load([seg(0x100, [], 8), seg(0x100, [1, 1, 1, 1])]), [1, 1, 1, 1, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
  });
  it('a zero fill over file bytes at a higher address: those bytes win, whatever the header order', () => {
    const want = [1, 0, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0];
    assert.deepEqual(load([seg(0x102, [2, 2, 2, 2]), seg(0x100, [1], 12)]), want);
    assert.deepEqual(load([seg(0x100, [1], 12), seg(0x102, [2, 2, 2, 2])]), want);
  });
  it('a p_filesz 0 segment outside RAM is no refusal: it writes nothing', () => {
    const r = ram();
    const img = loadImage({ image: buildElf({ entry: RAM_BASE, segments: [seg(0, [0x13, 0, 0, 0]), { paddr: 0x1000_0000, data: [], memsz: 64 }] }), ram: r });
    assert.equal(img.segments.length, 2);
  });
});

describe('loader: ELF loads', () => {
  it('copies p_filesz bytes to p_paddr, zero-fills to p_memsz and returns the entry', () => {
    const r = ram();
    r.bytes.fill(0xee); // a previous run's bytes: bss must still come out zero
    const image = buildElf({
      entry: 0x8000_0004,
      segments: [
        { paddr: 0x8000_0000, vaddr: 0xc000_0000, data: [1, 2, 3, 4, 5, 6, 7, 8] },
        { paddr: 0x8000_1000, data: [9, 10], memsz: 8 },
      ],
    });
    const img = loadImage({ image, ram: r });
    assert.equal(img.format, 'elf');
    assert.equal(img.entry, 0x8000_0004);
    assert.deepEqual(Array.from(r.bytes.subarray(0, 8)), [1, 2, 3, 4, 5, 6, 7, 8], 'segment 0 at p_paddr, not p_vaddr');
    assert.deepEqual(Array.from(r.bytes.subarray(0x1000, 0x1009)), [9, 10, 0, 0, 0, 0, 0, 0, 0xee]);
    assert.equal(img.lowAddr, 0x8000_0000);
    assert.equal(img.highAddr, 0x8000_1008);
    assert.equal(img.segments.length, 2);
    assert.equal(img.tohost, null, 'no symbol table, no tohost');
  });

  it('finds tohost and fromhost in .symtab and skips undefined symbols', () => {
    const image = buildElf({
      symbols: [
        { name: 'tohost', value: 0x1234, shndx: 0 }, // undefined: must be skipped
        { name: '_start', value: 0x8000_0000 },
        { name: 'tohost', value: 0x8000_1000 },
        { name: 'fromhost', value: 0x8000_1040 },
        { name: 'tohost_x', value: 0x1 },
      ],
    });
    const img = loadImage({ image, ram: ram() });
    assert.equal(img.tohost, 0x8000_1000);
    assert.equal(img.fromhost, 0x8000_1040);
    assert.equal(img.symbol('_start'), 0x8000_0000);
    assert.equal(img.symbol('tohost_'), undefined, 'a prefix of a name is not the name');
    assert.equal(img.symbol('nothing'), undefined);
  });

  it('ignores non-PT_LOAD headers and empty PT_LOAD segments', () => {
    const image = buildElf({
      segments: [
        { type: 0x7000_0003, paddr: 0, data: [0x41] }, // PT_RISCV_ATTRIBUTES
        { paddr: 0x8000_0000, data: [0x13, 0, 0, 0] },
        { paddr: 0x1000, data: [], memsz: 0 }, // empty: placed nowhere, so not outside RAM
      ],
      entry: 0x8000_0000,
    });
    const img = loadImage({ image, ram: ram() });
    assert.equal(img.segments.length, 1);
  });

  it('accepts a segment ending exactly at the end of RAM', () => {
    const image = buildElf({ segments: [{ paddr: RAM_BASE + 0xfffc, data: [1, 2, 3, 4] }] });
    const r = ram();
    loadImage({ image, ram: r });
    assert.equal(r.bytes[0xffff], 4);
  });

  it('warns about a float ABI the hart lacks', () => {
    const img = loadImage({ image: buildElf({ flags: 0x4 }), ram: ram(), name: 'f.elf' });
    assert.equal(img.warnings.length, 1);
    assert.match(img.warnings[0], /double-float/);
  });
});

describe('loader: raw binaries', () => {
  it('load at the start of RAM, which is the entry point', () => {
    const r = ram();
    const img = loadImage({ image: Uint8Array.from([0x6f, 0, 0, 0]), ram: r });
    assert.equal(img.format, 'raw');
    assert.equal(img.entry, RAM_BASE);
    assert.equal(r.bytes[0], 0x6f);
    assert.equal(img.highAddr, RAM_BASE + 4);
  });
  it('a raw image exactly the size of RAM loads; one byte more is refused', () => {
    loadImage({ image: new Uint8Array(16), ram: ram(16) });
    const e = refused(new Uint8Array(17), 'outside-ram', ram(16));
    assert.match(e.message, /17 bytes do not fit/);
  });
  it('format: raw loads an ELF file as bytes', () => {
    const r = ram();
    const image = buildElf({});
    loadImage({ image, ram: r, format: 'raw' });
    assert.equal(r.bytes[1], 0x45);
  });
});

// ------------------------------------------------------------------ refusals

describe('loader: refusals name the problem and the place', () => {
  it('an empty file', () => {
    refused(new Uint8Array(0), 'empty');
  });
  it('format: elf on a file without the ELF magic', () => {
    const e = assert.throws<ImageError>(() => loadImage({ image: Uint8Array.from([1, 2, 3, 4]), ram: ram(), format: 'elf' }), ImageError);
    assert.equal(e.reason, 'not-elf');
    assert.equal(e.offset, 0);
  });
  it('ELFCLASS64', () => {
    const e = refused(buildElf({ class: 2 }), 'bad-class');
    assert.equal(e.place, 'ELF header');
    assert.equal(e.offset, 4);
    assert.match(e.message, /64-bit/);
  });
  it('big-endian', () => {
    assert.equal(refused(buildElf({ data: 2 }), 'bad-endianness').offset, 5);
  });
  it('another machine (x86-64 = 62)', () => {
    const e = refused(buildElf({ machine: 62 }), 'bad-machine');
    assert.equal(e.offset, 18);
    assert.match(e.message, /e_machine is 62, expected EM_RISCV \(243\)/);
  });
  it('an object file (ET_REL)', () => {
    assert.match(refused(buildElf({ type: 1 }), 'bad-type').message, /link it first/);
  });
  it('e_version other than 1', () => {
    refused(buildElf({ version: 7 }), 'bad-version');
  });
  it('a file cut inside the ELF header', () => {
    const e = refused(buildElf({}).subarray(0, 30), 'truncated-header');
    assert.equal(e.place, 'ELF header');
  });
  it('a file cut inside e_ident', () => {
    refused(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1]), 'truncated-header');
  });
  it('a program header table running past the end of the file', () => {
    const e = refused(buildElf({ phnum: 40 }), 'truncated-header');
    assert.equal(e.place, 'program header table');
    assert.equal(e.offset, 52);
  });
  it('an absurd program header count', () => {
    const e = refused(buildElf({ phnum: MAX_PROGRAM_HEADERS + 1 }), 'too-many-segments');
    assert.equal(e.offset, 44);
  });
  it('no program headers', () => {
    refused(buildElf({ segments: [], phnum: 0, entry: RAM_BASE }), 'no-segments');
  });
  it('only empty segments', () => {
    refused(buildElf({ segments: [{ paddr: RAM_BASE, data: [] }] }), 'no-segments');
  });
  it('a program header entry size smaller than 32', () => {
    refused(buildElf({ phentsize: 16 }), 'bad-header-size');
  });
  it('a segment whose bytes run past the end of the file', () => {
    const e = refused(
      buildElf({ segments: [{ paddr: RAM_BASE, data: [1, 2, 3, 4] }, { paddr: RAM_BASE + 0x100, data: [1], filesz: 0x1000, memsz: 0x1000 }] }),
      'truncated-segment',
    );
    assert.match(e.place, /^program header 1 \(PT_LOAD at 0x80000100\)$/);
    assert.ok(e.offset !== null && e.offset > 52, 'names the segment data offset');
  });
  it('a segment offset beyond the file (2^32 - 1)', () => {
    refused(buildElf({ segments: [{ paddr: RAM_BASE, data: [1], offset: 0xffff_ffff }] }), 'truncated-segment');
  });
  it('p_filesz > p_memsz', () => {
    const e = refused(buildElf({ segments: [{ paddr: RAM_BASE, data: [1, 2, 3, 4], memsz: 2 }] }), 'filesz-exceeds-memsz');
    assert.equal(e.offset, 52 + 16, 'names the p_filesz field of program header 0');
  });
  it('a segment below RAM', () => {
    const e = refused(buildElf({ segments: [{ paddr: 0x1000, data: [1] }], entry: RAM_BASE }), 'outside-ram');
    assert.match(e.message, /program header 0 .*not inside RAM \[0x80000000, 0x80010000\)/);
  });
  it('a segment running past the end of RAM', () => {
    refused(buildElf({ segments: [{ paddr: RAM_BASE + 0xfffe, data: [1, 2, 3, 4] }] }), 'outside-ram');
  });
  it('an absurd p_memsz (wrapping past 2^32)', () => {
    refused(buildElf({ segments: [{ paddr: RAM_BASE, data: [1], memsz: 0xffff_fff0 }] }), 'outside-ram');
  });
  it('segments whose file bytes overlap, naming both (QEMU 7.2: "Some ROM regions are overlapping")', () => {
    const e = refused(
      buildElf({ segments: [{ paddr: RAM_BASE + 0x100, data: [1, 2, 3, 4] }, { paddr: RAM_BASE + 0x102, data: [5, 6, 7, 8] }] }),
      'overlapping-segments',
    );
    assert.match(e.message, /program header 1 .*overlap those of program header 0/);
    // Through a segment with p_filesz 0 between them: QEMU skips it, so the two with bytes are still neighbours.
    refused(buildElf({ segments: [
      { paddr: RAM_BASE, data: [1, 2, 3, 4, 5, 6, 7, 8] },
      { paddr: RAM_BASE + 2, data: [], memsz: 4 },
      { paddr: RAM_BASE + 4, data: [9] },
    ] }), 'overlapping-segments');
  });
  it('an entry point outside RAM', () => {
    assert.equal(refused(buildElf({ entry: 0x1000 }), 'entry-outside-ram').offset, 24);
  });
  it('a section header table past the end of the file', () => {
    const image = buildElf({ symbols: [{ name: 'tohost', value: RAM_BASE }] });
    const cut = image.subarray(0, image.length - 10);
    assert.equal(refused(cut, 'truncated-header').place, 'section header table');
  });
  it('a symbol table outside the file', () => {
    const image = buildElf({ symbols: [{ name: 'tohost', value: RAM_BASE }] });
    const shoff = image[32] | (image[33] << 8) | (image[34] << 16) | (image[35] << 24);
    image[shoff + 40 + 20] = 0xff; // sh_size of .symtab
    image[shoff + 40 + 21] = 0xff;
    assert.match(refused(image, 'bad-symtab').place, /^section 1/);
  });
  it('random bytes after the ELF magic never crash: an ImageError or a load', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const base = buildElf({ symbols: [{ name: 'tohost', value: RAM_BASE }] });
    for (let n = 0; n < 300; n++) {
      const image = base.slice();
      for (let k = 0; k < 4; k++) image[4 + (rnd() % (image.length - 4))] = rnd() & 0xff;
      try {
        loadImage({ image, ram: ram() });
      } catch (e) {
        assert.ok(e instanceof ImageError, `only ImageError may escape: ${String(e)}`);
      }
    }
  });
});
