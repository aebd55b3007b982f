/**
 * The monitor with several VMs side by side: isolation (a VM writing all
 * of its RAM changes nothing in another; a guest reaches only the pins it
 * was given), round-robin turns with a yield to the event loop between
 * rounds, VMs in WFI taking no turns until their timer or an interrupt,
 * instruction limits and stops.
 */
import { describe, it, assert } from '../harness/index.js';
import { validateBoard, type Board, type GpioLineWiring } from '../../src/board/index.js';
import { InstructionClock, Monitor, VirtVm, type MonitorEvent } from '../../src/monitor/index.js';
import { ManualClock, ManualScheduler, MemorySerial, SimulatedPin } from '../../src/ports/sim/index.js';
import { type Clock } from '../../src/ports/index.js';
import { add, or, sb, slli } from './rv-encode.js';
import {
  CLINT, CSR, GPIO, PLIC, UART, a0, addi, bne, csrw, drive, exitWith, jal, lbu, lw, print, program, spin, sw, t0, t1, t2, wfi, zero,
} from './monitor-fixture.js';

const RAM = 256 * 1024;

/** host-sim's two lines; `given` renumbers them as a VM config would (guest line -> board line name). */
function board(given: Record<number, string> = {}): Board {
  const lines = [
    { line: 0, name: 'led', pin: 0, direction: 'output' },
    { line: 1, name: 'button', pin: 1, direction: 'input', pull: 'up' },
  ];
  const mine = Object.entries(given).map(([guest, name]) => ({ ...lines.find((l) => l.name === name)!, line: Number(guest) }));
  return validateBoard({
    name: 'test', platform: 'host', ramBudget: '1GiB',
    devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher'], uart0: { serial: 'none' }, gpio: { lines: mine },
  }, 'test');
}

function vm(image: Uint8Array, clock: Clock, extra: Partial<ConstructorParameters<typeof VirtVm>[0]> = {}): VirtVm {
  return new VirtVm({ image, clock, ramSize: RAM, board: board(), ...extra });
}

describe('monitor: isolation', () => {
  it('a VM filling all of its RAM changes nothing in another; GPIO reaches only the pins given', async () => {
    // A: fills its RAM past its code (the device tree included) with 0xA5, then drives its line 0 low.
    const pa = program();
    pa.li(t0, 0x8000_1000).li(t1, 0x8000_0000 + RAM).li(t2, 0xa5a5a5a5);
    const fill = pa.here;
    pa.i(sw(t2, t0, 0), addi(t0, t0, 4)).at(4, (pc) => bne(t0, t1, fill - pc));
    pa.li(t0, GPIO).li(t1, 1).i(sw(t1, t0, 0x08), sw(zero, t0, 0x0c)); // output_en = line 0, output_val = 0
    pa.i(lw(t1, t0, 0x08)).li(t2, 1).at(4, (pc) => bne(t1, t2, pa.addr('fail') - pc));
    exitWith(pa, 0);
    pa.label('fail');
    exitWith(pa, 5);

    // B: drives every line high (none is wired: output_en reads back 0), waits for A, checks a word A wrote at the same address.
    const pb = program();
    pb.li(t0, GPIO).li(t1, -1).i(sw(t1, t0, 0x08), sw(t1, t0, 0x0c), lw(t2, t0, 0x08));
    pb.at(4, (pc) => bne(t2, zero, pb.addr('unwired') - pc));
    spin(pb, 300_000, t1);
    pb.li(t0, 0x8002_0000).i(lw(t1, t0, 0));
    pb.at(4, (pc) => bne(t1, zero, pb.addr('leak') - pc));
    exitWith(pb, 0);
    pb.label('unwired');
    exitWith(pb, 6);
    pb.label('leak');
    exitWith(pb, 7);

    const led = new SimulatedPin();
    const button = new SimulatedPin({ drive: 1 });
    const pins = (w: GpioLineWiring) => (w.name === 'led' ? led.open : w.name === 'button' ? button.open : undefined);
    const clock = new ManualClock();
    const a = vm(pa.bytes(), clock, { board: board({ 0: 'led' }), pins });
    const b = vm(pb.bytes(), clock, { board: board(), pins });
    const bRam = b.space.ramBytes(b.ramBase as never, RAM)!;
    const before = bRam.slice();
    const sched = new ManualScheduler({ clock });
    const monitor = new Monitor({ vms: [{ name: 'a', vm: a }, { name: 'b', vm: b }], scheduler: sched });
    const r = await drive(monitor, sched);
    assert.deepEqual(r.vms.map((v) => [v.name, v.exit.kind, v.exit.kind === 'exit' ? v.exit.status : -1]), [['a', 'exit', 0], ['b', 'exit', 0]]);
    const aRam = a.space.ramBytes(a.ramBase as never, RAM)!;
    assert.equal(aRam[RAM - 1], 0xa5, 'A filled its RAM to the end');
    assert.equal(aRam[0x2_0000], 0xa5);
    let same = true;
    for (let i = 0; i < RAM; i++) if (bRam[i] !== before[i]) same = false;
    assert.ok(same, "B's RAM is exactly as it was");
    assert.equal(led.level, 0, 'B drove every line high, none reached the LED');
    assert.ok(led.stats.writes > 0, 'A drove the LED');
    assert.equal(button.stats.opens, 0, 'a pin given to no VM is never opened');
    monitor.close();
  });

  it('each VM has its own UART: output does not cross', async () => {
    const out = [new MemorySerial(), new MemorySerial()];
    const p1 = print(program(), 'one\n');
    const p2 = print(program(), 'two\n');
    exitWith(p1, 0);
    exitWith(p2, 0);
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const monitor = new Monitor({ vms: [
      { name: 'v1', vm: vm(p1.bytes(), clock, { serial: out[0].open }) },
      { name: 'v2', vm: vm(p2.bytes(), clock, { serial: out[1].open }) },
    ], scheduler: sched });
    await drive(monitor, sched);
    assert.equal(out[0].takeText(), 'one\n');
    assert.equal(out[1].takeText(), 'two\n');
    monitor.close();
  });
});

describe('monitor: scheduling', () => {
  it('round-robin: one round per event-loop turn, each VM at most one slice', async () => {
    const loop = (n: number) => {
      const p = program();
      spin(p, n);
      return exitWith(p, 0).bytes();
    };
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const x = vm(loop(50_000), clock);
    const y = vm(loop(100_000), clock);
    const rounds: number[][] = [];
    const monitor = new Monitor({ vms: [{ name: 'x', vm: x }, { name: 'y', vm: y }], scheduler: sched, sliceInstructions: 10_000, onRound: () => rounds.push([x.steps, y.steps]) });
    const r = await drive(monitor, sched);
    assert.equal(r.vms[0].exit.kind, 'exit');
    // Before each round both had the same number of turns, so their step counts match until x ends.
    for (const [sx, sy] of rounds.slice(0, 8)) assert.equal(sx, sy);
    assert.ok(rounds.length >= 20, `${rounds.length} rounds for 200k instructions at 10k a turn`);
    for (let i = 1; i < rounds.length; i++) assert.ok(rounds[i][1] - rounds[i - 1][1] <= 10_000, 'at most one slice per round');
    monitor.close();
  });

  it('a VM in WFI takes no turns until its timer; with everything idle the monitor sleeps to the deadline', async () => {
    // sleeper: mtimecmp = mtime + 10 000 ticks (1 ms), MTIE, wfi (MIE clear: no trap, just wake), exit 0.
    const p = program();
    p.li(t0, CLINT + 0xbff8).i(lw(t1, t0, 0)); // mtime low
    p.li(t2, 10_000).i(add(t1, t1, t2));
    p.li(t0, CLINT + 0x4000).i(sw(t1, t0, 0), sw(zero, t0, 4)); // mtimecmp
    p.li(t0, 1 << 7).i(csrw(CSR.mie, t0), wfi());
    exitWith(p, 0);
    const worker = program();
    spin(worker, 100_000);
    exitWith(worker, 0);

    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const s = vm(p.bytes(), clock);
    const w = vm(worker.bytes(), clock);
    const seen: number[] = [];
    const monitor = new Monitor({ vms: [{ name: 's', vm: s }, { name: 'w', vm: w }], scheduler: sched, sliceInstructions: 5_000, onRound: () => seen.push(s.steps) });
    const r = await drive(monitor, sched);
    assert.equal(r.vms[0].exit.kind, 'exit');
    assert.equal(r.vms[1].exit.kind, 'exit');
    // The manual clock stands still while w works: s went idle at once and took no steps until w had finished.
    const idleSteps = seen[2];
    const workerRounds = Math.ceil(200_000 / 5_000);
    assert.ok(seen.slice(2, workerRounds).every((n) => n === idleSteps), 'no steps while waiting');
    assert.ok(clock.now() >= 1000, 'the clock reached the deadline through the idle sleep');
    monitor.close();
  });

  it('an interrupt (UART input) wakes a VM waiting in WFI with no timer', async () => {
    // PLIC: source 10 priority 1, enabled for context 0, threshold 0; UART IER = receive; MEIE; wfi; exit status = the byte.
    const g = program();
    g.li(t0, PLIC).li(t1, 1).i(sw(t1, t0, 4 * 10));
    g.li(t0, PLIC + 0x2000).li(t1, 1 << 10).i(sw(t1, t0, 0));
    g.li(t0, PLIC + 0x20_0000).i(sw(zero, t0, 0));
    g.li(t0, UART).li(t1, 1).i(sb(t1, t0, 1));
    g.li(t1, 1 << 11).i(csrw(CSR.mie, t1), wfi());
    g.li(t0, UART).i(lbu(a0, t0, 0));
    g.li(t0, 0x0010_0000).li(t1, 0x3333).i(slli(a0, a0, 16), or(t1, t1, a0), sw(t1, t0, 0), jal(zero, 0));

    const serial = new MemorySerial();
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const v = vm(g.bytes(), clock, { serial: serial.open });
    const monitor = new Monitor({ vms: [{ name: 'echo', vm: v }], scheduler: sched, idleRecheck: 1e9 });
    let injected = false;
    const r = await drive(monitor, sched, 1000, (turn) => {
      if (turn === 20 && !injected) {
        injected = true;
        assert.ok(v.isIdle, 'waiting in WFI');
        serial.inject('A');
      }
    });
    assert.deepEqual(r.vms[0].exit, { kind: 'exit', status: 0x41, source: 'finisher' });
    monitor.close();
  });

  it('deterministic clocks: an idle VM is warped to its deadline at once, whatever the others do', async () => {
    const p = program();
    p.li(t0, CLINT + 0xbff8).i(lw(t1, t0, 0));
    p.li(t2, 50_000_000).i(add(t1, t1, t2)); // 5 s ahead
    p.li(t0, CLINT + 0x4000).i(sw(t1, t0, 0), sw(zero, t0, 4));
    p.li(t0, 1 << 7).i(csrw(CSR.mie, t0), wfi());
    exitWith(p, 0);
    const worker = program();
    spin(worker, 1_000_000);
    exitWith(worker, 0);
    const sched = new ManualScheduler();
    const c1 = new InstructionClock();
    const c2 = new InstructionClock();
    const s = vm(p.bytes(), c1);
    const w = vm(worker.bytes(), c2);
    c1.bind(() => s.instret);
    c2.bind(() => w.instret);
    const ended: string[] = [];
    const monitor = new Monitor({ vms: [{ name: 's', vm: s, icount: c1 }, { name: 'w', vm: w, icount: c2 }], scheduler: sched,
      onEvent: (e: MonitorEvent) => { if (e.kind === 'ended') ended.push(e.vm); } });
    await drive(monitor, sched);
    assert.deepEqual(ended, ['s', 'w'], 'the sleeper ended first: its 5 s passed without wall time');
    assert.ok(c1.skipped >= 4_999_000, `warped ${c1.skipped} us`);
    assert.equal(sched.clock.now(), 0, 'no wall-clock sleep');
    monitor.close();
  });
});

describe('monitor: limits and stops', () => {
  it('maxInstructions ends each VM with a limit exit', async () => {
    const p = program();
    p.i(jal(zero, 0));
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const monitor = new Monitor({ vms: [{ name: 'x', vm: vm(p.bytes(), clock) }, { name: 'y', vm: vm(p.bytes(), clock) }], scheduler: sched, maxInstructions: 25_000, sliceInstructions: 10_000 });
    const r = await drive(monitor, sched);
    assert.deepEqual(r.vms.map((v) => v.exit), [{ kind: 'limit', instructions: 25_000 }, { kind: 'limit', instructions: 25_000 }]);
    monitor.close();
  });

  it('stop() ends every VM, idle ones included', async () => {
    const busy = program().i(jal(zero, 0)).bytes();
    const idle = program().i(wfi(), jal(zero, -4)).bytes();
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const monitor = new Monitor({ vms: [{ name: 'busy', vm: vm(busy, clock) }, { name: 'idle', vm: vm(idle, clock) }], scheduler: sched });
    const r = await drive(monitor, sched, 1000, (turn) => {
      if (turn === 10) monitor.stop('timeout');
    });
    assert.deepEqual(r.vms.map((v) => v.exit), [{ kind: 'stopped', reason: 'timeout' }, { kind: 'stopped', reason: 'timeout' }]);
    monitor.close();
  });

  it('a held VM takes no turns until release(); stop() ends one still held', async () => {
    const done = exitWith(program(), 0).bytes();
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const late = vm(done, clock);
    const monitor = new Monitor({ vms: [{ name: 'free', vm: vm(done, clock) }, { name: 'late', vm: late, held: true }], scheduler: sched });
    let stepsWhileHeld = -1;
    const r = await drive(monitor, sched, 10_000, (turn) => {
      if (turn === 50) {
        stepsWhileHeld = late.steps;
        assert.equal(monitor.release('late'), true);
        assert.equal(monitor.release('late'), false, 'released once');
        assert.equal(monitor.release('nobody'), false);
      }
    });
    assert.equal(stepsWhileHeld, 0, 'not one instruction before release()');
    assert.deepEqual(r.vms.map((v) => [v.exit.kind, v.exit.kind === 'exit' ? v.exit.status : -1]), [['exit', 0], ['exit', 0]]);
    monitor.close();

    const never = new Monitor({ vms: [{ name: 'held', vm: vm(done, clock), held: true }], scheduler: sched });
    const s = await drive(never, sched, 1000, (turn) => {
      if (turn === 10) never.stop('SIGTERM');
    });
    assert.deepEqual(s.vms.map((v) => [v.exit, v.instret]), [[{ kind: 'stopped', reason: 'SIGTERM' }, 0]]);
    never.close();
  });

  it('refuses bad options', () => {
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const v = vm(program().i(jal(zero, 0)).bytes(), clock);
    assert.throws(() => new Monitor({ vms: [], scheduler: sched }), RangeError);
    assert.throws(() => new Monitor({ vms: [{ name: 'a', vm: v }, { name: 'a', vm: vm(program().i(jal(zero, 0)).bytes(), clock) }], scheduler: sched }), RangeError);
    assert.throws(() => new Monitor({ vms: [{ name: 'a', vm: v }, { name: 'b', vm: v }], scheduler: sched }), RangeError);
    assert.throws(() => new Monitor({ vms: [{ name: 'a', vm: v }], scheduler: sched, sliceInstructions: 0 }), RangeError);
    assert.throws(() => new Monitor({ vms: [{ name: 'a', vm: v }], scheduler: sched, maxRestarts: -1 }), RangeError);
    v.close();
  });
});

