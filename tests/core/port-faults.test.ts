/**
 * Floods and faults at the ports (src/ports): what the outside world can
 * do to a VM through its UART and its pins.
 *
 * - 10 MiB offered to UART0 of a guest that never reads: in 'drain' mode
 *   (a real line) the UART keeps at most its 16-byte FIFO and counts every
 *   other byte as an overrun (overruns = offered - kept); in 'pull' mode
 *   the flood waits in the port, which bounds its own buffer.
 * - A serial port that fails mid-run: its write() or read() throws, or it
 *   reports onError (ECMA-419), or it closes under the UART (read gives
 *   nothing, write throws). The UART records the error, lets the port go
 *   and runs on as if unplugged; the guest never sees a fault for it and
 *   no exception reaches the host's callback.
 * - A digital pin whose read(), write() or onReadable path throws: the
 *   GPIO block records the error and lets that pin go; the line keeps its
 *   register state; the guest runs on.
 * - A port or pin whose close() throws: closing the VM still completes.
 */
import { describe, it, assert } from '../harness/index.js';
import { validateBoard } from '../../src/board/index.js';
import { VirtVm } from '../../src/monitor/index.js';
import { ManualClock, MemorySerial } from '../../src/ports/sim/index.js';
import { type DigitalPinFactory, type DigitalPinOptions, type SerialPortCallbacks, type SerialPortFactory } from '../../src/ports/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { Program, a0, addi, beq, jal, lbu, sb, sw, t0, t1, t2, wfi, zero } from './rv-encode.js';

const UART = 0x1000_0000;
const GPIO = 0x1006_0000;
const FINISHER = 0x10_0000;
const MiB = 1024 * 1024;

// ------------------------------------------------------------------ guests

/** FIFOs on, receive interrupt enabled, then WFI forever without reading. */
function sleeper(): Uint8Array {
  const p = new Program(0x8000_0000);
  p.li(t0, UART).li(t1, 0x01).i(sb(t1, t0, 2));
  p.li(t1, 0x01).i(sb(t1, t0, 1));
  p.label('sleep').i(wfi()).at(4, (pc, l) => jal(zero, l('sleep') - pc));
  return p.bytes();
}

/**
 * Prints `count` bytes through the UART without polling (the FIFO drops
 * what does not fit, counted in txDropped), reading RBR/LSR as it goes,
 * then exits through the finisher with status 0.
 */
function chatter(count: number): Uint8Array {
  const p = new Program(0x8000_0000);
  p.li(t0, UART).li(a0, count).li(t1, 0x41);
  p.label('loop');
  p.at(4, (pc, l) => beq(a0, zero, l('done') - pc));
  p.i(sb(t1, t0, 0)); // THR
  p.i(lbu(t2, t0, 5)); // LSR
  p.i(lbu(t2, t0, 0)); // RBR
  p.i(addi(a0, a0, -1));
  p.at(4, (pc, l) => jal(zero, l('loop') - pc));
  p.label('done');
  p.li(t0, FINISHER).li(t1, 0x5555).i(sw(t1, t0, 0));
  p.label('end').at(4, (pc, l) => jal(zero, l('end') - pc));
  return p.bytes();
}

/**
 * Toggles GPIO line 0 (an output) `count` times and reads input_val each
 * time, then exits 0: output_en = 1, input_en = 3, then output_val ^= 1.
 */
function blinker(count: number): Uint8Array {
  const p = new Program(0x8000_0000);
  p.li(t0, GPIO).li(t1, 1).i(sw(t1, t0, 0x08)); // output_en: line 0
  p.li(t1, 3).i(sw(t1, t0, 0x04)); // input_en: lines 0, 1
  p.li(a0, count).li(t1, 0);
  p.label('loop');
  p.at(4, (pc, l) => beq(a0, zero, l('done') - pc));
  p.i(addi(t1, t1, 1));
  p.i(sw(t1, t0, 0x0c)); // output_val (bit 0 alternates)
  p.i(lbu(t2, t0, 0x00)); // input_val
  p.i(addi(a0, a0, -1));
  p.at(4, (pc, l) => jal(zero, l('loop') - pc));
  p.label('done');
  p.li(t0, FINISHER).li(t1, 0x5555).i(sw(t1, t0, 0));
  p.label('end').at(4, (pc, l) => jal(zero, l('end') - pc));
  return p.bytes();
}

// ------------------------------------------------------------------ ports that misbehave

/** A serial port offering a flood generated on demand (no buffer), with hooks to fail. */
class HostilePort {
  callbacks: SerialPortCallbacks = {};
  opens = 0;
  closes = 0;
  written = 0;
  /** Bytes still to offer; read() hands them out one by one. */
  pending = 0;
  offered = 0;
  failWriteAfter = Infinity;
  failRead = false;
  failClose = false;
  closedUnder = false;
  readonly open: SerialPortFactory = (cb) => {
    this.opens++;
    this.callbacks = cb;
    let live = true;
    return {
      read: (): number | undefined => {
        if (this.failRead) throw new Error('read: line noise');
        if (this.closedUnder || this.pending === 0) return undefined;
        this.pending--;
        return (this.offered - this.pending) & 0xff;
      },
      write: (b: number): void => {
        if (this.closedUnder) throw new Error('write: port closed');
        if (this.written >= this.failWriteAfter) throw new Error('write: cable pulled');
        this.written++;
        void b;
      },
      close: (): void => {
        if (!live) return;
        live = false;
        this.closes++;
        if (this.failClose) throw new Error('close: already gone');
      },
    };
  };
  /** Offers n more bytes and tells the UART, as the event loop would. */
  offer(n: number): void {
    this.pending += n;
    this.offered += n;
    this.callbacks.onReadable?.(this.pending);
  }
}

function runToEnd(vm: VirtVm, limit = 200): ReturnType<VirtVm['run']> {
  let exit = vm.run(100_000);
  for (let i = 0; i < limit && (exit.kind === 'budget' || exit.kind === 'idle'); i++) exit = vm.run(100_000);
  return exit;
}

describe('a 10 MiB flood into a UART whose guest never reads', () => {
  it("'drain': the UART keeps its 16-byte FIFO, overruns = offered - kept, nothing else is held", () => {
    const port = new HostilePort();
    const vm = new VirtVm({ image: sleeper(), ramSize: MiB, clock: new ManualClock(), serial: port.open, uartReceive: 'drain' });
    assert.equal(vm.run(10_000).kind, 'idle');
    const CHUNK = 64 * 1024;
    for (let sent = 0; sent < 10 * MiB; sent += CHUNK) {
      port.offer(CHUNK);
      assert.equal(port.pending, 0, 'the UART took everything the line offered');
      assert.ok(vm.uart.rxFifoLength <= 16, 'at most the FIFO is buffered');
      if ((sent & (MiB - 1)) === 0) assert.equal(vm.run(10_000).kind, 'idle', 'the guest sleeps on');
    }
    assert.equal(port.offered, 10 * MiB);
    assert.equal(vm.uart.rxFifoLength, 16);
    assert.equal(vm.uart.stats.rxBytes, 16);
    assert.equal(vm.uart.stats.overruns, port.offered - vm.uart.stats.rxBytes);
    assert.equal(vm.space.read((UART + 5) as GuestPhysAddr, 1) & 0x03, 0x03, 'LSR: data ready, overrun');
    vm.close();
  });

  it("'pull': the flood waits in the port's own bounded buffer; the UART holds 16 bytes, no overrun", () => {
    const serial = new MemorySerial({ inputCapacity: 4096 });
    const vm = new VirtVm({ image: sleeper(), ramSize: MiB, clock: new ManualClock(), serial: serial.open });
    assert.equal(vm.run(10_000).kind, 'idle');
    const chunk = new Uint8Array(64 * 1024).fill(0x55);
    let accepted = 0;
    for (let sent = 0; sent < 10 * MiB; sent += chunk.length) {
      accepted += serial.inject(chunk);
      assert.ok(serial.waiting <= 4096);
      assert.ok(vm.uart.rxFifoLength <= 16);
    }
    assert.equal(vm.run(10_000).kind, 'idle');
    assert.equal(vm.uart.stats.overruns, 0);
    assert.equal(accepted, 16 + 4096);
    assert.equal(serial.stats.injectRefused, 10 * MiB - accepted);
    vm.close();
  });
});

describe('a serial port that fails mid-run', () => {
  it('write() throws after 100 bytes: the guest runs to its end (exit 0) without a fault; the error is recorded', () => {
    const port = new HostilePort();
    port.failWriteAfter = 100;
    const vm = new VirtVm({ image: chatter(2000), ramSize: MiB, clock: new ManualClock(), serial: port.open });
    port.callbacks.onWritable?.(1_000_000);
    const exit = runToEnd(vm);
    assert.deepEqual(exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(vm.hart.trapCount, 0, 'no trap reached the guest');
    assert.equal(port.written, 100);
    assert.ok(vm.uart.portError instanceof Error && /cable pulled/.test(vm.uart.portError.message));
    assert.equal(port.closes, 1, 'the UART let the failed port go');
    vm.close();
    assert.equal(port.closes, 1);
  });

  it('write() throws inside onWritable (the host\'s callback): nothing escapes to the host', () => {
    const port = new HostilePort();
    port.failWriteAfter = 0;
    const vm = new VirtVm({ image: chatter(50), ramSize: MiB, clock: new ManualClock(), serial: port.open });
    vm.run(40); // a few bytes wait in the FIFO (no room granted yet)
    assert.doesNotThrow(() => port.callbacks.onWritable?.(64));
    assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(vm.uart.portError !== null);
    vm.close();
  });

  it('read() throws inside onReadable, in both receive modes: nothing escapes; the guest runs on', () => {
    for (const receive of ['pull', 'drain'] as const) {
      const port = new HostilePort();
      const vm = new VirtVm({ image: chatter(500), ramSize: MiB, clock: new ManualClock(), serial: port.open, uartReceive: receive });
      port.callbacks.onWritable?.(1_000_000);
      vm.run(100);
      port.failRead = true;
      assert.doesNotThrow(() => port.offer(10), receive);
      assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' }, receive);
      assert.equal(vm.hart.trapCount, 0, receive);
      assert.ok(vm.uart.portError !== null && /line noise/.test(vm.uart.portError.message), receive);
      vm.close();
    }
  });

  it('read() throws while the guest reads RBR (pull mode, from inside the guest\'s access): no fault for the guest', () => {
    const port = new HostilePort();
    const vm = new VirtVm({ image: chatter(500), ramSize: MiB, clock: new ManualClock(), serial: port.open });
    port.callbacks.onWritable?.(1_000_000);
    port.offer(40); // 16 taken into the FIFO, 24 wait in the port
    port.failRead = true; // the guest's RBR reads make room and the UART pulls again
    assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(vm.hart.trapCount, 0);
    assert.ok(vm.uart.portError !== null);
    vm.close();
  });

  it('onError (ECMA-419) mid-run: recorded, the port let go, the guest runs on', () => {
    const port = new HostilePort();
    const vm = new VirtVm({ image: chatter(1000), ramSize: MiB, clock: new ManualClock(), serial: port.open });
    port.callbacks.onWritable?.(1_000_000);
    vm.run(500);
    const before = port.written;
    assert.doesNotThrow(() => port.callbacks.onError?.(new Error('EPIPE: the far end went away')));
    assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(port.written, before, 'nothing written to a failed port');
    assert.ok(vm.uart.portError !== null && /EPIPE/.test(vm.uart.portError.message));
    assert.equal(port.closes, 1);
    vm.close();
  });

  it('the port closes under the UART (read gives nothing, write throws): the guest runs on; callbacks after that are harmless', () => {
    const port = new HostilePort();
    const vm = new VirtVm({ image: chatter(1000), ramSize: MiB, clock: new ManualClock(), serial: port.open });
    port.callbacks.onWritable?.(1_000_000);
    vm.run(300);
    port.closedUnder = true;
    assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(vm.uart.portError !== null);
    assert.doesNotThrow(() => {
      port.offer(5);
      port.callbacks.onWritable?.(10);
      port.callbacks.onError?.(new Error('late'));
    });
    vm.close();
  });

  it('close() throws: closing the VM completes, once', () => {
    const port = new HostilePort();
    port.failClose = true;
    const vm = new VirtVm({ image: chatter(10), ramSize: MiB, clock: new ManualClock(), serial: port.open });
    assert.doesNotThrow(() => vm.close());
    assert.doesNotThrow(() => vm.close());
    assert.equal(port.closes, 1);
  });
});

// ------------------------------------------------------------------ pins

/** A pin whose read/write may throw; counts opens and closes. */
class HostilePin {
  opens = 0;
  closes = 0;
  writes = 0;
  level: 0 | 1 = 0;
  failRead = false;
  failWrite = false;
  failClose = false;
  onReadable: (() => void) | undefined;
  readonly open: DigitalPinFactory = (o: DigitalPinOptions) => {
    this.opens++;
    this.onReadable = o.onReadable;
    let live = true;
    return {
      read: (): 0 | 1 => {
        if (this.failRead) throw new Error('pin read: bus error');
        return this.level;
      },
      write: (v: 0 | 1): void => {
        if (this.failWrite) throw new Error('pin write: short circuit');
        this.writes++;
        this.level = v;
      },
      close: (): void => {
        if (!live) return;
        live = false;
        this.closes++;
        if (this.failClose) throw new Error('pin close: gone');
      },
    };
  };
  /** Changes the level and reports the edge, as the event loop would. */
  edge(level: 0 | 1): void {
    this.level = level;
    this.onReadable?.();
  }
}

const BOARD = validateBoard({
  name: 'pins', platform: 'host', ramBudget: '16MiB',
  devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher'],
  uart0: { serial: 'none' },
  gpio: { lines: [
    { line: 0, name: 'led', pin: 0, direction: 'output' },
    { line: 1, name: 'button', pin: 1, direction: 'input' },
  ] },
}, 'pins.json');

function pinVm(led: HostilePin, button: HostilePin, count = 200): VirtVm {
  return new VirtVm({
    image: blinker(count), ramSize: MiB, clock: new ManualClock(), board: BOARD,
    pins: (w) => (w.line === 0 ? led.open : button.open),
  });
}

describe('a digital pin that throws', () => {
  it('write() throws (the guest drives the LED): the guest runs to its end without a fault; the error is recorded', () => {
    const led = new HostilePin();
    const button = new HostilePin();
    const vm = pinVm(led, button);
    vm.run(30); // output_en set: the LED pin is open as an output
    led.failWrite = true;
    assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(vm.hart.trapCount, 0, 'no trap reached the guest');
    assert.ok(vm.gpio!.pinErrors >= 1);
    assert.ok(vm.gpio!.lastPinError !== null && /short circuit/.test(vm.gpio!.lastPinError.message));
    vm.close();
    assert.equal(led.closes, led.opens, 'every LED pin opened was closed');
    assert.equal(button.closes, button.opens);
  });

  it('read() throws on an edge (onReadable, the host\'s callback): nothing escapes; the guest runs on', () => {
    const led = new HostilePin();
    const button = new HostilePin();
    const vm = pinVm(led, button);
    vm.run(30);
    button.failRead = true;
    assert.doesNotThrow(() => button.edge(1));
    assert.deepEqual(runToEnd(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(vm.gpio!.lastPinError !== null && /bus error/.test(vm.gpio!.lastPinError.message));
    assert.doesNotThrow(() => button.edge(0), 'a late edge on the failed pin is harmless');
    vm.close();
    assert.equal(button.closes, button.opens);
  });

  it('read() throws when the pin is opened (a direction change by the guest): no fault for the guest', () => {
    const led = new HostilePin();
    const button = new HostilePin();
    led.failRead = true; // the LED line starts as an input (reset), read on open
    let vm: VirtVm | null = null;
    assert.doesNotThrow(() => {
      vm = pinVm(led, button);
    });
    assert.deepEqual(runToEnd(vm!), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(vm!.hart.trapCount, 0);
    vm!.close();
  });

  it('close() throws: closing the VM completes and closes every other pin', () => {
    const led = new HostilePin();
    const button = new HostilePin();
    led.failClose = true;
    const vm = pinVm(led, button);
    vm.run(30);
    assert.doesNotThrow(() => vm.close());
    assert.equal(button.closes, button.opens);
  });
});
