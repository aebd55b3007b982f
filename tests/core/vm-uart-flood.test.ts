/**
 * A 1 MiB receive flood into a guest that never reads UART0: memory stays
 * bounded whatever the receive policy. With `uartReceive: 'drain'` (a real
 * line: bytes arrive whether or not there is room) the 16-byte FIFO keeps
 * the first bytes, every other byte is an overrun, LSR.OE is set and
 * counted; with 'pull' (the default) the flood waits in the port, which
 * refuses what does not fit its own fixed buffer, and nothing overruns.
 * The guest meanwhile sleeps in WFI with the UART's interrupt raised.
 */
import { describe, it, assert } from '../harness/index.js';
import { VirtVm } from '../../src/monitor/index.js';
import { ManualClock, MemorySerial } from '../../src/ports/sim/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { Program, sb, t0, t1, wfi, jal, zero } from './rv-encode.js';

const UART = 0x1000_0000;
const FLOOD = 1024 * 1024;
const CHUNK = 4096;
const PORT_CAPACITY = 4096;

/** FIFOs on, receive interrupt enabled (so the line stays raised), then sleep forever without reading. */
function sleeper(): Uint8Array {
  const p = new Program(0x8000_0000);
  p.li(t0, UART).li(t1, 0x01).i(sb(t1, t0, 2)); // FCR: FIFOs on, trigger 1
  p.li(t1, 0x01).i(sb(t1, t0, 1)); // IER: received data available
  p.label('sleep').i(wfi()).at(4, (pc, l) => jal(zero, l('sleep') - pc));
  return p.bytes();
}

/** Byte i of the flood: a pattern, so the bytes kept can be checked. */
const floodByte = (i: number): number => (i * 7 + 3) & 0xff;

function flood(receive: 'pull' | 'drain') {
  const serial = new MemorySerial({ inputCapacity: PORT_CAPACITY });
  const vm = new VirtVm({ image: sleeper(), ramSize: 1024 * 1024, clock: new ManualClock(), serial: serial.open, uartReceive: receive });
  assert.equal(vm.run(10_000).kind, 'idle');
  const chunk = new Uint8Array(CHUNK);
  let accepted = 0;
  for (let sent = 0; sent < FLOOD; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) chunk[i] = floodByte(sent + i);
    accepted += serial.inject(chunk);
    // The guest runs between bursts, as it would between event-loop turns, and goes back to sleep.
    assert.equal(vm.run(10_000).kind, 'idle');
    assert.ok(vm.uart.rxFifoLength <= 16, 'the FIFO never holds more than 16 bytes');
    assert.ok(serial.waiting <= PORT_CAPACITY, 'the port never holds more than its capacity');
  }
  return { vm, serial, accepted };
}

const lsr = (vm: VirtVm): number => vm.space.read((UART + 5) as GuestPhysAddr, 1);
const rbr = (vm: VirtVm): number => vm.space.read(UART as GuestPhysAddr, 1);

describe('VirtVm: a 1 MiB receive flood into a guest that does not read', () => {
  it("'drain': the FIFO keeps the first 16 bytes, the rest overrun, LSR.OE is set once and cleared by reading LSR", () => {
    const { vm, serial, accepted } = flood('drain');
    assert.equal(accepted, FLOOD, 'the line delivered every byte');
    assert.equal(serial.waiting, 0, 'nothing waits in the port: the UART took it all');
    assert.equal(vm.uart.stats.rxBytes, 16);
    assert.equal(vm.uart.stats.overruns, FLOOD - 16);
    assert.ok(vm.uart.interruptPending, 'the receive interrupt stays raised');
    assert.ok(vm.plic.isPending(10), 'and waits in the PLIC');
    const first = lsr(vm);
    assert.equal(first & 0x03, 0x03, 'LSR: data ready and overrun error');
    assert.equal(lsr(vm) & 0x02, 0, 'reading LSR cleared OE');
    for (let i = 0; i < 16; i++) assert.equal(rbr(vm), floodByte(i), `FIFO byte ${i}`);
    assert.equal(lsr(vm) & 0x01, 0, 'the FIFO is empty');
    vm.close();
  });

  it("'pull': the flood waits in the port, which refuses what exceeds its buffer; nothing overruns", () => {
    const { vm, serial, accepted } = flood('pull');
    assert.equal(vm.uart.stats.rxBytes, 16);
    assert.equal(vm.uart.stats.overruns, 0);
    assert.equal(serial.waiting, PORT_CAPACITY);
    assert.equal(accepted, 16 + PORT_CAPACITY);
    assert.equal(serial.stats.injectRefused, FLOOD - accepted);
    assert.equal(lsr(vm) & 0x03, 0x01, 'LSR: data ready, no overrun');
    // Reading makes room, and the next byte comes from the port in order.
    for (let i = 0; i < 32; i++) assert.equal(rbr(vm), floodByte(i), `byte ${i}`);
    vm.close();
  });
});
