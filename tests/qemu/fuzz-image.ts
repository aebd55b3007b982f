// fuzz-image.ts: the QEMU cross-check of the hart fuzzer (docs/robustness.md, attack 1).
// Builds a raw image (for 0x80000000, QEMU virt with -bios none) that runs
// N random instruction words one at a time in M, S or U mode (S and U
// bare or through Sv32), each with its own seeded registers and mstatus;
// a trap handler logs (mcause,
// mtval, mepc) for each; at the end the log goes out over the UART and the
// test finisher ends the run. The same image runs under QEMU 7.2 and under
// xsvisor (a VirtVm, or the CLI); `compareFuzzLogs` lines the two logs up
// and explains every known difference, citing the spec.
//
// Per word, the harness (M-mode) copies it to SLOT (followed by a fixed
// ECALL, so a word that falls through is logged as "ECALL at SLOT + 4"),
// executes FENCE.I, restores the CSR state (mstatus from the word's
// record, medeleg/mideleg/mie/mip 0, satp 0 or the Sv32 root, mepc = SLOT,
// SFENCE.VMA), loads x1-x31 from
// the word's record and MRETs into the mode. Layout (RAM offsets):
//   0x000000 harness code     0x010000 words      0x020000 records (32 words each, to 0x060000)
//   0x060000 Sv32 root table (paged images: RAM's superpage RWX, VA
//            0x40000000 mapped onto it read-only, A and D preset, and VA
//            0x50000000 pointing to a level-0 table where there is no memory)
//   0x101000 data (pointers land in [0x100800, 0x102800))
//   0x200000 SLOT             0x400000 state      0x410000 log (3 words each)
// SLOT sits 1 MiB away from everything but the data page, so a JAL or a
// branch from it reaches only zeros (c.unimp) or data; the image is 2 MiB.
//
// Left out, because QEMU and xsvisor differ there by design or because the
// harness needs them (each counted by the generator, never silently):
// - WFI: with no interrupt source QEMU sleeps forever.
// - writes to mtvec (the harness's handler) and to the PMP CSRs in M-mode:
//   a locked or closed entry would take memory from the harness (and QEMU
//   7.2 keeps pmpcfg bits the spec reserves: docs/design.md#pmp-and-triggers); guests/pmp
//   compares PMP with QEMU instead.
// - writes to the trigger CSRs (0x7a0-0x7af) in M-mode: a breakpoint's
//   mtval is 0 on QEMU 7.2 and the address on xsvisor (both allowed);
//   guests/trigger compares the trigger module with QEMU instead.
// - pc-relative jumps to SLOT itself or its second parcel (endless loops).
// - register values that would address devices or MMIO (QEMU executes
//   MMIO and has devices xsvisor lacks): pointers are RAM data, small
//   (< 64), or unmapped (>= 0x90000000).

import { spawn } from 'node:child_process';
import { VirtVm } from '../../src/monitor/index.js';
import { ManualClock, MemorySerial } from '../../src/ports/sim/index.js';
import { ProgramBuilder } from './asm.js';
import * as E from './encode.js';
import { FuzzRng, INTERESTING_CSRS, isOptionalCsr, pcRelativeOffset } from '../core/hart-fuzz-oracle.js';

export const IMAGE_BASE = 0x8000_0000;
const WORDS = IMAGE_BASE + 0x1_0000;
const RECORDS = IMAGE_BASE + 0x2_0000;
const DATA_LO = IMAGE_BASE + 0x10_1000;
export const FUZZ_SLOT = IMAGE_BASE + 0x20_0000;
const STATE = IMAGE_BASE + 0x40_0000;
const LOG = IMAGE_BASE + 0x41_0000;
const SEPC = FUZZ_SLOT + 0x100;
/** Sv32 root table of the paged images (outside the reach of jumps from SLOT and of data pointers). */
const ROOT = IMAGE_BASE + 0x6_0000;
/** Paged images map this superpage onto RAM read-only: loads work, stores and AMOs page-fault. */
const RO_VA = 0x4000_0000;
/** Paged images: this superpage's root entry points to a level-0 table in no memory. */
const BADPT_VA = 0x5000_0000;
/** At most this many words per image (the records table holds 2048). */
export const MAX_WORDS = 2048;

export type Mode = 'M' | 'S' | 'U';
const MODE_BITS: Record<Mode, number> = { M: 3, S: 1, U: 0 };

export interface FuzzImage {
  mode: Mode;
  /** S or U through Sv32 (see buildFuzzImage). */
  paging: boolean;
  seed: number;
  words: number[];
  /** Per word: [mstatus, x1..x31]. */
  records: number[][];
  image: Uint8Array;
  /** Draws the generator threw away, by reason. */
  excluded: Record<string, number>;
}

/** Register values that address only RAM data or nothing at all, in QEMU and in xsvisor alike. */
function value(g: FuzzRng, paging: boolean): number {
  const k = g.below(10);
  if (paging && k === 9 && g.chance(0.5)) return (g.chance(0.7) ? RO_VA : BADPT_VA) + 0x10_1000 + g.below(0x1000);
  if (k < 5) return DATA_LO + g.below(0x1000);
  if (k < 7) return g.below(64);
  if (k < 8) return [0, 1, 0x7ff, 0x20, 0x1f][g.below(5)]!;
  return (0x9000_0000 + g.below(0x6fff_f000)) >>> 0;
}

function randomWord(g: FuzzRng): number {
  const k = g.below(100);
  if (k < 35) return (g.next() | 3) >>> 0;
  if (k < 60) {
    const p = g.next() & 0xffff;
    // a 16-bit parcel, then C.NOP so that a fall-through reaches the ECALL at SLOT + 4
    return (((p & 3) === 3 ? p & ~(1 << g.below(2)) : p) | (0x0001 << 16)) >>> 0;
  }
  if (k < 88) {
    const csr = g.chance(0.5) ? INTERESTING_CSRS[g.below(INTERESTING_CSRS.length)]! : g.below(4096);
    const f3 = [1, 2, 3, 5, 6, 7][g.below(6)]!;
    const rs1 = g.chance(0.25) ? 0 : g.below(32);
    const rd = g.chance(0.2) ? 0 : g.below(32);
    return ((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0;
  }
  if (k < 94) {
    const fixed = [E.ECALL, E.EBREAK, E.MRET, E.SRET, 0x00200073, 0x7b200073, E.FENCE_I, 0x0ff0000f];
    if (g.chance(0.6)) return fixed[g.below(fixed.length)]!;
    return ((0x09 << 25) | (g.below(32) << 20) | (g.below(32) << 15) | ((g.chance(0.2) ? g.below(32) : 0) << 7) | 0x73) >>> 0;
  }
  const f5 = [0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 28, g.below(32)][g.below(12)]!;
  const f3 = g.chance(0.9) ? 2 : g.below(8);
  return ((f5 << 27) | (g.below(4) << 25) | (g.below(32) << 20) | (g.below(32) << 15) | (f3 << 12) | (g.below(32) << 7) | 0x2f) >>> 0;
}

/** Why a word may not go into a QEMU-compared image, or null when it may. */
export function exclusionReason(word: number, mode: Mode): string | null {
  if (word === E.WFI) return 'wfi';
  const off = pcRelativeOffset(word);
  if (off !== null && (off === 0 || off === 2)) return 'self-jump';
  if ((word & 0x7f) === 0x73 && ((word >>> 12) & 3) !== 0 && mode === 'M') {
    const csr = word >>> 20;
    const writes = ((word >>> 12) & 3) === 1 || ((word >>> 15) & 31) !== 0;
    if (writes && csr === 0x305) return 'mtvec-write';
    if (writes && csr >= 0x3a0 && csr <= 0x3ef) return 'pmp-write';
    if (writes && csr >= 0x7a0 && csr <= 0x7af) return 'trigger-write';
  }
  return null;
}

/** Generates the image for `count` words (at most {@link MAX_WORDS}) in `mode` from `seed`. */
export function buildFuzzImage(options: { mode: Mode; seed: number; count: number; paging?: boolean }): FuzzImage {
  const { mode, seed, count } = options;
  const paging = options.paging ?? false;
  if (paging && mode === 'M') throw new RangeError('paging applies to S and U only');
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORDS) throw new RangeError(`count ${count} is not in [1, ${MAX_WORDS}]`);
  const g = new FuzzRng(seed ^ (MODE_BITS[mode] * 0x10001) ^ (paging ? 0x5a5a0000 : 0));
  const excluded: Record<string, number> = {};
  const words: number[] = [];
  const records: number[][] = [];
  const mcounteren = g.next() & 7;
  const scounteren = g.next() & 7;
  while (words.length < count) {
    const w = randomWord(g);
    const why = exclusionReason(w, mode);
    if (why !== null) {
      excluded[why] = (excluded[why] ?? 0) + 1;
      continue;
    }
    words.push(w);
    let mstatus = MODE_BITS[mode] << 11;
    for (const bit of [8, 18, 19, 20, 21, 22]) if (g.chance(0.3)) mstatus |= 1 << bit; // SPP SUM MXR TVM TW TSR
    const rec = [mstatus >>> 0];
    for (let r = 1; r < 32; r++) rec.push(r === 2 && g.chance(0.7) ? DATA_LO + 4 * g.below(0x300) : value(g, paging));
    records.push(rec);
  }

  const b = new ProgramBuilder(IMAGE_BASE);
  const X = E.X;
  const csrw = (n: number, rs: number) => b.emit32(E.csr('csrrw', 0, n, rs));
  b.addressOf(X.t0, 'handler');
  csrw(0x305, X.t0);
  b.li(X.t0, -1);
  csrw(0x3b0, X.t0); // pmpaddr0: all of the 34-bit space below it
  b.li(X.t0, 0x0f);
  csrw(0x3a0, X.t0); // pmpcfg0: TOR, RWX (without it QEMU denies S and U everything)
  b.li(X.s1, STATE);
  b.emit32(E.store('sw', 0, 0, X.s1));
  b.jalTo(0, 'dispatch');

  b.label('dispatch');
  b.li(X.s1, STATE);
  b.emit32(E.load('lw', X.s0, 0, X.s1));
  b.li(X.t0, count);
  b.branchTo('bne', X.s0, X.t0, 'more');
  b.jalTo(0, 'done');
  b.label('more');
  b.li(X.t1, WORDS);
  b.emit32(E.shiftImm('slli', X.t2, X.s0, 2));
  b.emit32(E.alu('add', X.t1, X.t1, X.t2));
  b.emit32(E.load('lw', X.t3, 0, X.t1));
  b.li(X.t4, FUZZ_SLOT);
  b.emit32(E.store('sw', X.t3, 0, X.t4));
  b.emit32(E.FENCE_I);
  b.li(31, RECORDS);
  b.emit32(E.shiftImm('slli', X.t0, X.s0, 7));
  b.emit32(E.alu('add', 31, 31, X.t0));
  b.emit32(E.load('lw', X.t0, 0, 31));
  csrw(0x300, X.t0); // mstatus: MPP = the mode, MIE = MPRV = 0
  for (const n of [0x302, 0x303, 0x304, 0x344]) csrw(n, 0); // medeleg mideleg mie mip
  if (paging) {
    b.li(X.t0, (0x8000_0000 | (ROOT >>> 12)) >>> 0);
    csrw(0x180, X.t0);
  } else csrw(0x180, 0); // satp
  b.emit32(0x12000073); // sfence.vma: the word may have changed satp
  csrw(0x341, X.t4); // mepc = SLOT
  b.li(X.t0, SEPC);
  csrw(0x141, X.t0);
  b.li(X.t0, mcounteren);
  csrw(0x306, X.t0);
  b.li(X.t0, scounteren);
  csrw(0x106, X.t0);
  for (let r = 1; r <= 30; r++) b.emit32(E.load('lw', r, 4 * r, 31));
  b.emit32(E.load('lw', 31, 124, 31));
  b.emit32(E.MRET);

  // The handler: log (mcause, mtval, mepc) at LOG + 12 * index, next word.
  b.label('handler');
  b.li(31, STATE);
  b.emit32(E.load('lw', 30, 0, 31));
  b.emit32(E.shiftImm('slli', 29, 30, 3));
  b.emit32(E.shiftImm('slli', 28, 30, 2));
  b.emit32(E.alu('add', 30, 29, 28));
  b.li(29, LOG);
  b.emit32(E.alu('add', 30, 30, 29));
  b.emit32(E.csr('csrrs', 29, 0x342, 0));
  b.emit32(E.store('sw', 29, 0, 30));
  b.emit32(E.csr('csrrs', 29, 0x343, 0));
  b.emit32(E.store('sw', 29, 4, 30));
  b.emit32(E.csr('csrrs', 29, 0x341, 0));
  b.emit32(E.store('sw', 29, 8, 30));
  b.emit32(E.load('lw', 30, 0, 31));
  b.emit32(E.aluImm('addi', 30, 30, 1));
  b.emit32(E.store('sw', 30, 0, 31));
  b.jalTo(0, 'dispatch');

  // Print the log: "cause tval epc" per word, in hex, then pass.
  b.label('done');
  b.li(X.s0, LOG);
  b.li(X.s1, 3 * count);
  b.emit32(E.aluImm('addi', X.s2, 0, 0));
  b.label('dump');
  b.emit32(E.load('lw', X.a0, 0, X.s0));
  b.jalTo(X.ra, 'puthex');
  b.emit32(E.aluImm('addi', X.s2, X.s2, 1));
  b.emit32(E.aluImm('addi', X.t0, 0, 3));
  b.emit32(E.aluImm('addi', X.a0, 0, 32));
  b.branchTo('bne', X.s2, X.t0, 'sep');
  b.emit32(E.aluImm('addi', X.a0, 0, 10));
  b.emit32(E.aluImm('addi', X.s2, 0, 0));
  b.label('sep');
  b.jalTo(X.ra, 'putc');
  b.emit32(E.aluImm('addi', X.s0, X.s0, 4));
  b.emit32(E.aluImm('addi', X.s1, X.s1, -1));
  b.branchTo('bne', X.s1, 0, 'dump');
  b.li(X.t0, 0x0010_0000);
  b.li(X.t1, 0x5555);
  b.emit32(E.store('sw', X.t1, 0, X.t0));
  b.label('hang');
  b.jalTo(0, 'hang');

  // putc(a0): wait for LSR.THRE, write THR. Clobbers t5, t6.
  b.label('putc');
  b.li(X.t5, 0x1000_0000);
  b.label('txwait');
  b.emit32(E.load('lbu', X.t6, 5, X.t5));
  b.emit32(E.aluImm('andi', X.t6, X.t6, 0x20));
  b.branchTo('beq', X.t6, 0, 'txwait');
  b.emit32(E.store('sb', X.a0, 0, X.t5));
  b.emit32(E.jalr(0, X.ra, 0));

  // puthex(a0): eight hex digits. Clobbers a0, s3-s5, t0, t5, t6.
  b.label('puthex');
  b.emit32(E.aluImm('addi', X.s3, X.ra, 0));
  b.emit32(E.aluImm('addi', X.s5, X.a0, 0));
  b.emit32(E.aluImm('addi', X.s4, 0, 28));
  b.label('hexloop');
  b.emit32(E.alu('srl', X.a0, X.s5, X.s4));
  b.emit32(E.aluImm('andi', X.a0, X.a0, 15));
  b.emit32(E.aluImm('addi', X.t0, 0, 10));
  b.branchTo('blt', X.a0, X.t0, 'hexdigit');
  b.emit32(E.aluImm('addi', X.a0, X.a0, 39));
  b.label('hexdigit');
  b.emit32(E.aluImm('addi', X.a0, X.a0, 48));
  b.jalTo(X.ra, 'putc');
  b.emit32(E.aluImm('addi', X.s4, X.s4, -4));
  b.branchTo('bge', X.s4, 0, 'hexloop');
  b.emit32(E.jalr(0, X.s3, 0));

  const code = b.finish();
  if (code.length > WORDS - IMAGE_BASE) throw new Error('harness code too large');
  const image = new Uint8Array(FUZZ_SLOT - IMAGE_BASE + 8);
  image.set(code, 0);
  const put = (addr: number, v: number) => {
    const o = addr - IMAGE_BASE;
    image[o] = v & 0xff;
    image[o + 1] = (v >>> 8) & 0xff;
    image[o + 2] = (v >>> 16) & 0xff;
    image[o + 3] = (v >>> 24) & 0xff;
  };
  words.forEach((w, i) => put(WORDS + 4 * i, w));
  records.forEach((rec, i) => rec.forEach((v, j) => put(RECORDS + 128 * i + 4 * j, v)));
  put(FUZZ_SLOT + 4, E.ECALL);
  if (paging) {
    // Sv32 superpages (PPN[0] = 0), A and D preset so no walk writes: RAM RWX, RO_VA read-only.
    const u = mode === 'U' ? 16 : 0;
    const pte = (pa: number, flags: number) => (((pa >>> 12) << 10) | flags | u) >>> 0;
    put(ROOT + 4 * (IMAGE_BASE >>> 22), pte(IMAGE_BASE, 0xcf)); // V R W X A D
    put(ROOT + 4 * (RO_VA >>> 22), pte(IMAGE_BASE, 0x43)); // V R A
    put(ROOT + 4 * (BADPT_VA >>> 22), pte(0x9000_0000, 0x01)); // V: a pointer to a table where there is no memory
  }
  return { mode, paging, seed, words, records, image, excluded };
}

/** One log entry: what the handler saw for a word. */
export interface FuzzLogEntry {
  cause: number;
  tval: number;
  epc: number;
}

/** Parses the UART dump; null when it is not `count` well-formed lines. */
export function parseFuzzLog(out: string, count: number): FuzzLogEntry[] | null {
  const lines = out.split('\n');
  if (lines.length !== count + 1 || lines[count] !== '') return null;
  const entries: FuzzLogEntry[] = [];
  for (let i = 0; i < count; i++) {
    const m = /^([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8})$/.exec(lines[i]!);
    if (!m) return null;
    entries.push({ cause: parseInt(m[1]!, 16), tval: parseInt(m[2]!, 16), epc: parseInt(m[3]!, 16) });
  }
  return entries;
}

/** The result of lining up the two logs. */
export interface FuzzComparison {
  compared: number;
  /** Differences docs/design.md#the-hart documents, by kind. */
  accepted: Record<string, number>;
  /** Optional CSRs one side implements and the other does not (number → count). */
  optionalCsrs: Record<string, number>;
  mismatches: string[];
  /** QEMU's traps at the word itself, by cause. */
  trapsByCause: Record<number, number>;
}

const h = (v: number) => '0x' + (v >>> 0).toString(16);

/**
 * Compares the QEMU log with the xsvisor log, word by word. Accepted, and
 * counted, are only the documented deliberate differences:
 * - a misaligned AMO: QEMU 7.2 raises load-misaligned (4); xsvisor raises
 *   store/AMO-misaligned (6), the cause the privileged spec's table 3.6
 *   names for AMOs (unprivileged spec 8.4: misaligned AMOs raise
 *   address-misaligned or access fault);
 * - a misaligned SC without a reservation: QEMU 7.2 lets it fail without a
 *   trap; xsvisor raises 6 (unprivileged spec 8.2: "an address-misaligned
 *   exception or an access-fault exception will be generated" for a
 *   misaligned SC; Sail checks alignment first too);
 * - a page walk whose PTE is not in memory: QEMU 7.2 raises a page fault;
 *   xsvisor an access fault of the original access type (privileged spec
 *   4.3.2 step 2: "If accessing pte violates a PMA or PMP check, raise an
 *   access-fault exception corresponding to the original access type");
 * - an SC, with no reservation, to a page that faults: QEMU 7.2 fails it
 *   without a trap; xsvisor translates first (its reservations are kept
 *   on physical addresses, docs/design.md#the-hart) and raises the store/AMO page
 *   fault. The spec does not say whether a failing SC may fault;
 * - an AMO or SC (not LR) that access- or page-faults: QEMU 7.2 raises
 *   the load fault (5, 13); xsvisor the store/AMO fault (7, 15), as table
 *   3.6 and the Sail model (E_SAMO_Access_Fault, E_SAMO_Page_Fault) do;
 * - a misaligned load or store that access-faults: QEMU 7.2 writes the
 *   address rounded down to the access size to mtval; xsvisor the address
 *   of the access (privileged spec 3.1.16: "the virtual address of the
 *   portion of the access that caused the fault");
 * - CSRRS/CSRRC on a read-only CSR with rs1 != x0 holding 0: QEMU 7.2
 *   reads without a trap; xsvisor raises illegal instruction (Zicsr 9.1:
 *   with rs1 != x0 the instruction "will still attempt to write", and a
 *   write to a read-only CSR raises illegal instruction, privileged 2.1);
 * - a CSR the privileged spec makes optional (hpm counters, envcfg,
 *   mconfigptr, mstatush, Sdtrig...) that only one side implements.
 */
export function compareFuzzLogs(img: FuzzImage, qemu: FuzzLogEntry[], xs: FuzzLogEntry[]): FuzzComparison {
  const r: FuzzComparison = { compared: 0, accepted: {}, optionalCsrs: {}, mismatches: [], trapsByCause: {} };
  const ecall = [8, 9, 0, 11][MODE_BITS[img.mode]]!;
  const fellThrough = (e: FuzzLogEntry) => e.epc === FUZZ_SLOT + 4 && e.cause === ecall;
  const accept = (k: string) => (r.accepted[k] = (r.accepted[k] ?? 0) + 1);
  for (let i = 0; i < img.words.length; i++) {
    const w = img.words[i]!;
    const q = qemu[i]!, x = xs[i]!;
    r.compared++;
    if (q.epc === FUZZ_SLOT) r.trapsByCause[q.cause] = (r.trapsByCause[q.cause] ?? 0) + 1;
    if (q.cause === x.cause && q.tval === x.tval && q.epc === x.epc) continue;
    const op = w & 0x7f, f3 = (w >>> 12) & 7, f5 = w >>> 27;
    const isAmo = (w & 3) === 3 && op === 0x2f && f3 === 2;
    if (isAmo && f5 !== 2 && f5 !== 3 && q.cause === 4 && x.cause === 6 && q.tval === x.tval && q.epc === x.epc) {
      accept('misaligned AMO: QEMU cause 4, xsvisor 6');
      continue;
    }
    if (isAmo && f5 === 3 && fellThrough(q) && x.cause === 6 && x.epc === FUZZ_SLOT) {
      accept('misaligned SC: QEMU no trap, xsvisor cause 6');
      continue;
    }
    // A PTE that cannot be read: privileged 4.3.2 step 2 raises an access fault of the original
    // access type; QEMU 7.2 raises the page fault (and for an AMO the load one).
    const pteLoad = (q.cause === 13 || q.cause === 15) && x.cause === (isAmo && f5 !== 2 ? 7 : q.cause === 13 ? 5 : 7);
    const sameTval = q.tval === x.tval || q.tval === (x.tval & ~1) >>> 0 || q.tval === (x.tval & ~3) >>> 0; // QEMU rounds misaligned ones
    const writesSatp = (w & 3) === 3 && op === 0x73 && f3 !== 0 && f3 !== 4 && w >>> 20 === 0x180;
    const faultPair = (q.cause === 12 && x.cause === 1) || (q.cause === 13 && x.cause === 5) || (q.cause === 15 && x.cause === 7);
    if (writesSatp && faultPair && q.tval === x.tval && q.epc === x.epc) {
      // the word pointed satp at a root table where there is no memory: the same case
      accept('PTE not in memory: QEMU page fault, xsvisor access fault');
      continue;
    }
    if (img.paging && q.tval >>> 22 === BADPT_VA >>> 22 && sameTval && q.epc === x.epc && (pteLoad || (q.cause === 12 && x.cause === 1))) {
      accept('PTE not in memory: QEMU page fault, xsvisor access fault');
      continue;
    }
    if (isAmo && f5 === 3 && fellThrough(q) && x.epc === FUZZ_SLOT && (x.cause === 15 || (x.cause === 7 && img.paging && x.tval >>> 22 === BADPT_VA >>> 22))) {
      accept('SC page fault without a reservation: QEMU no trap, xsvisor cause 15');
      continue;
    }
    if (isAmo && f5 !== 2 && q.cause === 5 && x.cause === 7 && q.tval === x.tval && q.epc === x.epc) {
      accept('AMO access fault: QEMU cause 5, xsvisor 7');
      continue;
    }
    if (isAmo && f5 !== 2 && q.cause === 13 && x.cause === 15 && q.tval === x.tval && q.epc === x.epc) {
      accept('AMO page fault: QEMU cause 13, xsvisor 15');
      continue;
    }
    const size = accessSize(w);
    if (size > 1 && q.cause === x.cause && (q.cause === 5 || q.cause === 7) && q.epc === x.epc && x.epc === FUZZ_SLOT &&
        (x.tval & (size - 1)) !== 0 && q.tval === (x.tval & ~(size - 1)) >>> 0) {
      accept('misaligned access fault: QEMU tval rounded down');
      continue;
    }
    const rs1 = (w >>> 15) & 31;
    if ((w & 3) === 3 && op === 0x73 && (f3 === 2 || f3 === 3) && rs1 !== 0 && img.records[i]![rs1] === 0 && w >>> 30 === 3 &&
        fellThrough(q) && x.epc === FUZZ_SLOT && x.cause === 2 && x.tval === w) {
      accept('CSRRS/C of a read-only CSR with a zero rs1 != x0: QEMU no trap, xsvisor illegal');
      continue;
    }
    if ((w & 3) === 3 && op === 0x73 && f3 !== 0 && f3 !== 4 && isOptionalCsr(w >>> 20)) {
      const one = (e: FuzzLogEntry) => e.epc === FUZZ_SLOT && e.cause === 2 && e.tval === w;
      if ((one(q) && fellThrough(x)) || (one(x) && fellThrough(q))) {
        const k = h(w >>> 20) + (one(x) ? ' (QEMU only)' : ' (xsvisor only)');
        r.optionalCsrs[k] = (r.optionalCsrs[k] ?? 0) + 1;
        continue;
      }
    }
    r.mismatches.push(
      `word ${i} ${h(w)} in ${img.mode}${img.paging ? '+sv32' : ''} (mstatus ${h(img.records[i]![0]!)}): ` +
        `qemu cause ${q.cause} tval ${h(q.tval)} epc ${h(q.epc)} / xsvisor cause ${x.cause} tval ${h(x.tval)} epc ${h(x.epc)}`,
    );
  }
  return r;
}

/** The size of the access a load or store word makes (RV32I and RV32C forms), 0 for anything else. */
function accessSize(w: number): number {
  if ((w & 3) === 3) {
    const op = w & 0x7f, f3 = (w >>> 12) & 7;
    if (op === 0x03) return [1, 2, 4, 0, 1, 2, 0, 0][f3]!;
    if (op === 0x23) return [1, 2, 4, 0, 0, 0, 0, 0][f3]!;
    return 0;
  }
  const p = w & 0xffff, q = p & 3, f3 = p >>> 13;
  return (q === 0 && (f3 === 2 || f3 === 6)) || (q === 2 && (f3 === 2 || f3 === 6)) ? 4 : 0;
}

/**
 * Runs an image on a VirtVm in this process (the machine the CLI builds,
 * 128 MiB of RAM as QEMU's default) for at most `maxInsns` steps; resolves
 * to the UART output and the finisher's status (null when it did not end).
 * Used instead of the CLI so the comparison does not depend on dist/.
 */
export function runXsvisorInProcess(image: Uint8Array, maxInsns = 100_000_000): { stdout: string; status: number | null } {
  const serial = new MemorySerial({ outputCapacity: 1 << 20 });
  const vm = new VirtVm({ image, clock: new ManualClock(), serial: serial.open, imageName: 'fuzz.bin' });
  let out = '';
  let status: number | null = null;
  try {
    while (vm.steps < maxInsns) {
      const e = vm.run(1_000_000);
      out += Buffer.from(serial.takeOutput()).toString('latin1');
      if (e.kind === 'exit') {
        status = e.status;
        break;
      }
      if (e.kind !== 'budget') break;
    }
  } finally {
    vm.close();
  }
  return { stdout: out, status };
}

/** Runs an image with the xsvisor CLI (`node CLI run --max-insns N IMAGE`); resolves to its UART output and status. */
export function runXsvisorCli(cli: string, imagePath: string, maxInsns = 100_000_000, timeoutMs = 120_000): Promise<{ stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', '--max-insns', String(maxInsns), imagePath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) process.stderr.write(Buffer.concat(err));
      resolve({ stdout: Buffer.concat(out).toString('latin1'), status: code });
    });
  });
}
