/**
 * A guest reset (test finisher 0x7777) resets the devices as QEMU 7.2's
 * system reset does: a hand-assembled guest programs the CLINT, PLIC, UART
 * and GPIO on its first boot and asks for a reset; on its second boot it
 * prints one byte and passes. The test then reads every register it wrote
 * and finds reset values (mtimecmp kept, as QEMU 7.2), the hart's device
 * interrupt bits low, the UART's port still open and the GPIO pins still
 * wired, reopened as inputs.
 */
import { describe, it, assert } from '../harness/index.js';
import { validateBoard } from '../../src/board/index.js';
import { Csr, Mip } from '../../src/cpu/index.js';
import { VirtVm, type VmExit } from '../../src/monitor/index.js';
import { ManualClock, MemorySerial, SimulatedPin } from '../../src/ports/sim/index.js';
import { DigitalMode } from '../../src/ports/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { Program, bne, sb, sw, lw, t0, t1, t2, zero } from './rv-encode.js';

const RAM = 0x8000_0000;
const BOOTS = RAM + 0x1_0000; // a word outside the image: kept across the reset
const CLINT = 0x0200_0000, PLIC = 0x0c00_0000, UART = 0x1000_0000, GPIO = 0x1006_0000, FINISHER = 0x0010_0000;

const board = validateBoard({
  name: 'reset-test',
  platform: 'host',
  ramBudget: '1MiB',
  devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher'],
  uart0: { serial: 'none' },
  gpio: { lines: [
    { line: 0, name: 'led', pin: 0, direction: 'output' },
    { line: 1, name: 'button', pin: 1, direction: 'input', pull: 'up' },
  ] },
}, '(reset test board)');

/** Stores `value` at `addr` (word or byte) using t1/t2. */
function store(p: Program, addr: number, value: number, width: 1 | 4 = 4): void {
  p.li(t1, addr).li(t2, value).i(width === 4 ? sw(t2, t1, 0) : sb(t2, t1, 0));
}

function guest(): Uint8Array {
  const p = new Program(RAM);
  p.li(t0, BOOTS).i(lw(t1, t0, 0)).at(4, (pc, l) => bne(t1, zero, l('second') - pc));
  p.li(t1, 1).i(sw(t1, t0, 0));
  // First boot: put every device in a state far from reset.
  store(p, CLINT, 1); // msip
  store(p, CLINT + 0x4000, 0x1234_5678); // mtimecmp, low word
  store(p, PLIC + 4 * 10, 5); // UART0's priority
  store(p, PLIC + 0x2000, 1 << 10); // enabled for context 0
  store(p, PLIC + 0x20_0000, 3); // context 0's threshold
  store(p, UART + 3, 0x1b, 1); // LCR
  store(p, UART + 7, 0x5a, 1); // SCR
  store(p, UART + 2, 0x01, 1); // FCR: FIFOs on
  store(p, UART + 1, 0x0f, 1); // IER: every interrupt (THRE raises the line at once)
  store(p, GPIO + 0x08, 1); // output_en: the LED line
  store(p, GPIO + 0x0c, 1); // output_val: LED on
  store(p, GPIO + 0x10, 2); // pue on the button line
  store(p, GPIO + 0x18, 2); // rise_ie
  store(p, FINISHER, 0x7777);
  p.label('spin').at(4, (pc, l) => bne(zero, zero, l('spin') - pc)); // never reached: the reset comes first
  // Second boot: the UART still reaches its port; pass.
  p.label('second');
  store(p, UART, 0x52 /* R */, 1);
  store(p, FINISHER, 0x5555);
  p.label('park').at(4, (pc, l) => bne(t0, zero, l('park') - pc));
  return p.bytes();
}

function runToEnd(vm: VirtVm): VmExit {
  for (let i = 0; i < 1000; i++) {
    const exit = vm.run(10_000);
    if (exit.kind !== 'budget' && exit.kind !== 'idle') return exit;
  }
  throw new Error('the guest did not finish');
}

describe('VirtVm: a guest reset resets the devices', () => {
  it('CLINT, PLIC, UART and GPIO read reset values; ports stay open, pins stay wired', () => {
    // Five seconds in, so mtime would read 50,000,000 ticks had it not restarted.
    const clock = new ManualClock({ now: 5_000_000 });
    const serial = new MemorySerial();
    const led = new SimulatedPin();
    const button = new SimulatedPin({ drive: 1 });
    const pins = { led: led.open, button: button.open } as Record<string, typeof led.open>;
    const vm = new VirtVm({ image: guest(), ramSize: 1024 * 1024, board, clock, serial: serial.open, pins: (w) => pins[w.name] });
    const read = (addr: number, width: 1 | 4 = 4): number => vm.space.read(addr as GuestPhysAddr, width);

    const exit = runToEnd(vm);
    assert.deepEqual(exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(vm.resets, 1);

    // CLINT: msip clear, mtime from 0 again, mtimecmp kept (QEMU 7.2 keeps it).
    assert.equal(read(CLINT), 0);
    assert.equal(read(CLINT + 0xbff8), 0);
    assert.equal(read(CLINT + 0xbffc), 0);
    assert.equal(read(CLINT + 0x4000), 0x1234_5678);
    // PLIC: priority, enable and threshold clear; nothing pending from the UART's old IER.
    assert.equal(read(PLIC + 4 * 10), 0);
    assert.equal(read(PLIC + 0x2000), 0);
    assert.equal(read(PLIC + 0x20_0000), 0);
    assert.equal(read(PLIC + 0x1000), 0);
    // UART: the datasheet's (and QEMU's) reset values.
    assert.equal(read(UART + 1, 1), 0, 'IER');
    assert.equal(read(UART + 2, 1), 0x01, 'IIR: no interrupt, FIFOs off');
    assert.equal(read(UART + 3, 1), 0, 'LCR');
    assert.equal(read(UART + 4, 1), 0x08, 'MCR');
    assert.equal(read(UART + 5, 1), 0x60, 'LSR');
    assert.equal(read(UART + 7, 1), 0, 'SCR');
    assert.equal(vm.uart.interruptPending, false);
    // ... and its port is the same open one: the second boot's byte went through it.
    assert.ok(serial.isOpen);
    assert.equal(serial.takeText(), 'R');
    // GPIO: every register 0; both pins still wired, reopened as plain inputs.
    for (const reg of [0x08, 0x0c, 0x10, 0x18, 0x1c]) assert.equal(read(GPIO + reg), 0, `GPIO register 0x${reg.toString(16)}`);
    assert.equal(led.mode, DigitalMode.Input, 'the LED line is an input again: unlit');
    assert.equal(button.mode, DigitalMode.Input, 'the button line lost its pull-up');
    assert.equal(vm.gpio?.wired, 0b11);
    // The hart sees no device interrupt: MSIP and MEIP are low (MTIP follows mtimecmp > mtime).
    const mip = vm.hart.readCsr(Csr.mip);
    assert.equal(mip & (Mip.MSIP | Mip.MEIP), 0);
    assert.equal(mip & Mip.MTIP, 0);
    vm.close();
  });

  it('a pin change after the reset still reaches the guest through the re-opened pin', () => {
    const clock = new ManualClock();
    const button = new SimulatedPin({ drive: 1 });
    const vm = new VirtVm({ image: guest(), ramSize: 1024 * 1024, board, clock, pins: (w) => (w.name === 'button' ? button.open : undefined) });
    runToEnd(vm);
    // input_en on the button line, then the wire drops: input_val follows, fall_ip latches.
    vm.space.write((GPIO + 0x04) as GuestPhysAddr, 4, 2);
    assert.equal(vm.space.read((GPIO + 0x00) as GuestPhysAddr, 4), 2);
    button.drive(0);
    assert.equal(vm.space.read((GPIO + 0x00) as GuestPhysAddr, 4), 0);
    assert.equal(vm.space.read((GPIO + 0x24) as GuestPhysAddr, 4) & 2, 2);
    vm.close();
  });
});
