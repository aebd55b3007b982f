/**
 * ns16550a UART against the PC16550D datasheet, through a GuestAddressSpace
 * and an in-memory serial line: reset values, DLAB, widths, FIFOs (depth,
 * trigger levels, resets), LSR bits, IIR priorities and clearing, the THRE
 * interrupt, loopback and MSR, a slow port, and floods that must not grow
 * memory.
 */
import { describe, it, assert } from '../harness/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import type { IrqLine } from '../../src/device/index.js';
import { Ns16550a, type Ns16550aOptions } from '../../src/devices/index.js';
import { MemorySerial, type MemorySerialOptions } from '../../src/ports/sim/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const pa = (n: number) => n as GuestPhysAddr;
const BASE = 0x1000_0000;
const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const MiB = 1024 * 1024;

class Line implements IrqLine {
  level = false;
  set(level: boolean): void {
    this.level = level;
  }
}

function setup(opts: { line?: MemorySerialOptions; uart?: Partial<Ns16550aOptions> } = {}) {
  const serial = new MemorySerial(opts.line);
  const irq = new Line();
  const uart = new Ns16550a({ base: VIRT_MAP.uart0.base, serial: serial.open, irq, ...opts.uart });
  const as = new GuestAddressSpace();
  as.addDevice(uart);
  const r = (reg: number): number => {
    const v = as.read(pa(BASE + reg), 1);
    assert.ok(v >= 0, `read of register ${reg}`);
    return v;
  };
  const w = (reg: number, v: number): void => assert.ok(as.write(pa(BASE + reg), 1, v), `write of register ${reg}`);
  const text = (s: string): void => {
    for (let i = 0; i < s.length; i++) w(THR, s.charCodeAt(i));
  };
  /** Reads RBR while LSR.DR is set (bounded). */
  const drain = (max = 64): string => {
    let s = '';
    for (let i = 0; i < max && (r(LSR) & 1) !== 0; i++) s += String.fromCharCode(r(RBR));
    return s;
  };
  return { serial, irq, uart, as, r, w, text, drain };
}

describe('UART registers', () => {
  it('resets as QEMU 7.2 does', () => {
    const { r } = setup();
    assert.deepEqual([IER, IIR, LCR, MCR, LSR, MSR, SCR].map(r), [0x00, 0x01, 0x00, 0x08, 0x60, 0xb0, 0x00]);
  });

  it('DLAB switches offsets 0 and 1 to the divisor latch', () => {
    const { r, w, uart } = setup();
    w(LCR, 0x80);
    assert.equal(r(DLL), 0x0c);
    assert.equal(r(DLM), 0x00);
    w(DLL, 0x02);
    w(DLM, 0x00);
    assert.equal(uart.baudRate, 115200);
    w(LCR, 0x03);
    assert.equal(r(IER), 0, 'IER again');
    assert.equal(r(LCR), 0x03);
    w(IER, 0xff);
    assert.equal(r(IER), 0x0f, 'IER bits 7:4 are 0');
    w(LCR, 0x83);
    assert.equal(r(DLM), 0x00, 'IER writes did not touch DLM');
  });

  it('scratch, and LSR/MSR ignore writes', () => {
    const { r, w } = setup();
    w(SCR, 0x5a);
    assert.equal(r(SCR), 0x5a);
    w(LSR, 0xff);
    w(MSR, 0xff);
    assert.equal(r(LSR), 0x60);
    assert.equal(r(MSR), 0xb0);
  });

  it('a 2- or 4-byte access reaches the one register at its offset; offsets 8.. and misalignment fault', () => {
    const { as, r } = setup();
    assert.equal(as.read(pa(BASE + MCR), 4), 0x08);
    assert.ok(as.write(pa(BASE + 6), 2, 0x1234)); // MSR: ignored
    assert.ok(as.write(pa(BASE + 4), 4, 0x0000_0103)); // MCR = 0x03
    assert.equal(r(MCR), 0x03);
    assert.equal(as.read(pa(BASE + 8), 1), -1);
    assert.equal(as.lastFault!.kind, 'device-error');
    assert.equal(as.read(pa(BASE + 0xfc), 4), -1);
    assert.equal(as.read(pa(BASE + 1), 2), -1);
    assert.equal(as.lastFault!.kind, 'misaligned');
  });
});

describe('UART transmit', () => {
  it('writes THR bytes to the port, THRE and TEMT set again', () => {
    const { serial, text, r, uart } = setup();
    text('hi!\n');
    assert.equal(serial.takeText(), 'hi!\n');
    assert.equal(r(LSR), 0x60);
    assert.equal(uart.stats.txBytes, 4);
  });

  it('a slow port loses nothing: the 16-byte FIFO holds bytes, THRE reflects it', () => {
    const { serial, text, r, w, uart } = setup({ line: { writable: 0 } });
    w(FCR, 0x07);
    text('0123456789abcdefXYZW'); // 20 bytes: 16 fit
    assert.equal(serial.outputLength, 0);
    assert.equal(uart.txFifoLength, 16);
    assert.equal(uart.stats.txDropped, 4, 'the chip drops writes to a full FIFO');
    assert.equal(r(LSR) & 0x60, 0);
    serial.setWritable(5);
    assert.equal(serial.takeText(), '01234');
    assert.equal(r(LSR) & 0x60, 0, 'still not empty');
    serial.unthrottle();
    assert.equal(serial.takeText(), '56789abcdef');
    assert.equal(r(LSR) & 0x60, 0x60);
  });

  it('in 16450 mode THR holds one byte', () => {
    const { serial, text, uart } = setup({ line: { writable: 0 } });
    text('ab');
    assert.equal(uart.txFifoLength, 1);
    assert.equal(uart.stats.txDropped, 1);
    serial.unthrottle();
    assert.equal(serial.takeText(), 'a');
  });

  it('THRE interrupt: raised by enabling ETBEI when empty, cleared by reading IIR or writing THR', () => {
    const { serial, r, w, irq } = setup({ line: { writable: 0 } });
    w(IER, 0x02);
    assert.ok(irq.level);
    assert.equal(r(IIR), 0x02);
    assert.ok(!irq.level, 'reading IIR cleared it');
    assert.equal(r(IIR), 0x01);
    w(THR, 0x41); // the port has no room: the byte waits
    assert.ok(!irq.level);
    serial.setWritable(1); // sent: THR empty again
    assert.ok(irq.level);
    assert.equal(r(IIR), 0x02);
    w(IER, 0x00);
    w(IER, 0x02);
    assert.ok(irq.level, 'enabling ETBEI with THR empty raises it again');
    w(THR, 0x42);
    assert.ok(!irq.level, 'writing THR clears it');
  });
});

describe('UART receive', () => {
  it('16-byte FIFO: 20 bytes waiting leave 4 in the port, all arrive in order', () => {
    const { serial, w, uart, drain, r } = setup();
    w(FCR, 0x01);
    serial.inject('ABCDEFGHIJKLMNOPQRST');
    assert.equal(uart.rxFifoLength, 16);
    assert.equal(serial.waiting, 4);
    assert.equal(r(LSR) & 0x01, 1);
    assert.equal(drain(), 'ABCDEFGHIJKLMNOPQRST');
    assert.equal(r(LSR), 0x60);
    assert.equal(uart.stats.overruns, 0);
  });

  it('received data interrupt at the trigger level, character timeout below it', () => {
    const { serial, w, r, irq } = setup();
    w(FCR, 0x41); // FIFO on, trigger 4
    w(IER, 0x01);
    assert.ok(!irq.level);
    serial.inject('abc');
    assert.ok(irq.level);
    assert.equal(r(IIR), 0xcc, 'timeout: below the trigger, the line is quiet');
    serial.inject('d');
    assert.equal(r(IIR), 0xc4, 'data available at 4');
    assert.equal(r(RBR), 0x61);
    assert.equal(r(IIR), 0xcc, 'below the trigger again, quiet: timeout');
    r(RBR);
    r(RBR);
    r(RBR);
    assert.equal(r(IIR), 0xc1);
    assert.ok(!irq.level);
  });

  it('trigger levels 1, 4, 8 and 14', () => {
    for (const [fcr, level] of [[0x01, 1], [0x41, 4], [0x81, 8], [0xc1, 14]]) {
      const { serial, w, r } = setup();
      w(FCR, fcr);
      w(IER, 0x01);
      serial.inject('x'.repeat(level - 1));
      if (level > 1) assert.equal(r(IIR), 0xcc, `below ${level}`);
      serial.inject('x');
      assert.equal(r(IIR), 0xc4, `at ${level}`);
    }
  });

  it('16450 mode: data available as soon as RBR holds a byte', () => {
    const { serial, w, r } = setup();
    w(IER, 0x01);
    serial.inject('z');
    assert.equal(r(IIR), 0x04);
    assert.equal(r(RBR), 0x7a);
    assert.equal(r(IIR), 0x01);
    assert.equal(r(RBR), 0x7a, 'RBR keeps the last byte');
  });

  it('pull mode: a 1 MiB flood waits in the bounded port and loses nothing the port took', () => {
    const { serial, w, r, uart } = setup({ line: { inputCapacity: 4096 } });
    w(FCR, 0x01);
    const chunk = new Uint8Array(MiB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
    assert.equal(serial.inject(chunk), 4096);
    assert.equal(serial.stats.injectRefused, MiB - 4096);
    assert.equal(uart.rxFifoLength, 16);
    for (let i = 0; i < 4096; i++) {
      assert.equal(r(LSR) & 1, 1);
      const b = r(RBR);
      if (b !== (i & 0xff)) assert.equal(b, i & 0xff, `byte ${i}`);
      if (uart.rxFifoLength > 16) assert.ok(false, 'the FIFO never exceeds 16');
    }
    assert.equal(r(LSR) & 1, 0);
    assert.equal(uart.stats.overruns, 0);
    assert.equal(uart.stats.rxBytes, 4096);
  });

  it('drain mode: a 1 MiB flood is counted as overruns, memory stays bounded', () => {
    const { serial, w, r, uart, irq } = setup({ line: { inputCapacity: 65536 }, uart: { receive: 'drain' } });
    w(FCR, 0x01);
    w(IER, 0x04); // line status interrupts
    const chunk = new Uint8Array(65536);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
    for (let sent = 0; sent < MiB; sent += chunk.length) assert.equal(serial.inject(chunk), chunk.length);
    assert.equal(serial.waiting, 0, 'the UART took every byte');
    assert.equal(uart.rxFifoLength, 16);
    assert.equal(uart.stats.rxBytes, 16);
    assert.equal(uart.stats.overruns, MiB - 16);
    assert.ok(irq.level);
    assert.equal(r(IIR), 0xc6, 'receiver line status');
    assert.equal(r(LSR), 0x63, 'DR | OE | THRE | TEMT');
    assert.equal(r(LSR), 0x61, 'OE cleared by the read');
    assert.ok(!irq.level);
    for (let i = 0; i < 16; i++) assert.equal(r(RBR), i, 'the first 16 bytes kept');
  });

  it('drain mode, 16450: an overrun replaces the unread byte', () => {
    const { serial, r, uart } = setup({ uart: { receive: 'drain' } });
    serial.inject('x');
    serial.inject('y');
    assert.equal(r(LSR), 0x63);
    assert.equal(r(RBR), 0x79);
    assert.equal(uart.stats.overruns, 1);
  });

  it('FCR: RX reset empties the FIFO; changing bit 0 clears both; IIR bits 7:6 follow bit 0', () => {
    const { serial, w, r, uart } = setup({ line: { writable: 0 } });
    w(FCR, 0x01);
    assert.equal(r(IIR), 0xc1);
    serial.inject('abc');
    w(THR, 0x31);
    w(FCR, 0x03);
    assert.equal(uart.rxFifoLength, 0);
    assert.equal(uart.txFifoLength, 1, 'TX kept');
    w(FCR, 0x05);
    assert.equal(uart.txFifoLength, 0);
    serial.inject('x'.repeat(20)); // 16 in the FIFO, 4 wait in the port
    w(FCR, 0x00);
    assert.equal(uart.rxFifoLength, 1, 'cleared, then one waiting byte pulled into the 16450 RBR');
    assert.equal(serial.waiting, 3);
    assert.equal(r(IIR), 0x01);
  });
});

describe('UART loopback and modem status', () => {
  it('loops THR to RBR without touching the port', () => {
    const { serial, w, r } = setup();
    w(MCR, 0x10);
    w(THR, 0x5a);
    assert.equal(serial.outputLength, 0);
    assert.equal(r(LSR), 0x61);
    assert.equal(r(RBR), 0x5a);
    serial.inject('q'); // the receiver is disconnected from the port: it waits
    assert.equal(r(LSR) & 1, 0);
    w(MCR, 0x00);
    assert.equal(r(RBR), 0x71, 'delivered once loopback ends');
  });

  it('FIFO depth is 16 in loopback: the 17th byte overruns', () => {
    const { w, r, uart } = setup();
    w(FCR, 0x01);
    w(MCR, 0x10);
    for (let i = 0; i < 17; i++) w(THR, i);
    assert.equal(uart.rxFifoLength, 16);
    assert.equal(uart.stats.overruns, 1);
    assert.equal(r(LSR) & 0x02, 0x02);
  });

  it('MSR follows MCR in loopback (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2) with delta bits', () => {
    const { w, r } = setup();
    w(MCR, 0x1f);
    assert.equal(r(MSR), 0xf0, 'RI rising sets no delta (TERI is the trailing edge)');
    w(MCR, 0x10);
    assert.equal(r(MSR), 0x0f, 'DCTS, DDSR, TERI, DDCD');
    assert.equal(r(MSR), 0x00, 'deltas cleared by the read');
    w(MCR, 0x12);
    assert.equal(r(MSR), 0x11);
  });

  it('IIR reports the highest priority first and each source clears as the datasheet says', () => {
    const { w, r, drain, irq } = setup();
    w(FCR, 0x01);
    w(MCR, 0x10);
    w(IER, 0x0f);
    for (let i = 0; i < 17; i++) w(THR, 0x41 + i); // data, an overrun, and THR empty
    w(MCR, 0x12); // RTS -> CTS: a modem status delta
    assert.ok(irq.level);
    assert.equal(r(IIR), 0xc6, '1: line status');
    r(LSR);
    assert.equal(r(IIR), 0xc4, '2: data available');
    assert.equal(drain(), 'ABCDEFGHIJKLMNOP');
    assert.equal(r(IIR), 0xc2, '3: THR empty');
    assert.equal(r(IIR), 0xc0, '4: modem status (reading IIR cleared THRE)');
    r(MSR);
    assert.equal(r(IIR), 0xc1);
    assert.ok(!irq.level);
  });
});

describe('UART lifetime', () => {
  it('close() releases the port; the UART then discards output', () => {
    const { serial, uart, w, r } = setup();
    uart.close();
    uart.close();
    assert.ok(!serial.isOpen);
    w(THR, 0x41);
    assert.equal(r(LSR), 0x60);
  });

  it('works with no port at all', () => {
    const uart = new Ns16550a({ base: VIRT_MAP.uart0.base });
    const as = new GuestAddressSpace();
    as.addDevice(uart);
    assert.ok(as.write(pa(BASE), 1, 0x41));
    assert.equal(as.read(pa(BASE + LSR), 1), 0x60);
  });

  it('refuses an unknown receive mode', () => {
    assert.throws(() => new Ns16550a({ base: VIRT_MAP.uart0.base, receive: 'eager' as 'pull' }), RangeError);
  });
});
