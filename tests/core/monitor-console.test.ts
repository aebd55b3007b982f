/**
 * The shared console (several VMs on one serial port: lines tagged
 * `[name]`, input to the VM in focus, bounded and lossless under
 * back-pressure) and deterministic runs (instruction-count clocks: the
 * same configuration gives the same bytes every time; tests/host checks V8
 * against XS).
 */
import { describe, it, assert } from '../harness/index.js';
import { InstructionClock, Monitor, SharedConsole, VirtVm, type MonitorResult } from '../../src/monitor/index.js';
import { ManualClock, ManualScheduler, MemorySerial } from '../../src/ports/sim/index.js';
import { type SerialPort, type SerialPortCallbacks } from '../../src/ports/index.js';
import { add, csrw, lw, sw, t0, t1, t2, wfi, zero } from './rv-encode.js';
import { CLINT, CSR, drive, exitWith, print, program, spin } from './monitor-fixture.js';

/** A writer that behaves as the UART does: writes only within the room it was granted. */
class Writer {
  room = 0;
  readable = 0;
  port: SerialPort;
  pending: number[] = [];
  constructor(factory: (cb: SerialPortCallbacks) => SerialPort) {
    this.port = factory({ onWritable: (n) => { this.room = n; this.flush(); }, onReadable: (n) => { this.readable += n; } });
  }
  send(text: string): void {
    for (let i = 0; i < text.length; i++) this.pending.push(text.charCodeAt(i));
    this.flush();
  }
  flush(): void {
    while (this.pending.length > 0 && this.room > 0) {
      this.port.write(this.pending.shift()!);
      this.room--;
    }
  }
}

describe('shared console', () => {
  it('tags each line with its VM and never mixes two lines', () => {
    const out = new MemorySerial();
    const c = new SharedConsole({ serial: out.open, names: ['a', 'bb'] });
    const a = new Writer(c.factory(0));
    const b = new Writer(c.factory(1));
    a.send('one ');
    b.send('two\nthree');
    a.send('line\n');
    b.send(' more\n');
    assert.equal(out.takeText(), '[bb] two\n[a] one line\n[bb] three more\n');
    assert.equal(c.tagged, true);
    c.close();
  });

  it('one VM: bytes pass through untouched', () => {
    const out = new MemorySerial();
    const c = new SharedConsole({ serial: out.open, names: ['solo'] });
    const w = new Writer(c.factory(0));
    w.send('no tag, no newline');
    assert.equal(out.takeText(), 'no tag, no newline');
    c.close();
  });

  it('breaks a line at lineLimit; ends unfinished lines on close', () => {
    const out = new MemorySerial();
    const c = new SharedConsole({ serial: out.open, names: ['a', 'b'], lineLimit: 16 });
    const a = new Writer(c.factory(0));
    const b = new Writer(c.factory(1));
    a.send('0123456789abcdefXYZ');
    c.pump();
    b.send('partial');
    assert.equal(c.stats.brokenLines, 1);
    c.close();
    assert.equal(out.takeText(), '[a] 0123456789abcdef\n[a] XYZ\n[b] partial\n');
  });

  it('input goes to the VM in focus only', () => {
    const out = new MemorySerial();
    const c = new SharedConsole({ serial: out.open, names: ['a', 'b'] });
    const a = new Writer(c.factory(0));
    const b = new Writer(c.factory(1));
    out.inject('x');
    assert.deepEqual([a.readable, b.readable], [1, 0]);
    assert.equal(b.port.read(), undefined);
    assert.equal(a.port.read(), 0x78);
    assert.equal(c.focus(1), true);
    assert.equal(c.focus(5), false);
    assert.equal(c.focused, 1);
    out.inject('y');
    assert.equal(a.port.read(), undefined);
    assert.equal(b.port.read(), 0x79);
    c.close();
  });

  it('a slow port loses nothing: lines wait, VMs get no room, pump moves them on', () => {
    const out = new MemorySerial({ writable: 8, outputCapacity: 1 << 16 });
    const c = new SharedConsole({ serial: out.open, names: ['a', 'b'], lineLimit: 16, outputCapacity: 48 });
    const a = new Writer(c.factory(0));
    const b = new Writer(c.factory(1));
    let want = '';
    for (let i = 0; i < 40; i++) {
      a.send(`a${i}\n`);
      b.send(`b${i}\n`);
      want += `[a] a${i}\n[b] b${i}\n`;
    }
    let got = '';
    for (let turn = 0; turn < 2000 && got.length < want.length; turn++) {
      got += out.takeText();
      out.setWritable(8);
      c.pump();
      a.flush();
      b.flush();
    }
    got += out.takeText();
    assert.equal(c.stats.overflow, 0);
    // Lines of one VM keep their order; the two VMs' lines interleave as they were completed.
    const lines = got.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 80);
    assert.deepEqual(lines.filter((l) => l.startsWith('[a]')), Array.from({ length: 40 }, (_, i) => `[a] a${i}`));
    assert.deepEqual(lines.filter((l) => l.startsWith('[b]')), Array.from({ length: 40 }, (_, i) => `[b] b${i}`));
    assert.ok(c.queued <= 48);
    c.close();
  });

  it('VMs on a shared console, byte-interleaved by tiny slices, still give whole lines', async () => {
    const out = new MemorySerial();
    const c = new SharedConsole({ serial: out.open, names: ['x', 'y'] });
    const guest = (text: string) => exitWith(print(program(), text), 0).bytes();
    const clock = new ManualClock();
    const sched = new ManualScheduler({ clock });
    const monitor = new Monitor({
      vms: [
        { name: 'x', vm: new VirtVm({ image: guest('xxxx xxxx\nxx\n'), clock, ramSize: 256 << 10, serial: c.factory(0) }) },
        { name: 'y', vm: new VirtVm({ image: guest('yyyy yyyy\nyy\n'), clock, ramSize: 256 << 10, serial: c.factory(1) }) },
      ],
      scheduler: sched, sliceInstructions: 3, onRound: () => c.pump(),
    });
    await drive(monitor, sched);
    monitor.close();
    c.close();
    const lines = out.takeText().split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith('[x]')), ['[x] xxxx xxxx', '[x] xx']);
    assert.deepEqual(lines.filter((l) => l.startsWith('[y]')), ['[y] yyyy yyyy', '[y] yy']);
  });
});

/** Two VMs on a shared console with instruction-count clocks: a printer and one sleeping on timers between lines. */
async function deterministicRun(): Promise<{ text: string; result: MonitorResult }> {
  const ticker = program();
  for (let i = 0; i < 3; i++) {
    // mtimecmp = mtime + 20 000 ticks (2 ms); MTIE; wfi; print.
    ticker.li(t0, CLINT + 0xbff8).i(lw(t1, t0, 0));
    ticker.li(t2, 20_000).i(add(t1, t1, t2));
    ticker.li(t0, CLINT + 0x4000).i(sw(t1, t0, 0), sw(zero, t0, 4));
    ticker.li(t0, 1 << 7).i(csrw(CSR.mie, t0), wfi());
    print(ticker, `tick ${i}\n`);
  }
  exitWith(ticker, 3);
  const printer = program();
  for (let i = 0; i < 5; i++) {
    print(printer, `work ${i}\n`);
    spin(printer, 1500);
  }
  exitWith(printer, 0);

  const out = new MemorySerial();
  const c = new SharedConsole({ serial: out.open, names: ['tick', 'work'] });
  const sched = new ManualScheduler();
  const vms = [ticker, printer].map((p, i) => {
    const clock = new InstructionClock();
    const vm = new VirtVm({ image: p.bytes(), clock, ramSize: 256 << 10, serial: c.factory(i) });
    clock.bind(() => vm.instret);
    return { name: ['tick', 'work'][i], vm, icount: clock };
  });
  const monitor = new Monitor({ vms, scheduler: sched, sliceInstructions: 1000, onRound: () => c.pump() });
  const result = await drive(monitor, sched);
  monitor.close();
  c.close();
  return { text: out.takeText(), result };
}

describe('deterministic runs', () => {
  it('the same configuration twice gives the same bytes, statuses and instruction counts', async () => {
    const one = await deterministicRun();
    const two = await deterministicRun();
    assert.equal(one.text, two.text);
    assert.deepEqual(one.result, two.result);
    assert.deepEqual(one.result.vms.map((v) => v.exit), [{ kind: 'exit', status: 3, source: 'finisher' }, { kind: 'exit', status: 0, source: 'finisher' }]);
    // Each VM has its own clock: the ticker's waits are warped away (no instructions pass), so its three ticks
    // come within its first turns, while the printer needs 3000+ instructions per line at 1000 a turn.
    assert.equal(one.text, '[work] work 0\n[tick] tick 0\n[tick] tick 1\n[tick] tick 2\n[work] work 1\n[work] work 2\n[work] work 3\n[work] work 4\n');
  });
});
