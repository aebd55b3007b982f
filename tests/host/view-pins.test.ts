/**
 * The view's building blocks without a browser: the named simulated pins
 * (buttons by pull, LEDs, listeners, the real SiFive GPIO device on top)
 * and the console mirror (ring, offsets, tee, sink).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GpioLineWiring } from '../../src/board/board.js';
import { GpioReg, SifiveGpio } from '../../src/devices/index.js';
import { MemorySerial } from '../../src/ports/sim/index.js';
import { DigitalEdge, DigitalMode } from '../../src/ports/index.js';
import { BoardPinsError, ConsoleMirror, SimulatedBoardPins } from '../../host/view/index.js';
import { waitFor } from './serial-helpers.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const LINES: GpioLineWiring[] = [
  { line: 0, name: 'led', pin: 2, direction: 'output', pull: 'none' },
  { line: 1, name: 'button', pin: 0, direction: 'input', pull: 'up' },
  { line: 2, name: 'down', pin: 4, direction: 'input', pull: 'down' },
  { line: 3, name: 'float', pin: 5, direction: 'input', pull: 'none' },
];

describe('SimulatedBoardPins', () => {
  it('holds a pull-up button high at rest and low while pressed, with edges to the guest', () => {
    const pins = new SimulatedBoardPins({ lines: LINES });
    let edges = 0;
    const pin = pins.factory('button')({ mode: DigitalMode.Input, edge: DigitalEdge.Rising | DigitalEdge.Falling, onReadable: () => edges++ });
    assert.equal(pin.read(), 1, 'the board resistor holds it high even without the guest pull-up');
    pins.press('button');
    assert.equal(pin.read(), 0);
    assert.equal(pins.level('button'), 0);
    assert.ok(pins.isPressed('button'));
    pins.release('button');
    assert.equal(pin.read(), 1);
    assert.equal(pins.isPressed('button'), false);
    assert.equal(edges, 2);
  });

  it('pull-down buttons press high; floating ones follow the guest pull-up', () => {
    const pins = new SimulatedBoardPins({ lines: LINES });
    assert.equal(pins.level('down'), 0);
    pins.press('down');
    assert.equal(pins.level('down'), 1);
    pins.release('down');
    assert.equal(pins.level('down'), 0);

    const up = pins.factory('float')({ mode: DigitalMode.InputPullUp });
    assert.equal(up.read(), 1, 'floating, pulled up by the guest');
    pins.press('float');
    assert.equal(up.read(), 0, 'a button to ground against the guest pull-up');
    pins.release('float');
    assert.equal(up.read(), 1);
    up.close();
    const plain = pins.factory('float')({ mode: DigitalMode.Input });
    pins.press('float');
    assert.equal(plain.read(), 1, 'without a pull-up, a press drives high');
    pins.release('float');
    assert.equal(plain.read(), 0);
  });

  it('lights an LED only while the guest drives its line high as an output, and tells listeners', () => {
    const pins = new SimulatedBoardPins({ lines: LINES });
    const heard: string[] = [];
    const stop = pins.subscribe((n) => heard.push(n));
    assert.equal(pins.isLit('led'), false);
    const led = pins.factory('led')({ mode: DigitalMode.Output });
    led.write(1);
    assert.equal(pins.isLit('led'), true);
    assert.equal(pins.level('led'), 1);
    led.write(1); // no change: no news
    led.write(0);
    assert.equal(pins.isLit('led'), false);
    const s = pins.state('led');
    assert.equal(s.mode, 'output');
    assert.equal(s.changes, 3, 'opened as output (mode change), high, low');
    led.close();
    assert.equal(pins.state('led').mode, 'closed');
    assert.deepEqual(heard, ['led', 'led', 'led', 'led']);
    stop();
    pins.press('button');
    assert.equal(heard.length, 4, 'unsubscribed');
  });

  it('refuses unknown lines, pressing an LED and duplicate lines with typed errors', () => {
    const pins = new SimulatedBoardPins({ lines: LINES });
    assert.throws(() => pins.press('nope'), (e: unknown) => e instanceof BoardPinsError && e.reason === 'unknown-line' && e.line === 'nope');
    assert.throws(() => pins.press('led'), (e: unknown) => e instanceof BoardPinsError && e.reason === 'not-input');
    assert.throws(() => new SimulatedBoardPins({ lines: [LINES[0], { ...LINES[1], name: 'led' }] }), (e: unknown) => e instanceof BoardPinsError && e.reason === 'duplicate-line');
    assert.throws(() => new SimulatedBoardPins({ lines: [LINES[0], { ...LINES[1], line: 0 }] }), (e: unknown) => e instanceof BoardPinsError && e.reason === 'duplicate-line');
    assert.equal(pins.wire({ ...LINES[0], name: 'other' }), undefined);
    assert.equal(pins.wire(LINES[0]), pins.factory('led'));
  });

  it('works under the real sifive,gpio0 device: the guest lights the LED and reads the button', () => {
    const pins = new SimulatedBoardPins({ lines: LINES });
    const map: { [line: number]: ReturnType<SimulatedBoardPins['factory']> } = {};
    for (const l of pins.lines) map[l.line] = pins.wire(l)!;
    const gpio = new SifiveGpio({ base: VIRT_MAP.gpio.base, pins: map });
    const w = (reg: number, v: number): void => gpio.handleWrite(reg, 4, v);
    const r = (reg: number): number => Number(gpio.handleRead(reg, 4));
    w(GpioReg.OutputEn, 0b0001);
    w(GpioReg.OutputVal, 0b0001);
    assert.ok(pins.isLit('led'));
    w(GpioReg.OutputVal, 0);
    assert.equal(pins.isLit('led'), false);
    w(GpioReg.InputEn, 0b0010);
    assert.equal((r(GpioReg.InputVal) >> 1) & 1, 1, 'released: high');
    pins.press('button');
    assert.equal((r(GpioReg.InputVal) >> 1) & 1, 0, 'pressed: low');
    assert.ok((r(GpioReg.FallIp) >> 1) & 1, 'the falling edge latched');
    gpio.close();
  });
});

describe('ConsoleMirror', () => {
  it('keeps the newest bytes by absolute offset and says what a late reader missed', () => {
    const m = new ConsoleMirror({ capacity: 1024 });
    m.pushBytes('a'.repeat(1000));
    m.pushBytes('0123456789'.repeat(10));
    assert.equal(m.total, 1100);
    assert.equal(m.oldest, 76);
    const s = m.since(0, 2000);
    assert.equal(s.offset, 76);
    assert.equal(s.skipped, 76);
    assert.equal(s.bytes.length, 1024);
    assert.equal(Buffer.from(s.bytes.subarray(-10)).toString('latin1'), '0123456789');
    const tail = m.since(1095, 3);
    assert.deepEqual([tail.offset, Buffer.from(tail.bytes).toString('latin1'), tail.skipped], [1095, '567', 0]);
    assert.equal(m.since(5000, 10).bytes.length, 0);
    assert.throws(() => new ConsoleMirror({ capacity: 10 }), RangeError);
  });

  it('tees a serial port: output mirrored and passed on, input and callbacks untouched', async () => {
    const m = new ConsoleMirror();
    let told = 0;
    m.subscribe(() => told++);
    const far = new MemorySerial();
    let readable = 0;
    const port = m.tee(far.open)({ onReadable: () => readable++ });
    for (const b of Buffer.from('hi\n')) port.write(b);
    assert.equal(far.takeText(), 'hi\n');
    assert.equal(Buffer.from(m.since(0, 10).bytes).toString('latin1'), 'hi\n');
    far.inject('k');
    assert.equal(readable, 1);
    assert.equal(port.read(), 0x6b);
    await waitFor(() => told === 1, 'one coalesced notification');
    port.close();
  });

  it('is a sink when the UART has nowhere else to go: mirrors, receives nothing, always has room', async () => {
    const m = new ConsoleMirror();
    const budgets: number[] = [];
    const port = m.tee()({ onWritable: (n) => budgets.push(n) });
    await waitFor(() => budgets.length === 1, 'the initial budget');
    port.write(0x41);
    assert.equal(port.read(), undefined);
    await waitFor(() => budgets.length === 2, 'the budget again after a write');
    assert.equal(m.total, 1);
    port.close();
  });
});
