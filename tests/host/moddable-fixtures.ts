/**
 * A small guest for the Moddable app's tests, assembled here and wrapped
 * in an ELF32 file: one read-only segment (code and strings) and one
 * writable (a data word), like a linked C program, so the image plan has
 * both kinds.
 *
 * It prints "xsvisor echo\n", turns GPIO line 0 (the LED) on, adds one to
 * its data word, then sleeps in WFI until UART0 receives (UART and PLIC
 * interrupt enabled, mstatus.MIE clear: WFI wakes, no trap) and echoes
 * every byte. On 'q' it prints "bye N\n", N the level of GPIO line 1 (the
 * button), and exits through the test finisher with status 0 (and, built
 * with `crashOn`, wedges itself in a trap loop on that byte).
 */
import {
  a0, a1, t0, t1, t2, s0, s1, s2, s3, zero, ra,
  addi, andi, beq, bne, csrrs, jal, jalr, lbu, lui, lw, sb, srli, sw, wfi, Program,
} from '../core/rv-encode.js';

const UART = 0x1000_0000;
const GPIO = 0x1006_0000;
const PLIC = 0x0c00_0000;
const FINISHER = 0x0010_0000;
const CSR_MIE = 0x304;
const RAM = 0x8000_0000;
const DATA = 0x8000_1000;

/** The upper 20 bits and the low 12 of `v`, for LUI + ADDI (the ADDI's sign compensated). */
function split(v: number): [number, number] {
  const lo = ((v | 0) << 20) >> 20;
  return [(((v | 0) - lo) >>> 12) & 0xfffff, lo];
}

/** The guest's code and strings, from 0x8000_0000; with `crashOn`, that byte (once echoed) sends it to address 0. */
function program(crashOn?: string): Uint8Array {
  const p = new Program(RAM);
  const la = (rd: number, name: string): void => {
    p.at(4, (_pc, label) => lui(rd, split(label(name))[0]));
    p.at(4, (_pc, label) => addi(rd, rd, split(label(name))[1]));
  };
  const call = (name: string): void => {
    p.at(4, (pc, label) => jal(ra, label(name) - pc));
  };
  const branch = (make: (off: number) => number, name: string): void => {
    p.at(4, (pc, label) => make(label(name) - pc));
  };

  p.label('start');
  p.li(s0, UART).li(s1, GPIO);
  la(a0, 'banner');
  call('puts');
  // LED line 0: output, on. Button line 1: input enabled.
  p.i(addi(t0, zero, 1), sw(t0, s1, 0x08), sw(t0, s1, 0x0c), addi(t0, zero, 2), sw(t0, s1, 0x04));
  // The data word lives in the writable segment (RAM): count this boot.
  p.li(s2, DATA).i(lw(t0, s2, 0), addi(t0, t0, 1), sw(t0, s2, 0));
  // UART receive interrupt -> PLIC source 10, priority 1, enabled for context 0 (hart 0 M-mode), threshold 0; mie.MEIE.
  p.i(addi(t0, zero, 1), sb(t0, s0, 1));
  p.li(t1, PLIC).i(sw(t0, t1, 40));
  p.li(t1, PLIC + 0x2000).li(t0, 1 << 10).i(sw(t0, t1, 0));
  p.li(t1, PLIC + 0x20_0000).i(sw(zero, t1, 0));
  p.li(t0, 0x800).i(csrrs(zero, CSR_MIE, t0));

  p.label('loop');
  p.i(lbu(t0, s0, 5), andi(t0, t0, 1));
  branch((off) => bne(t0, zero, off), 'got');
  p.i(wfi());
  branch((off) => jal(zero, off), 'loop');

  p.label('got');
  p.li(t1, PLIC + 0x20_0004).i(lw(t2, t1, 0), lbu(a0, s0, 0), sw(t2, t1, 0));
  call('putc');
  if (crashOn !== undefined) {
    // Nothing is mapped at 0 and mtvec is 0 (never set): every fetch faults and traps there again, so none retires.
    p.i(addi(t0, zero, crashOn.charCodeAt(0)));
    branch((off) => bne(a0, t0, off), 'no-crash');
    p.i(jalr(zero, zero, 0));
    p.label('no-crash');
  }
  p.i(addi(t0, zero, 'q'.charCodeAt(0)));
  branch((off) => bne(a0, t0, off), 'loop');
  la(a0, 'bye');
  call('puts');
  p.i(lw(t0, s1, 0x00), srli(t0, t0, 1), andi(t0, t0, 1), addi(a0, t0, '0'.charCodeAt(0)));
  call('putc');
  p.i(addi(a0, zero, 10));
  call('putc');
  p.li(t0, FINISHER).li(t1, 0x5555).i(sw(t1, t0, 0));
  p.label('hang');
  branch((off) => jal(zero, off), 'hang');

  // putc(a0): waits for THRE, writes a0. Clobbers t0.
  p.label('putc');
  p.i(lbu(t0, s0, 5), andi(t0, t0, 0x20));
  branch((off) => beq(t0, zero, off), 'putc');
  p.i(sb(a0, s0, 0), jalr(zero, ra, 0));

  // puts(a0): writes the NUL-terminated string at a0. Clobbers a0, a1, t0, s3.
  p.label('puts');
  p.i(addi(a1, a0, 0), addi(s3, ra, 0));
  p.label('puts-next');
  p.i(lbu(a0, a1, 0));
  branch((off) => beq(a0, zero, off), 'puts-done');
  call('putc');
  p.i(addi(a1, a1, 1));
  branch((off) => jal(zero, off), 'puts-next');
  p.label('puts-done');
  p.i(addi(ra, s3, 0), jalr(zero, ra, 0));

  // The strings, NUL-terminated, laid out two bytes per parcel.
  const str = (name: string, text: string): void => {
    p.label(name);
    const z = text.length % 2 === 0 ? `${text}\0\0` : `${text}\0`;
    for (let i = 0; i < z.length; i += 2) p.c(z.charCodeAt(i) | (z.charCodeAt(i + 1) << 8));
  };
  str('banner', 'xsvisor echo\n');
  str('bye', 'bye ');
  return p.bytes();
}

/** ELF32 little-endian RISC-V executable with the given PT_LOAD segments (gABI layout; no section headers). */
export function elf32(entry: number, segments: readonly { vaddr: number; bytes: Uint8Array; memsz: number; flags: number }[]): Uint8Array {
  const EHDR = 52;
  const PHDR = 32;
  let offset = 0x1000;
  const placed = segments.map((s) => {
    const o = offset;
    offset += Math.ceil(s.bytes.length / 0x1000) * 0x1000 || 0x1000;
    return { ...s, offset: o };
  });
  const out = new Uint8Array(offset);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setUint32(24, entry, true);
  dv.setUint32(28, EHDR, true);
  dv.setUint16(40, EHDR, true);
  dv.setUint16(42, PHDR, true);
  dv.setUint16(44, placed.length, true);
  placed.forEach((s, i) => {
    const h = EHDR + i * PHDR;
    dv.setUint32(h, 1, true); // PT_LOAD
    dv.setUint32(h + 4, s.offset, true);
    dv.setUint32(h + 8, s.vaddr, true);
    dv.setUint32(h + 12, s.vaddr, true);
    dv.setUint32(h + 16, s.bytes.length, true);
    dv.setUint32(h + 20, s.memsz, true);
    dv.setUint32(h + 24, s.flags, true);
    dv.setUint32(h + 28, 0x1000, true);
    out.set(s.bytes, s.offset);
  });
  return out;
}

/**
 * The echo guest (see the module note) as an ELF image: code and strings
 * read-only at 0x8000_0000, a data word (41) writable at 0x8000_1000.
 * With `crashOn`, echoing that byte wedges it (it jumps to address 0,
 * where nothing is mapped, with mtvec 0): the monitor's no-progress rule.
 */
export function echoGuest(options: { crashOn?: string } = {}): Uint8Array {
  const code = program(options.crashOn);
  return elf32(RAM, [
    { vaddr: RAM, bytes: code, memsz: code.length, flags: 5 /* R + X */ },
    { vaddr: DATA, bytes: new Uint8Array([41, 0, 0, 0]), memsz: 0x100, flags: 6 /* R + W */ },
  ]);
}

/** What the echo guest prints for input `typed` (ending in 'q') with the button at `button`. */
export function echoTranscript(typed: string, button: 0 | 1): string {
  return `xsvisor echo\n${typed}bye ${button}\n`;
}
