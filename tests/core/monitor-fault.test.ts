/**
 * Fault containment: a VM running garbage, one looping in its own trap
 * handler, one whose host callback throws, one that reaches M-mode under
 * the SBI, and one whose device throws each stop alone, with a reason and
 * a register dump, while the VM beside it completes; `restart` reboots a
 * faulting VM a bounded number of times; a healthy guest that traps a lot
 * (ECALLs) is not taken for a storm.
 */
import { describe, it, assert } from '../harness/index.js';
import { AddrRange, guestPhysAddr } from '../../src/addr/index.js';
import { Csr, PrivilegeMode } from '../../src/cpu/index.js';
import { EmuDeviceType } from '../../src/device/index.js';
import { formatRegisterDump, FaultWatch, Monitor, VirtVm, type MonitorEvent, type MonitorVmOptions } from '../../src/monitor/index.js';
import { ManualClock, ManualScheduler, MemorySerial } from '../../src/ports/sim/index.js';
import { type Clock } from '../../src/ports/index.js';
import { addi, bne, csrr, csrw, ecall, jal, lw, mret, sw, t0, t1, t2, zero } from './rv-encode.js';
import { CLINT, CSR, RAM_BASE, SBI_BASE, drive, exitWith, print, program, spin } from './monitor-fixture.js';

const RAM = 256 * 1024;

function vm(image: Uint8Array, clock: Clock = new ManualClock(), serial?: MemorySerial, firmware: 'none' | 'sbi' = 'none'): VirtVm {
  return new VirtVm({ image, clock, ramSize: firmware === 'sbi' ? 8 << 20 : RAM, serial: serial?.open, firmware });
}

/** A guest that prints `hello` lines for a while and exits 0. */
function hello(): Uint8Array {
  const p = program();
  print(p, 'hello\n');
  spin(p, 100_000);
  print(p, 'bye\n');
  return exitWith(p, 0).bytes();
}

const GARBAGE = new Uint8Array(64).fill(0xff);

async function runPair(bad: MonitorVmOptions, extra: { faultPolicy?: object; maxRestarts?: number } = {}) {
  const out = new MemorySerial();
  const good = vm(hello(), new ManualClock(), out);
  const events: MonitorEvent[] = [];
  const sched = new ManualScheduler();
  const monitor = new Monitor({ vms: [bad, { name: 'hello', vm: good }], scheduler: sched, onEvent: (e) => events.push(e), ...extra });
  const r = await drive(monitor, sched);
  monitor.close();
  return { r, events, text: out.takeText() };
}

describe('fault containment', () => {
  it('garbage code: stopped for no progress, with a register dump; hello completes', async () => {
    const badVm = vm(GARBAGE);
    const { r, events, text } = await runPair({ name: 'bad', vm: badVm });
    const [bad, good] = r.vms;
    assert.equal(bad.exit.kind, 'stopped');
    assert.ok(bad.fault !== null);
    assert.equal(bad.fault.kind, 'no-progress');
    assert.match(bad.fault.reason, /none retired/);
    assert.equal(bad.fault.dump.priv, PrivilegeMode.Machine);
    assert.equal(bad.fault.dump.regs.length, 32);
    assert.equal(bad.fault.dump.regs[11], badVm.fdtAddress, 'a1 still points at the device tree');
    const dump = formatRegisterDump(bad.fault.dump);
    assert.match(dump, /^pc [0-9a-f]{8}  priv M  mstatus [0-9a-f]{8}\nmcause [0-9a-f]{8}  mepc [0-9a-f]{8}  mtval [0-9a-f]{8}  mtvec [0-9a-f]{8}\nscause [0-9a-f]{8}  sepc [0-9a-f]{8}  stval [0-9a-f]{8}  stvec [0-9a-f]{8}\n/);
    assert.match(dump, /x10\/a0 00000000/);
    assert.deepEqual(good.exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(text, 'hello\nbye\n');
    const fault = events.find((e) => e.kind === 'fault');
    assert.ok(fault !== undefined && fault.kind === 'fault' && fault.action === 'stopped' && fault.vm === 'bad');
    assert.equal(r.vms[0].exit.kind === 'stopped' && r.vms[0].exit.reason.startsWith('fault: no progress'), true);
  });

  it('a trap handler that returns to the faulting instruction: a trap storm', async () => {
    // mtvec = handler (mret only); then an illegal instruction, forever retried.
    const p = program();
    p.li(t0, RAM_BASE + 0x100).i(csrw(CSR.mtvec, t0));
    p.i(0xffffffff);
    while (p.here < RAM_BASE + 0x100) p.i(0x00000013);
    p.i(mret());
    const { r } = await runPair({ name: 'loop', vm: vm(p.bytes()) }, { faultPolicy: { stormSteps: 50_000 } });
    const f = r.vms[0].fault;
    assert.ok(f !== null);
    assert.equal(f.kind, 'trap-storm');
    assert.match(f.reason, /exception 2 at pc 0x8000000c/);
    assert.equal(f.dump.mcause, 2);
    assert.equal(f.dump.mepc, 0x8000_000c);
    assert.equal(f.dump.mtval, 0xffffffff);
    assert.equal(r.vms[1].exit.kind, 'exit');
  });

  it('a host callback that throws inside the hart (the clock) stops that VM only', async () => {
    let calls = 0;
    const clock: Clock = { now: () => {
      if (++calls > 50) throw new Error('the clock broke');
      return 0;
    } };
    const p = program();
    const top = p.here;
    p.i(csrr(t0, Csr.time)).at(4, (pc) => jal(zero, top - pc));
    const { r } = await runPair({ name: 'clocked', vm: vm(p.bytes(), clock) });
    const f = r.vms[0].fault;
    assert.ok(f !== null);
    assert.equal(f.kind, 'fatal');
    assert.match(f.reason, /the clock broke/);
    assert.equal(r.vms[1].exit.kind, 'exit');
  });

  it('a device handler that throws becomes an access fault for its guest; the monitor goes on', async () => {
    const p = program();
    p.li(t0, 0x2000_0000).i(lw(t1, t0, 0));
    exitWith(p, 0);
    const v = vm(p.bytes());
    v.space.addDevice({
      name: 'broken', emuType: () => EmuDeviceType.Dummy, addressRange: () => AddrRange.fromStartSize(guestPhysAddr(0x2000_0000), 0x1000),
      handleRead: () => { throw new TypeError('a bug in a device'); }, handleWrite: () => {},
    });
    const { r, events } = await runPair({ name: 'dev', vm: v });
    const f = r.vms[0].fault;
    assert.ok(f !== null, JSON.stringify(events.map((e) => e.kind)));
    assert.equal(f.kind, 'no-progress', 'mtvec 0: the load fault leads to a fetch fault loop');
    assert.equal(r.vms[1].exit.kind, 'exit');
  });

  it('under the SBI a trap into M-mode stops the VM', async () => {
    // S-mode guest: raises MSIP through the CLINT; the test enables MSIE as a firmware bug would.
    const p = program(SBI_BASE);
    p.li(t0, CLINT).li(t1, 1).i(sw(t1, t0, 0));
    p.i(jal(zero, 0));
    const v = vm(p.bytes(), new ManualClock(), undefined, 'sbi');
    v.hart.writeCsr(Csr.mie, 1 << 3);
    const { r } = await runPair({ name: 'sv', vm: v });
    const f = r.vms[0].fault;
    assert.ok(f !== null);
    assert.equal(f.kind, 'machine-trap');
    assert.match(f.reason, /cause 3 \(interrupt\)/);
  });

  it('onFault restart reboots the VM (RAM cleared) up to maxRestarts, then stops it', async () => {
    const events: MonitorEvent[] = [];
    const v = vm(GARBAGE);
    const sched = new ManualScheduler();
    const monitor = new Monitor({ vms: [{ name: 'again', vm: v, onFault: 'restart' }], scheduler: sched, maxRestarts: 2, onEvent: (e) => events.push(e) });
    const r = await drive(monitor, sched);
    monitor.close();
    const faults = events.filter((e) => e.kind === 'fault').map((e) => (e.kind === 'fault' ? `${e.action} ${e.restarts}` : ''));
    assert.deepEqual(faults, ['restarted 1', 'restarted 2', 'stopped 2']);
    assert.equal(r.vms[0].restarts, 2);
    assert.equal(r.vms[0].exit.kind, 'stopped');
    assert.ok(v.resets >= 2);
  });

  it('a guest that traps often but makes progress (ECALL handled, mepc advanced) is left alone', async () => {
    // handler: mepc += 4; mret. main: 200 000 ecalls, then exit 0.
    const q = program();
    q.li(t0, RAM_BASE + 0x100).i(csrw(CSR.mtvec, t0));
    q.li(t2, 200_000);
    const loop = q.here;
    q.i(ecall(), addi(t2, t2, -1));
    q.at(4, (pc) => bne(t2, zero, loop - pc));
    exitWith(q, 0);
    while (q.here < RAM_BASE + 0x100) q.i(0x00000013);
    q.i(csrr(t1, CSR.mepc), addi(t1, t1, 4), csrw(CSR.mepc, t1), mret());
    const { r } = await runPair({ name: 'busy', vm: vm(q.bytes()) }, { faultPolicy: { stormSteps: 50_000 } });
    assert.deepEqual(r.vms[0].exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(r.vms[0].fault, null);
  });

  it('refuses thresholds that are not positive integers', () => {
    assert.throws(() => new FaultWatch({ policy: { stormRate: 0 } }), RangeError);
  });
});
