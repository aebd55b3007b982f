/**
 * VM snapshots end to end, in the engine: a hand-assembled guest that
 * sleeps in WFI on CLINT timer interrupts, prints from its handler and
 * echoes UART input it polls, run with deterministic time. Cut at many
 * instruction counts (several in the middle of a WFI, with budgets that
 * are not multiples of the hart slice), saved, restored into a fresh VM
 * and run to the end, it gives the uninterrupted run's output, exit,
 * instruction count and final registers. Also: what a restore refuses
 * (another image, RAM size, clock mode, firmware; state a device refuses)
 * and that a refused restore leaves no VM that runs.
 */
import { describe, it, assert } from '../harness/index.js';
import { Csr } from '../../src/cpu/index.js';
import type { DeviceState } from '../../src/state/index.js';
import { InstructionClock, VirtVm, type VmExit } from '../../src/monitor/index.js';
import { ManualClock, MemorySerial } from '../../src/ports/sim/index.js';
import { decodeVmSnapshot, encodeVmSnapshot, ramImages, SNAPSHOT_PAGE, SnapshotError } from '../../src/snapshot/index.js';
import { Program, addi, andi, beq, blt, bne, csrrsi, csrw, lbu, lw, mret, sb, sw, wfi, zero, t0, t1, t2, t3, t4, t5, s0, s1, s2, s3, s4 } from './rv-encode.js';

const RAM = 0x8000_0000;
const CLINT = 0x0200_0000, UART = 0x1000_0000, FINISHER = 0x0010_0000;
const TICKS = 20;
const RAM_SIZE = 1024 * 1024;

/** The guest: TICKS timer interrupts, each printing a letter; echoes polled UART input between them; then passes. */
function build(): Uint8Array {
  const p = new Program(RAM);
  p.li(t0, RAM + 0x100).i(csrw(Csr.mtvec, t0));
  p.li(s0, CLINT + 0xbff8).li(s1, CLINT + 0x4000).li(s2, UART).li(s4, FINISHER).i(addi(s3, zero, 0));
  p.li(t0, 0x80).i(csrw(Csr.mie, t0), csrrsi(zero, Csr.mstatus, 8));
  p.label('loop');
  p.i(lw(t1, s0, 0), addi(t1, t1, 1500), sw(t1, s1, 0), sw(zero, s1, 4)); // mtimecmp high is all ones here: no early match
  p.i(addi(t5, zero, 40)).label('busy').i(addi(t5, t5, -1)).at(4, (pc, l) => bne(t5, zero, l('busy') - pc));
  p.i(wfi());
  p.i(lbu(t2, s2, 5), andi(t2, t2, 1)).at(4, (pc, l) => beq(t2, zero, l('noinput') - pc));
  p.i(lbu(t2, s2, 0), sb(t2, s2, 0));
  p.label('noinput').i(addi(t2, zero, TICKS)).at(4, (pc, l) => blt(s3, t2, l('loop') - pc));
  p.li(t0, 0x5555).i(sw(t0, s4, 0));
  p.label('park').at(4, (pc, l) => beq(zero, zero, l('park') - pc));
  while (p.here < RAM + 0x100) p.i(addi(zero, zero, 0));
  // The handler: print 'a' + count, count, push mtimecmp out of reach (clears MTIP), return.
  p.i(addi(t3, s3, 0x61), sb(t3, s2, 0), addi(s3, s3, 1), addi(t4, zero, -1), sw(t4, s1, 4), mret());
  return p.bytes();
}

interface Run {
  vm: VirtVm;
  clock: InstructionClock;
  serial: MemorySerial;
}

function make(image: Uint8Array, input = ''): Run {
  const serial = new MemorySerial();
  const clock = new InstructionClock();
  const vm = new VirtVm({ image, ramSize: RAM_SIZE, clock, serial: serial.open });
  clock.bind(() => vm.instret);
  if (input !== '') serial.inject(input);
  return { vm, clock, serial };
}

/** As the monitor drives a deterministic VM: turns of `slice`, idle waits warped to the deadline; stops at `max` steps. */
function drive(r: Run, max: number | null, slice = 1000): VmExit | 'limit' {
  for (let turns = 0; turns < 100_000; turns++) {
    if (max !== null && r.vm.steps >= max) return 'limit';
    const budget = max === null ? slice : Math.min(slice, max - r.vm.steps);
    const exit = r.vm.run(budget);
    if (exit.kind === 'idle') {
      if (!Number.isFinite(exit.deadline)) return exit;
      r.clock.warpTo(exit.deadline);
    } else if (exit.kind !== 'budget') return exit;
  }
  throw new Error('the guest did not finish');
}

function finalRegs(vm: VirtVm): number[] {
  return [...Array.from(vm.hart.regs), vm.hart.pc, vm.hart.readCsr(Csr.mstatus), vm.hart.readCsr(Csr.mip), vm.hart.readCsr(Csr.mcycle)];
}

const IMAGE = build();
const INPUT = 'xyz';

describe('VirtVm snapshots: deterministic resume', () => {
  const full = make(IMAGE, INPUT);
  const fullExit = drive(full, null);
  const fullOut = full.serial.takeText();

  it('the uninterrupted run passes, printing its ticks and echoing the input', () => {
    assert.deepEqual(fullExit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(fullOut.length, TICKS + INPUT.length);
    for (const ch of INPUT) assert.ok(fullOut.includes(ch), `echoed ${ch}`);
  });

  it('cut anywhere (mid-WFI too), saved and resumed: same output, exit, instructions and registers', () => {
    const total = full.vm.steps;
    const cuts: number[] = [];
    for (let n = 7; n < total; n += 97) cuts.push(n);
    for (const n of cuts) {
      const a = make(IMAGE, INPUT);
      assert.equal(drive(a, n, 1000), 'limit');
      const before = a.serial.takeText();
      const snap = a.vm.snapshot({ producer: 'test' });
      // Scripted input goes on where the first run left it: what its port still held.
      const rest = INPUT.slice(INPUT.length - a.serial.waiting);
      const b = make(IMAGE);
      b.vm.restore(snap);
      if (rest !== '') b.serial.inject(rest);
      assert.equal(b.vm.steps, n, `steps after restore at ${n}`);
      const exit = drive(b, null, 3000);
      assert.deepEqual(exit, fullExit, `exit after a cut at ${n}`);
      assert.equal(before + b.serial.takeText(), fullOut, `output after a cut at ${n}`);
      assert.equal(b.vm.instret, full.vm.instret, `instret after a cut at ${n}`);
      assert.deepEqual(finalRegs(b.vm), finalRegs(full.vm), `registers after a cut at ${n}`);
    }
    // Every WFI step: the cut lands exactly when the hart parks.
    const wfiCuts: number[] = [];
    const probe = make(IMAGE, INPUT);
    for (let n = 1; n < total && wfiCuts.length < 4; n++) {
      if (drive(probe, n, 1) === 'limit' && probe.vm.isIdle) wfiCuts.push(n);
    }
    assert.ok(wfiCuts.length >= 3, `found WFI cut points ${wfiCuts.join(', ')}`);
    for (const n of wfiCuts) {
      const a = make(IMAGE, INPUT);
      drive(a, n, 1000);
      assert.ok(a.vm.isIdle, `idle at ${n}`);
      const snap = a.vm.snapshot();
      assert.equal(decodeVmSnapshot(snap).hart.parked, true, 'the hart is parked in the snapshot');
      const rest = INPUT.slice(INPUT.length - a.serial.waiting);
      const b = make(IMAGE);
      const before = a.serial.takeText();
      b.vm.restore(snap);
      if (rest !== '') b.serial.inject(rest);
      assert.ok(b.vm.isIdle, 'still in WFI after the restore');
      assert.deepEqual(drive(b, null), fullExit);
      assert.equal(before + b.serial.takeText(), fullOut, `output after a WFI cut at ${n}`);
      assert.equal(b.vm.instret, full.vm.instret);
    }
  });

  it('a snapshot taken after the guest exited restores an exited VM', () => {
    const a = make(IMAGE, INPUT);
    drive(a, null);
    const b = make(IMAGE);
    b.vm.restore(a.vm.snapshot());
    assert.deepEqual(b.vm.run(1000), fullExit);
    assert.equal(b.serial.takeText(), '');
  });

  it('skips all-zero pages: 1 MiB of RAM saves in a few pages', () => {
    const a = make(IMAGE);
    const snap = a.vm.snapshot();
    assert.ok(snap.length < 16 * 1024, `snapshot of ${snap.length} bytes`);
    const pages = decodeVmSnapshot(snap).ram[0].pages.length;
    assert.ok(pages >= 2 && pages <= 3, `${pages} pages: image and device tree`);
  });

  it('keeps every page with one non-zero byte, wherever it lies, in aligned and unaligned pieces', () => {
    const size = 3 * SNAPSHOT_PAGE + 7; // a short last page, its length not a multiple of 4
    const backing = new Uint8Array(size + 1);
    for (const shift of [0, 1]) {
      const b = backing.subarray(shift, shift + size);
      for (const at of [0, 3, SNAPSHOT_PAGE - 1, SNAPSHOT_PAGE + 2, 2 * SNAPSHOT_PAGE + 4095, 3 * SNAPSHOT_PAGE + 3, size - 1]) {
        for (const v of [1, 0x80, 0xff]) {
          backing.fill(0);
          b[at] = v;
          const [piece] = ramImages([{ base: 0, bytes: b }]);
          // The page a byte-by-byte scan finds: the one holding `at`.
          const page = at - (at % SNAPSHOT_PAGE);
          assert.deepEqual(piece.pages.map((p) => p.offset), [page], `shift ${shift}, byte ${at} = ${v}`);
        }
      }
      backing.fill(0);
      assert.equal(ramImages([{ base: 0, bytes: b }])[0].pages.length, 0);
    }
  });
});

describe('VirtVm snapshots: what a restore refuses', () => {
  const snap = make(IMAGE).vm.snapshot();
  const refused = (f: () => void, reason: string, place?: string): SnapshotError => {
    let caught: unknown = null;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof SnapshotError, `a SnapshotError, got ${String(caught)}`);
    assert.equal(caught.reason, reason, caught.message);
    if (place !== undefined) assert.equal(caught.place, place, caught.message);
    return caught;
  };

  it('another image: mismatch naming the image, and the VM is untouched (it boots its own)', () => {
    const other = IMAGE.slice();
    other[other.length - 1] ^= 1;
    const o = make(other);
    const e = refused(() => o.vm.restore(snap), 'mismatch', 'image');
    assert.match(e.message, /CRC-32/);
    assert.equal(o.vm.steps, 0);
    assert.equal(o.vm.exit, null);
  });

  it('another RAM size, clock mode, firmware or hart id: mismatch naming it', () => {
    const vm = (opts: { ramSize?: number; wall?: boolean; firmware?: 'sbi'; hartId?: number }): VirtVm =>
      new VirtVm({ image: IMAGE, ramSize: opts.ramSize ?? RAM_SIZE, clock: opts.wall === true ? new ManualClock() : new InstructionClock(), firmware: opts.firmware, hartId: opts.hartId });
    refused(() => vm({ ramSize: RAM_SIZE * 2 }).restore(snap), 'mismatch', 'ram');
    refused(() => vm({ wall: true }).restore(snap), 'mismatch', 'deterministic');
    refused(() => vm({ firmware: 'sbi', ramSize: 8 * RAM_SIZE }).restore(snap), 'mismatch', 'ram');
    refused(() => vm({ hartId: 3 }).restore(snap), 'mismatch', 'hartId');
  });

  it('saved state a device refuses: bad-state naming the device, and the VM is closed', () => {
    const model = decodeVmSnapshot(snap);
    const forged = encodeVmSnapshot({
      ...model,
      devices: model.devices.map((d) => (d.name === 'uart0' ? { name: d.name, state: { ...d.state, trigger: 3 } } : d)),
    });
    const r = make(IMAGE);
    const e = refused(() => r.vm.restore(forged), 'bad-state', 'uart0');
    assert.match(e.message, /trigger/);
    assert.deepEqual(r.vm.run(100), { kind: 'stopped', reason: 'closed' });
  });

  it('a hart state out of range (an odd pc, a reserved mode): bad-state naming the hart', () => {
    const model = decodeVmSnapshot(snap);
    for (const bad of [{ pc: 0x8000_0001 }, { priv: 2 }, { mstatus: 2 << 11 }, { regs: new Uint32Array(31) }] as DeviceState[]) {
      const forged = encodeVmSnapshot({ ...model, hart: { ...model.hart, ...bad } });
      refused(() => make(IMAGE).vm.restore(forged), 'bad-state', 'hart');
    }
  });

  it('a missing or extra device: mismatch naming it', () => {
    const model = decodeVmSnapshot(snap);
    const missing = encodeVmSnapshot({ ...model, devices: model.devices.filter((d) => d.name !== 'plic') });
    assert.match(refused(() => make(IMAGE).vm.restore(missing), 'mismatch', 'devices').message, /plic/);
    const extra = encodeVmSnapshot({ ...model, devices: [...model.devices, { name: 'spi9', state: {} }] });
    assert.match(refused(() => make(IMAGE).vm.restore(extra), 'mismatch', 'devices').message, /spi9/);
  });
});
