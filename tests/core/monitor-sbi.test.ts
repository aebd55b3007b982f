/**
 * The SBI firmware mode, on S-mode guests assembled here (raw images, so
 * they load at 0x8040_0000): the boot state OpenSBI leaves, the ECALL
 * hook (S-mode ECALLs go to the SBI, U-mode ones to the guest's own
 * handler), SRST shutdown statuses and reboot, the timer on STIP, DBCN
 * with a slow console and with buffers outside RAM, IPI. guests/sbi
 * (tests/host/monitor-guests.test.ts) covers every call from a C guest;
 * this suite covers what a guest cannot see for itself.
 */
import { describe, it, assert } from '../harness/index.js';
import { Csr, PrivilegeMode } from '../../src/cpu/index.js';
import { SbiExt, SbiError, SBI_IMPL_ID, SBI_SPEC_VERSION } from '../../src/machine/index.js';
import {
  InstructionClock,
  Monitor,
  VirtVm,
  VmConfigError,
  type MonitorResult,
} from '../../src/monitor/index.js';
import { ManualClock, ManualScheduler, MemorySerial } from '../../src/ports/sim/index.js';
import { type Clock } from '../../src/ports/index.js';
import { addi, and, blt, bne, csrr, csrrc, csrw, ecall, jal, lw, sret, sw, a0, a1, a2, a3, a7, s1, t0, t1, t2, zero } from './rv-encode.js';
import { CSR, SBI_BASE, drive, program, sbiCall } from './monitor-fixture.js';

const RAM = 8 * 1024 * 1024;
/** Where the guests below store what they saw. */
const RESULTS = 0x8060_0000;
const SCAUSE = 0x142;
const SEPC = 0x141;

function sbiVm(image: Uint8Array, serial?: MemorySerial, clock: Clock = new ManualClock()): VirtVm {
  return new VirtVm({ image, clock, ramSize: RAM, serial: serial?.open, firmware: 'sbi' });
}

async function runOne(vm: VirtVm, icount?: InstructionClock): Promise<MonitorResult> {
  const sched = new ManualScheduler();
  const monitor = new Monitor({ vms: [{ name: 'g', vm, icount }], scheduler: sched });
  const r = await drive(monitor, sched);
  monitor.close();
  return r;
}

/** Word `i` of the results area, signed. */
function result(vm: VirtVm, i: number): number {
  const b = vm.space.ramBytes(RESULTS as never, 4 * (i + 1))!;
  return b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24);
}

/** A guest making `calls` ([eid, fid, a0, a1, a2]) in turn, storing a0 and a1 of call k at RESULTS + 8k, then shutting down (status 0). */
function caller(calls: readonly (readonly number[])[]): Uint8Array {
  const p = program(SBI_BASE);
  p.li(s1, RESULTS);
  calls.forEach(([eid, fid, x0 = 0, x1 = 0, x2 = 0], k) => {
    p.li(a0, x0).li(a1, x1).li(a2, x2);
    sbiCall(p, eid, fid);
    p.i(sw(a0, s1, 8 * k), sw(a1, s1, 8 * k + 4));
  });
  sbiCall(p, SbiExt.SRST, 0, 0, 0);
  return p.i(jal(zero, 0)).bytes();
}

describe('SBI mode: boot', () => {
  it("a raw image starts in S-mode at 0x80400000 with a0 = hart id, a1 = device tree and OpenSBI's delegation", () => {
    const vm = sbiVm(program(SBI_BASE).i(jal(zero, 0)).bytes());
    const h = vm.hart;
    assert.equal(vm.firmware, 'sbi');
    assert.equal(h.priv, PrivilegeMode.Supervisor);
    assert.equal(h.pc, 0x8040_0000);
    assert.equal(h.regs[10], 0);
    assert.equal(h.regs[11] >>> 0, vm.fdtAddress);
    assert.equal(h.readCsr(Csr.medeleg), 0xb1ff, 'exceptions 0-8 and the page faults');
    assert.equal(h.readCsr(Csr.mideleg), 0x222, 'SSI, STI, SEI');
    assert.equal(h.readCsr(Csr.mcounteren) & 7, 7);
    assert.equal(h.readCsr(Csr.satp), 0);
    vm.close();
  });

  it('refuses a raw S-mode image without RAM above 0x80400000, and an unknown firmware', () => {
    assert.throws(() => new VirtVm({ image: new Uint8Array(16), clock: new ManualClock(), ramSize: 4 * 1024 * 1024, firmware: 'sbi' }), VmConfigError,
      (e: VmConfigError) => e.reason === 'bad-ram-size' && /0x80400000/.test(e.message));
    assert.throws(() => new VirtVm({ image: new Uint8Array(16), clock: new ManualClock(), firmware: 'bios' as never }), VmConfigError);
  });

  it("an ECALL from U-mode is the guest's own (delegated), not an SBI call", async () => {
    // S: stvec = handler, sepc = user, SPP = U, sret; U: ecall; handler (S): store scause, shut down.
    const f = program(SBI_BASE);
    f.at(4, (pc) => jal(zero, f.addr('start') - pc));
    f.label('handler');
    f.i(csrr(t2, SCAUSE));
    f.li(s1, RESULTS).i(sw(t2, s1, 0));
    sbiCall(f, SbiExt.SRST, 0, 0, 0);
    f.label('user');
    f.li(a7, SbiExt.BASE).i(ecall(), jal(zero, 0));
    f.label('start');
    f.li(t0, f.addr('handler')).i(csrw(CSR.stvec, t0));
    f.li(t0, f.addr('user')).i(csrw(SEPC, t0));
    f.li(t0, 1 << 8).i(csrrc(zero, CSR.sstatus, t0), sret());
    const vm = sbiVm(f.bytes());
    const r = await runOne(vm);
    assert.deepEqual(r.vms[0].exit, { kind: 'exit', status: 0, source: 'sbi' });
    assert.equal(result(vm, 0), 8, 'scause 8: ECALL from U, taken by the guest in S');
    assert.equal(vm.sbi!.stats.calls, 1, 'only the shutdown reached the SBI');
  });
});

describe('SBI mode: calls', () => {
  it('BASE answers in a0 (error) and a1 (value); an unknown extension is NOT_SUPPORTED', async () => {
    const vm = sbiVm(caller([[SbiExt.BASE, 0], [SbiExt.BASE, 1], [0x12345678, 0, 7, 7]]));
    await runOne(vm);
    assert.deepEqual([result(vm, 0), result(vm, 1), result(vm, 2), result(vm, 3)], [0, SBI_SPEC_VERSION, 0, SBI_IMPL_ID]);
    assert.deepEqual([result(vm, 4), result(vm, 5)], [SbiError.NOT_SUPPORTED, 0]);
    assert.equal(vm.sbi!.stats.unsupported, 1);
  });

  it('SRST: shutdown with no reason exits 0, with "system failure" exits 1; legacy shutdown exits 0', async () => {
    const shut = (reason: number): Uint8Array => {
      const p = program(SBI_BASE);
      sbiCall(p, SbiExt.SRST, 0, 0, reason);
      return p.i(jal(zero, 0)).bytes();
    };
    assert.deepEqual((await runOne(sbiVm(shut(0)))).vms[0].exit, { kind: 'exit', status: 0, source: 'sbi' });
    assert.deepEqual((await runOne(sbiVm(shut(1)))).vms[0].exit, { kind: 'exit', status: 1, source: 'sbi' });
    const legacy = program(SBI_BASE);
    sbiCall(legacy, SbiExt.LEGACY_SHUTDOWN, 0);
    assert.deepEqual((await runOne(sbiVm(legacy.i(jal(zero, 0)).bytes()))).vms[0].exit, { kind: 'exit', status: 0, source: 'sbi' });
  });

  it('SRST warm reboot restarts the guest in S-mode; RAM outside the image keeps its contents', async () => {
    // count = mem[0x80300000] + 1, stored; below 3: warm reboot, else shut down.
    const p = program(SBI_BASE);
    p.li(t0, 0x8030_0000).i(lw(t1, t0, 0), addi(t1, t1, 1), sw(t1, t0, 0));
    p.li(t2, 3).at(4, (pc) => blt(t1, t2, p.addr('again') - pc));
    sbiCall(p, SbiExt.SRST, 0, 0, 0);
    p.label('again');
    sbiCall(p, SbiExt.SRST, 0, 2, 0);
    p.i(jal(zero, 0));
    const vm = sbiVm(p.bytes());
    const r = await runOne(vm);
    assert.deepEqual(r.vms[0].exit, { kind: 'exit', status: 0, source: 'sbi' });
    assert.equal(vm.resets, 2);
    assert.equal(vm.hart.priv, PrivilegeMode.Supervisor);
  });

  it('TIME: set_timer drives STIP through mtimecmp (never MTIP); a new value clears it', async () => {
    // sip before; poll sip until STIP (bounded); set_timer(-1); sip after.
    const p = program(SBI_BASE);
    p.li(s1, RESULTS);
    p.i(csrr(a0, CSR.time), addi(a0, a0, 100)).li(a1, 0);
    sbiCall(p, SbiExt.TIME, 0);
    p.i(csrr(t0, CSR.sip), sw(t0, s1, 0));
    p.li(t1, 0x20).li(t2, 200_000);
    const poll = p.here;
    p.i(csrr(t0, CSR.sip), and(t0, t0, t1)).at(4, (pc) => bne(t0, zero, p.addr('fired') - pc));
    p.i(addi(t2, t2, -1)).at(4, (pc) => bne(t2, zero, poll - pc));
    p.label('fired');
    p.i(sw(t0, s1, 4));
    sbiCall(p, SbiExt.TIME, 0, -1, -1);
    p.i(csrr(t0, CSR.sip), sw(t0, s1, 8));
    sbiCall(p, SbiExt.SRST, 0, 0, 0);
    p.i(jal(zero, 0));
    const clock = new InstructionClock();
    const vm = sbiVm(p.bytes(), undefined, clock);
    clock.bind(() => vm.instret);
    await runOne(vm, clock);
    assert.deepEqual([result(vm, 0) & 0x20, result(vm, 1), result(vm, 2) & 0x20], [0, 0x20, 0]);
    assert.equal(vm.hart.readCsr(Csr.mip) & 0x80, 0, 'MTIP is never raised under the SBI');
  });

  it('DBCN: a slow console takes part of a write; a buffer running past RAM is refused and touches nothing', async () => {
    const end = 0x8000_0000 + RAM;
    const port = new MemorySerial({ writable: 3 });
    port.inject('xy');
    const vm = sbiVm(caller([
      [SbiExt.DBCN, 0, 10, SBI_BASE, 0], // write 10 bytes (of the code itself): the console takes what it can
      [SbiExt.DBCN, 1, 8, end - 4, 0], // read past the end of RAM
      [SbiExt.DBCN, 1, 8, RESULTS + 0x100, 0], // read: the waiting input is still there
      [SbiExt.DBCN, 0, 2, end - 1, 0], // write past the end of RAM
      [SbiExt.DBCN, 1, 4, RESULTS + 0x200, 1], // above 4 GiB
    ]), port);
    await runOne(vm);
    assert.equal(result(vm, 0), 0);
    const wrote = result(vm, 1);
    assert.ok(wrote >= 1 && wrote < 10, `a partial write: ${wrote} of 10 bytes`);
    assert.deepEqual([result(vm, 2), result(vm, 3)], [SbiError.INVALID_PARAM, 0]);
    assert.deepEqual([result(vm, 4), result(vm, 5)], [0, 2], 'both input bytes were still waiting');
    const got = vm.space.ramBytes((RESULTS + 0x100) as never, 2)!;
    assert.equal(String.fromCharCode(got[0], got[1]), 'xy');
    assert.deepEqual([result(vm, 6), result(vm, 8)], [SbiError.INVALID_PARAM, SbiError.INVALID_PARAM]);
    assert.ok(port.outputLength <= 3, 'no more than the port allowed');
  });

  it('IPI sets SSIP on this hart only; another hart id is INVALID_PARAM and sets nothing', async () => {
    const p = program(SBI_BASE);
    p.li(s1, RESULTS);
    sbiCall(p, SbiExt.IPI, 0, 2, 0);
    p.i(csrr(t0, CSR.sip), sw(a0, s1, 0), sw(t0, s1, 4));
    sbiCall(p, SbiExt.IPI, 0, 1, 0);
    p.i(csrr(t0, CSR.sip), sw(a0, s1, 8), sw(t0, s1, 12));
    sbiCall(p, SbiExt.SRST, 0, 0, 0);
    const vm = sbiVm(p.i(jal(zero, 0)).bytes());
    await runOne(vm);
    assert.deepEqual([result(vm, 0), result(vm, 1) & 2, result(vm, 2), result(vm, 3) & 2], [SbiError.INVALID_PARAM, 0, 0, 2]);
  });
});

describe('SBI mode: with Sv32 paging', () => {
  /** Root table at 0x80700000: VA 0x80000000-0x807fffff identity (two 4 MiB megapages, RWX); VA 0x40000000 -> 0x80000000 (megapage, RW); VA 0x40400000 -> L0 table at 0x80701000, whose entry 0 maps 0x80500000. */
  function pageTables(vm: VirtVm): void {
    const put = (pa: number, v: number): void => {
      const b = vm.space.ramBytes(pa as never, 4)!;
      for (let k = 0; k < 4; k++) b[k] = (v >>> (8 * k)) & 0xff;
    };
    const V = 1, R = 2, W = 4, X = 8, A = 0x40, D = 0x80;
    const leaf = (pa: number, flags: number): number => (((pa >>> 12) << 10) | flags) >>> 0;
    put(0x8070_0000 + 4 * 0x200, leaf(0x8000_0000, V | R | W | X | A | D));
    put(0x8070_0000 + 4 * 0x201, leaf(0x8040_0000, V | R | W | X | A | D));
    put(0x8070_0000 + 4 * 0x100, leaf(0x8000_0000, V | R | W | A | D));
    put(0x8070_0000 + 4 * 0x101, leaf(0x8070_1000, V));
    put(0x8070_1000, leaf(0x8050_0000, V | R | W | A | D));
    put(0x8050_0000, 0x1111_1111);
    put(0x8050_1000, 0x2222_2222);
    put(0x8030_2000, 1); // a hart mask selecting hart 0
  }
  const SATP = (0x8000_0000 | (0x8070_0000 >>> 12)) >>> 0;

  it('a legacy hart mask pointer is a virtual address, translated as the guest would', async () => {
    const p = program(SBI_BASE);
    p.li(s1, RESULTS);
    p.li(t0, SATP).i(csrw(0x180, t0), 0x12000073 /* sfence.vma */);
    p.li(a0, 0x4030_2000); // -> 0x80302000 through the 0x40000000 megapage
    sbiCall(p, SbiExt.LEGACY_SEND_IPI, 0);
    p.i(csrr(t0, CSR.sip), sw(a0, s1, 0), sw(t0, s1, 4));
    p.li(a0, 0x5000_0000); // not mapped
    sbiCall(p, SbiExt.LEGACY_SEND_IPI, 0);
    p.i(sw(a0, s1, 8));
    sbiCall(p, SbiExt.SRST, 0, 0, 0);
    const vm = sbiVm(p.i(jal(zero, 0)).bytes());
    pageTables(vm);
    await runOne(vm);
    assert.deepEqual([result(vm, 0), result(vm, 1) & 2, result(vm, 2)], [0, 2, SbiError.INVALID_ADDRESS]);
  });

  it('RFENCE remote_sfence_vma drops the hart\'s stale translation', async () => {
    // Load through VA 0x40400000 (fills the TLB); repoint its PTE to 0x80501000 without SFENCE.VMA;
    // load again (stale); ask the SBI for the fence; load again (fresh).
    const p = program(SBI_BASE);
    p.li(s1, RESULTS);
    p.li(t0, SATP).i(csrw(0x180, t0), 0x12000073);
    p.li(t2, 0x4040_0000).i(lw(t1, t2, 0), sw(t1, s1, 0));
    p.li(t0, 0x8070_1000).li(t1, (((0x8050_1000 >>> 12) << 10) | 0xc7) >>> 0).i(sw(t1, t0, 0));
    p.i(lw(t1, t2, 0), sw(t1, s1, 4));
    p.li(a0, 1).li(a1, 0).li(a2, 0x4040_0000).li(a3, 4096);
    sbiCall(p, SbiExt.RFENCE, 1);
    p.i(sw(a0, s1, 8), lw(t1, t2, 0), sw(t1, s1, 12));
    sbiCall(p, SbiExt.SRST, 0, 0, 0);
    const vm = sbiVm(p.i(jal(zero, 0)).bytes());
    pageTables(vm);
    await runOne(vm);
    assert.deepEqual([result(vm, 0) >>> 0, result(vm, 1) >>> 0, result(vm, 2), result(vm, 3) >>> 0],
      [0x1111_1111, 0x1111_1111, 0, 0x2222_2222]);
  });
});
