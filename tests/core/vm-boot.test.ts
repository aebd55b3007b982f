/**
 * The virt VM and its driver, on tiny guests assembled here by hand:
 * boot state (a0, a1, device tree), UART output, finisher and HTIF exits,
 * reset, WFI sleeping on the timer and on UART input, limits and stops.
 */
import { describe, it, assert } from '../harness/index.js';
import { validateBoard } from '../../src/board/index.js';
import { ImageError } from '../../src/loader/index.js';
import { runVm, VirtVm, VmConfigError, type VmExit } from '../../src/monitor/index.js';
import { ManualClock, ManualScheduler, MemorySerial } from '../../src/ports/sim/index.js';

// ------------------------------------------------------------------ a little assembler (RV32I + Zicsr)

const T0 = 5, T1 = 6, T2 = 7, T3 = 28, T4 = 29, T5 = 30, T6 = 31, A0 = 10, A1 = 11, ZERO = 0;
const CSR_MIE = 0x304, CSR_MIP = 0x344;

const iT = (op: number, rd: number, f3: number, rs1: number, imm: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const sT = (f3: number, rs1: number, rs2: number, imm: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const bT = (f3: number, rs1: number, rs2: number, off: number): number =>
  ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63) >>> 0;
const lui = (rd: number, imm20: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0;
const addi = (rd: number, rs1: number, imm: number): number => iT(0x13, rd, 0, rs1, imm);
const andi = (rd: number, rs1: number, imm: number): number => iT(0x13, rd, 7, rs1, imm);
const slli = (rd: number, rs1: number, sh: number): number => iT(0x13, rd, 1, rs1, sh);
const or = (rd: number, rs1: number, rs2: number): number => ((rs2 << 20) | (rs1 << 15) | (6 << 12) | (rd << 7) | 0x33) >>> 0;
const lw = (rd: number, rs1: number, imm: number): number => iT(0x03, rd, 2, rs1, imm);
const lbu = (rd: number, rs1: number, imm: number): number => iT(0x03, rd, 4, rs1, imm);
const sw = (rs2: number, rs1: number, imm: number): number => sT(2, rs1, rs2, imm);
const sb = (rs2: number, rs1: number, imm: number): number => sT(0, rs1, rs2, imm);
const beq = (rs1: number, rs2: number, off: number): number => bT(0, rs1, rs2, off);
const bne = (rs1: number, rs2: number, off: number): number => bT(1, rs1, rs2, off);
const jal = (rd: number, off: number): number =>
  ((((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) | (((off >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
const csrw = (csr: number, rs1: number): number => iT(0x73, 0, 1, rs1, csr);
const csrr = (rd: number, csr: number): number => iT(0x73, rd, 2, 0, csr);
const wfi = (): number => 0x10500073;

/** rd = value, as `li` expands it (lui + addi, with the addi's sign compensated). */
function li(rd: number, value: number): number[] {
  const v = value | 0;
  if (v >= -2048 && v < 2048) return [addi(rd, ZERO, v)];
  const lo = (v << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  return lo === 0 ? [lui(rd, hi)] : [lui(rd, hi), addi(rd, rd, lo)];
}

/** Lays words out from 0x8000_0000; `label()` and branch helpers patch offsets. */
class Asm {
  readonly words: (number | (() => number))[] = [];
  private readonly labels = new Map<string, number>();
  get here(): number {
    return this.words.length * 4;
  }
  emit(...ws: (number | number[])[]): this {
    for (const w of ws) {
      if (Array.isArray(w)) this.words.push(...w);
      else this.words.push(w);
    }
    return this;
  }
  label(name: string): this {
    this.labels.set(name, this.here);
    return this;
  }
  /** A branch or jump to a label, resolved at `bytes()`. */
  to(make: (off: number) => number, name: string): this {
    const at = this.here;
    this.words.push(() => make(this.labels.get(name)! - at));
    return this;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.words.length * 4);
    this.words.forEach((w, i) => {
      const v = typeof w === 'function' ? w() : w;
      for (let k = 0; k < 4; k++) out[i * 4 + k] = (v >>> (8 * k)) & 0xff;
    });
    return out;
  }
}

const UART = 0x1000_0000;
const FINISHER = 0x0010_0000;

/** Writes byte register `r` to the UART, waiting for THR empty (LSR bit 5) first. Uses T3, T4. */
function putc(a: Asm, r: number, tag: string): void {
  a.emit(li(T3, UART));
  a.label(`wait-${tag}`).emit(lbu(T4, T3, 5), andi(T4, T4, 0x20)).to((o) => beq(T4, ZERO, o), `wait-${tag}`);
  a.emit(sb(r, T3, 0));
}

/** Writes `value` to the test finisher. Uses T5, T6. */
function finish(a: Asm, value: number): void {
  a.emit(li(T5, FINISHER), li(T6, value), sw(T6, T5, 0));
  a.label('spin').to((o) => jal(ZERO, o), 'spin');
}

function printString(a: Asm, text: string): void {
  [...text].forEach((ch, i) => {
    a.emit(li(T0, ch.charCodeAt(0)));
    putc(a, T0, `s${a.here}-${i}`);
  });
}

function newVm(image: Uint8Array, extra: Partial<ConstructorParameters<typeof VirtVm>[0]> = {}) {
  const clock = new ManualClock();
  const serial = new MemorySerial();
  const vm = new VirtVm({ image, ramSize: 1024 * 1024, clock, serial: serial.open, imageName: 'guest.bin', ...extra });
  return { vm, clock, serial };
}

/** Runs the VM to its end with a manual scheduler; returns the exit and how many slices it took. */
async function drive(
  vm: VirtVm,
  scheduler: ManualScheduler,
  opts: { maxInstructions?: number; step?: number; sliceInstructions?: number } = {},
): Promise<{ exit: VmExit; slices: number }> {
  let slices = 0;
  let exit: VmExit | null = null;
  const done = runVm({ vm, scheduler, maxInstructions: opts.maxInstructions, sliceInstructions: opts.sliceInstructions, onSlice: () => slices++ })
    .then((e) => (exit = e));
  for (let i = 0; i < 10_000 && exit === null; i++) {
    scheduler.advance(opts.step ?? 1000);
    await Promise.resolve();
  }
  await done;
  return { exit: exit!, slices };
}

// ------------------------------------------------------------------ tests

describe('VirtVm: boot', () => {
  it('boots as QEMU -bios none: pc = entry, a0 = hart id, a1 = device tree at the top of RAM', () => {
    const a = new Asm();
    finish(a, 0x5555);
    const { vm } = newVm(a.bytes());
    assert.equal(vm.hart.pc, 0x8000_0000);
    assert.equal(vm.hart.regs[10], 0);
    assert.equal(vm.hart.regs[11] >>> 0, vm.fdtAddress);
    assert.ok(vm.fdtAddress >= 0x8008_0000 && vm.fdtAddress + vm.fdtSize <= 0x8010_0000, 'tree in the top half of 1 MiB');
    assert.equal(vm.space.read(vm.fdtAddress as never, 4), 0xedfe0dd0, 'FDT magic d00dfeed, big-endian');
    vm.close();
  });

  it('runs a hand-assembled guest that prints over the UART and exits through the finisher', () => {
    const a = new Asm();
    printString(a, 'hi ');
    // a0 + '0': the hart id; then the first byte of the tree at a1 (0xd0) tells 'T' or 'F'.
    a.emit(addi(T0, A0, 0x30));
    putc(a, T0, 'hart');
    a.emit(lbu(T1, A1, 0), li(T2, 0xd0), li(T0, 0x46 /* F */));
    a.to((o) => bne(T1, T2, o), 'no-tree').emit(li(T0, 0x54 /* T */)).label('no-tree');
    putc(a, T0, 'tree');
    a.emit(li(T0, 10));
    putc(a, T0, 'nl');
    finish(a, 0x5555);
    const { vm, serial } = newVm(a.bytes());
    const exit = vm.run(100_000);
    assert.deepEqual(exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(serial.takeText(), 'hi 0T\n');
    assert.ok(vm.instret > 20 && vm.instret < 1000, `instret ${vm.instret}`);
    assert.deepEqual(vm.run(10), exit, 'a final exit is returned again');
    vm.close();
  });

  it('a finisher fail carries its code as the exit status', () => {
    const a = new Asm();
    finish(a, (42 << 16) | 0x3333);
    const { vm } = newVm(a.bytes());
    assert.deepEqual(vm.run(1000), { kind: 'exit', status: 42, source: 'finisher' });
  });

  it('a finisher reset reboots the guest: image reloaded, other RAM kept', () => {
    // Counts boots in a word at RAM + 64 KiB (outside the image); the second boot passes.
    const a = new Asm();
    a.emit(li(T0, 0x8001_0000), lw(T1, T0, 0), addi(T1, T1, 1), sw(T1, T0, 0), li(T2, 2));
    a.to((o) => beq(T1, T2, o), 'second');
    finish(a, 0x7777);
    a.label('second');
    a.emit(li(T5, FINISHER), li(T6, 0x5555), sw(T6, T5, 0));
    const { vm } = newVm(a.bytes());
    assert.deepEqual(vm.run(10_000), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(vm.resets, 1);
  });

  it('reports through HTIF tohost when the ELF has the symbol', () => {
    // Code at 0x8000_0000, tohost at 0x8000_1000: write (13 << 1) | 1 to the low word, then 0 to the high word.
    const a = new Asm();
    a.emit(li(T0, 0x8000_1000), li(T1, (13 << 1) | 1), sw(T1, T0, 0), sw(ZERO, T0, 4));
    a.label('spin').to((o) => jal(ZERO, o), 'spin');
    const image = tinyElf(a.bytes(), 0x8000_1000);
    const { vm } = newVm(image);
    assert.ok(vm.htif !== null, 'HTIF overlay installed');
    assert.deepEqual(vm.run(1000), { kind: 'exit', status: 13, source: 'htif' });
  });

  it('a raw binary that is not code traps and loops in the guest, never crashing the monitor', () => {
    const { vm } = newVm(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    assert.deepEqual(vm.run(5000), { kind: 'budget' });
    assert.ok(vm.hart.trapCount > 0);
  });
});

describe('VirtVm: refusals', () => {
  it('RAM beyond the board budget', () => {
    const board = validateBoard(
      { name: 'small', platform: 'rp2040', ramBudget: '128KiB', devices: ['clint', 'plic', 'uart0', 'test-finisher'], uart0: { uart: 0, tx: 0, rx: 1 } },
      'boards/small.json',
    );
    const serial = new MemorySerial();
    const e = assert.throws<VmConfigError>(
      () => new VirtVm({ image: new Uint8Array(4), ramSize: 256 * 1024, board, clock: new ManualClock(), serial: serial.open }),
      VmConfigError,
    );
    assert.equal(e.reason, 'ram-exceeds-budget');
    assert.match(e.message, /board 'small'/);
    assert.ok(!serial.isOpen, 'no port opened');
  });
  it('a bad image is the loader\'s ImageError, and no port is opened', () => {
    const serial = new MemorySerial();
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    assert.throws(() => new VirtVm({ image: elf, ramSize: 65536 * 4, clock: new ManualClock(), serial: serial.open }), ImageError);
    assert.ok(!serial.isOpen);
  });
  it('an image reaching into the device tree', () => {
    const e = assert.throws<VmConfigError>(() => newVm(new Uint8Array(1024 * 1024 - 100)), VmConfigError);
    assert.equal(e.reason, 'image-overlaps-device-tree');
  });
  it('a RAM size that is not a multiple of 4 KiB', () => {
    assert.equal(assert.throws<VmConfigError>(() => newVm(new Uint8Array(4), { ramSize: 1000 }), VmConfigError).reason, 'bad-ram-size');
  });
});

describe('runVm: the driver', () => {
  it('sleeps on WFI until the CLINT deadline instead of spinning', async () => {
    // mtimecmp = mtime + 10_000 ticks (1 ms at 10 MHz); MTIE on, global MIE off; WFI until MTIP.
    const a = new Asm();
    a.emit(li(T0, 0x0200_4000), li(T1, 0x0200_bff8), lw(T2, T1, 0), li(T3, 10_000));
    a.emit(0x01c383b3 /* add t2, t2, t3 */, sw(ZERO, T0, 4), sw(T2, T0, 0), li(T3, 0x80), csrw(CSR_MIE, T3));
    a.label('wait').emit(wfi(), csrr(T4, CSR_MIP), andi(T4, T4, 0x80)).to((o) => beq(T4, ZERO, o), 'wait');
    finish(a, 0x5555);
    const { vm, clock } = newVm(a.bytes());
    const scheduler = new ManualScheduler({ clock });
    const { exit, slices } = await drive(vm, scheduler, { step: 100 });
    assert.deepEqual(exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(clock.now() >= 1000, `woke at ${clock.now()} us, not before the deadline`);
    assert.ok(slices <= 4, `${slices} slices: the driver slept rather than spun`);
  });

  it('wakes from WFI when UART input raises an interrupt', async () => {
    // PLIC: source 10 priority 1, enabled for context 0; UART IER.ERBFI; mie.MEIE; WFI until LSR.DR; echo; fail with the byte as code.
    const a = new Asm();
    a.emit(li(T0, 0x0c00_0000), li(T1, 1), sw(T1, T0, 40));
    a.emit(li(T0, 0x0c00_2000), li(T1, 1 << 10), sw(T1, T0, 0));
    a.emit(li(T3, UART), li(T1, 1), sb(T1, T3, 1));
    a.emit(li(T1, 0x800), csrw(CSR_MIE, T1));
    a.label('wait').emit(wfi(), lbu(T4, T3, 5), andi(T4, T4, 1)).to((o) => beq(T4, ZERO, o), 'wait');
    a.emit(lbu(A0, T3, 0), sb(A0, T3, 0), slli(A0, A0, 16), li(T5, 0x3333), or(A0, A0, T5), li(T6, FINISHER), sw(A0, T6, 0));
    a.label('spin').to((o) => jal(ZERO, o), 'spin');
    const { vm, clock, serial } = newVm(a.bytes());
    const scheduler = new ManualScheduler({ clock });
    let exit: VmExit | null = null;
    let slices = 0;
    const done = runVm({ vm, scheduler, onSlice: () => slices++ }).then((e) => (exit = e));
    scheduler.runDue();
    assert.ok(vm.isIdle, 'parked in WFI');
    scheduler.advance(3_000_000); // three idle re-checks of a second each, nothing else
    assert.ok(slices <= 5, `${slices} slices while idle`);
    assert.equal(exit, null);
    serial.inject('A');
    scheduler.runDue();
    await done;
    assert.deepEqual(exit, { kind: 'exit', status: 0x41, source: 'finisher' });
    assert.equal(serial.takeText(), 'A');
  });

  it('stops at maxInstructions with a limit exit', async () => {
    const a = new Asm();
    a.label('spin').to((o) => jal(ZERO, o), 'spin');
    const { vm, clock } = newVm(a.bytes());
    const { exit, slices } = await drive(vm, new ManualScheduler({ clock }), { maxInstructions: 2500, sliceInstructions: 1000 });
    assert.deepEqual(exit, { kind: 'limit', instructions: 2500 });
    assert.equal(vm.steps, 2500);
    assert.equal(slices, 3, 'two whole slices and a last partial one');
  });

  it('vm.stop() ends a running VM, and wakes an idle one', async () => {
    const spin = new Asm();
    spin.label('spin').to((o) => jal(ZERO, o), 'spin');
    const { vm, clock } = newVm(spin.bytes());
    const scheduler = new ManualScheduler({ clock });
    const done = runVm({ vm, scheduler, sliceInstructions: 1000 });
    scheduler.runDue();
    vm.stop('timeout');
    scheduler.runDue();
    assert.deepEqual(await done, { kind: 'stopped', reason: 'timeout' });

    const idle = new Asm();
    idle.label('w').emit(wfi()).to((o) => jal(ZERO, o), 'w');
    const v2 = newVm(idle.bytes());
    const s2 = new ManualScheduler({ clock: v2.clock });
    const done2 = runVm({ vm: v2.vm, scheduler: s2 });
    s2.runDue();
    assert.ok(v2.vm.isIdle);
    v2.vm.stop('quit');
    s2.runDue();
    assert.deepEqual(await done2, { kind: 'stopped', reason: 'quit' });
  });
});

// ------------------------------------------------------------------ a minimal ELF with a tohost symbol

/** ELF32 RISC-V: one PT_LOAD of `code` at 0x8000_0000 (memsz to cover tohost), and a .symtab defining `tohost`. */
function tinyElf(code: Uint8Array, tohost: number): Uint8Array {
  const base = 0x8000_0000;
  const out = new Uint8Array(0x400 + code.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 243, true);
  dv.setUint32(20, 1, true);
  dv.setUint32(24, base, true);
  dv.setUint32(28, 52, true); // phoff
  dv.setUint32(32, 0x100, true); // shoff
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, 3, true);
  // Program header: code at file 0x400.
  dv.setUint32(52, 1, true);
  dv.setUint32(56, 0x400, true);
  dv.setUint32(60, base, true);
  dv.setUint32(64, base, true);
  dv.setUint32(68, code.length, true);
  dv.setUint32(72, tohost + 16 - base, true);
  // Sections at 0x100: null, .symtab (file 0x200, 2 symbols, link 2), .strtab (file 0x300).
  dv.setUint32(0x100 + 40 + 4, 2, true);
  dv.setUint32(0x100 + 40 + 16, 0x200, true);
  dv.setUint32(0x100 + 40 + 20, 32, true);
  dv.setUint32(0x100 + 40 + 24, 2, true);
  dv.setUint32(0x100 + 40 + 36, 16, true);
  dv.setUint32(0x100 + 80 + 4, 3, true);
  dv.setUint32(0x100 + 80 + 16, 0x300, true);
  dv.setUint32(0x100 + 80 + 20, 8, true);
  dv.setUint32(0x200 + 16, 1, true); // symbol 1: name at strtab offset 1
  dv.setUint32(0x200 + 16 + 4, tohost, true);
  dv.setUint16(0x200 + 16 + 14, 1, true);
  out.set([0, 0x74, 0x6f, 0x68, 0x6f, 0x73, 0x74, 0], 0x300); // "\0tohost\0"
  out.set(code, 0x400);
  return out;
}
