/**
 * Tracing and statistics (src/monitor/trace.ts), on tiny guests assembled
 * here: a traced VM reports exactly the device accesses, faults, interrupt
 * line changes, traps and SBI calls the program makes, at the instruction
 * counts where it makes them; the counts agree; an untraced VM keeps its
 * own device objects (tracing off costs nothing); trace lists parse.
 * Cause numbers and tval values are those of the privileged spec 1.12
 * (table 3.6, section 3.1.16); SBI results those of the SBI spec 2.0.
 */
import { describe, it, assert } from '../harness/index.js';
import { Csr } from '../../src/cpu/index.js';
import { SbiExt, SBI_SPEC_VERSION } from '../../src/machine/index.js';
import {
  formatTraceStats,
  ObservedDevice,
  parseTraceList,
  TraceBuffer,
  TraceListError,
  trapName,
  VirtVm,
  VmTracer,
  type TraceCategory,
} from '../../src/monitor/index.js';
import { ManualClock, MemorySerial } from '../../src/ports/sim/index.js';
import { addi, csrr, csrrsi, csrw, ecall, jal, lbu, lw, mret, sb, sw, a0, t0, t1, t2, t3, zero } from './rv-encode.js';
import { CLINT, exitWith, PLIC, program, SBI_BASE, sbiCall, UART } from './monitor-fixture.js';

const RAM = 4 * 1024 * 1024;
/** Nothing is mapped here on virt. */
const HOLE = 0x2000_0000;

interface Traced {
  readonly vm: VirtVm;
  readonly tracer: VmTracer;
  readonly lines: string[];
  readonly serial: MemorySerial;
}

/** Builds a VM of `image` traced for `trace`, runs it to its end (at most 100k instructions) and returns what it printed. */
function traced(image: Uint8Array, trace: readonly TraceCategory[], extra: { firmware?: 'sbi'; vmName?: string } = {}): Traced {
  const lines: string[] = [];
  const tracer = new VmTracer({ trace, sink: (l) => lines.push(l), vmName: extra.vmName });
  const serial = new MemorySerial();
  const vm = new VirtVm({ image, clock: new ManualClock(), ramSize: extra.firmware === 'sbi' ? 8 * 1024 * 1024 : RAM, serial: serial.open, observe: tracer, firmware: extra.firmware });
  const exit = vm.run(100_000);
  assert.equal(exit.kind, 'exit', `the guest ended: ${JSON.stringify(exit)}`);
  vm.close();
  return { vm, tracer, lines, serial };
}

/** Bytes as Latin-1 text (no TextDecoder: the suite also runs in XS). */
const text = (b: Uint8Array): string => String.fromCharCode(...b);
/** The text of a line after its instruction count. */
const body = (l: string): string => l.replace(/^\[ *[0-9]+\] /, '');
/** The instruction count of a line. */
const count = (l: string): number => Number(/^\[ *([0-9]+)\]/.exec(l)![1]);

/** Writes 'H' to THR, reads LSR, exits through the finisher (every `li` is two instructions). */
function uartGuest(): Uint8Array {
  const p = program();
  p.li(t0, UART); //                       1-2
  p.i(addi(t1, zero, 0x48)); //            3
  p.i(sb(t1, t0, 0)); //                   4: THR = 'H'
  p.i(lbu(t2, t0, 5)); //                  5: LSR
  return exitWith(p, 0).bytes(); //        6-9 li, li; 10: finisher = 0x5555
}

/** Appends, at label `name`, a trap handler that skips the trapping instruction: mepc += 4; mret. */
function skipHandler(p: ReturnType<typeof program>, name = 'handler'): void {
  p.label(name).i(csrr(t3, Csr.mepc), addi(t3, t3, 4), csrw(Csr.mepc, t3), mret());
}

describe('trace: mmio', () => {
  it('reports each device access the guest makes: count, device, r/w, address, width, value', () => {
    const { lines, serial } = traced(uartGuest(), ['mmio']);
    assert.deepEqual(lines, [
      '[         4] mmio uart0 w 0x10000000/1 = 0x48',
      // LSR after reset, THR taken at once by the port: THRE | TEMT (16550 datasheet; QEMU's reset value).
      '[         5] mmio uart0 r 0x10000005/1 = 0x60',
      '[        10] mmio test w 0x00100000/4 = 0x5555',
    ]);
    assert.equal(text(serial.takeOutput()), 'H');
  });

  it('counts reads and writes per device, and the run loop ending on the finisher\'s stop', () => {
    const { tracer, lines } = traced(uartGuest(), []);
    assert.equal(lines.length, 0, 'nothing printed when no category is selected');
    const uart = tracer.stats.devices.find((d) => d.name === 'uart0')!;
    const test = tracer.stats.devices.find((d) => d.name === 'test')!;
    assert.deepEqual({ ...uart }, { name: 'uart0', reads: 1, writes: 1, faults: 0 });
    assert.deepEqual({ ...test }, { name: 'test', reads: 0, writes: 1, faults: 0 });
    assert.deepEqual({ ...tracer.stats.runExits }, { budget: 0, wfi: 0, stop: 1, fatal: 0 });
    assert.deepEqual(formatTraceStats(tracer.stats), [
      'device uart0: 1 reads, 1 writes, 0 faults',
      'device test: 0 reads, 1 writes, 0 faults',
      'access faults: none',
      'run exits: budget 0, wfi 0, stop 1, fatal 0',
      'traps: none',
      'sbi calls: none',
    ]);
  });

  it('names the VM after the count when given one', () => {
    const { lines } = traced(uartGuest(), ['mmio'], { vmName: 'alpha' });
    assert.equal(lines[0], '[         4] alpha: mmio uart0 w 0x10000000/1 = 0x48');
  });

  it('gives the same lines on every run', () => {
    assert.deepEqual(traced(uartGuest(), ['mmio', 'irq', 'trap']).lines, traced(uartGuest(), ['mmio', 'irq', 'trap']).lines);
  });
});

describe('trace: access faults and traps', () => {
  /** A load and a store to a hole, an ECALL, each skipped by the handler; then the finisher. */
  function faultGuest(): { image: Uint8Array; loadAt: number; storeAt: number; ecallAt: number } {
    const p = program();
    p.at(4, (pc, label) => jal(zero, label('main') - pc));
    skipHandler(p);
    p.label('main');
    p.li(t0, 0x8000_0004).i(csrw(Csr.mtvec, t0)); // the handler
    p.li(t0, HOLE);
    const loadAt = p.here;
    p.i(lw(t1, t0, 0));
    const storeAt = p.here;
    p.i(sw(t1, t0, 8));
    const ecallAt = p.here;
    p.i(ecall());
    return { image: exitWith(p, 0).bytes(), loadAt, storeAt, ecallAt };
  }

  it('an unassigned load and store print their fault, then the access-fault trap with tval = the address (spec 3.1.16)', () => {
    const g = faultGuest();
    const { lines } = traced(g.image, ['mmio', 'trap']);
    const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
    assert.deepEqual(lines.map(body), [
      'mmio - r 0x20000000/4 fault unassigned',
      `trap exc 5 load-access-fault tval=0x20000000 epc=${hex(g.loadAt)} M->M`,
      'mmio - w 0x20000008/4 fault unassigned',
      `trap exc 7 store-access-fault tval=0x20000008 epc=${hex(g.storeAt)} M->M`,
      `trap exc 11 ecall-m tval=0x00000000 epc=${hex(g.ecallAt)} M->M`,
      'mmio test w 0x00100000/4 = 0x5555',
    ]);
    // The faulting instructions do not retire (spec 3.3.1): the count at each trap is the instructions before it.
    // Before the load: jal, li (2), csrw, li (2) = 6; the handler runs 4 after each trap.
    assert.deepEqual(lines.slice(0, 5).map(count), [6, 6, 10, 10, 14]);
  });

  it('counts faults by kind and traps by cause', () => {
    const { tracer } = traced(faultGuest().image, []);
    const s = formatTraceStats(tracer.stats);
    assert.ok(s.includes('access faults: 2 (unassigned 2)'), s.join('\n'));
    assert.ok(s.includes('traps: 3 (exc 5 load-access-fault 1, exc 7 store-access-fault 1, exc 11 ecall-m 1)'), s.join('\n'));
  });

  it('a misaligned device load is a fault of the device (its rules refuse it) and a load-misaligned trap', () => {
    const p = program();
    p.at(4, (pc, label) => jal(zero, label('main') - pc));
    skipHandler(p);
    p.label('main');
    p.li(t0, 0x8000_0004).i(csrw(Csr.mtvec, t0));
    p.li(t0, UART);
    p.i(lw(t1, t0, 1));
    const { lines, tracer } = traced(exitWith(p, 0).bytes(), ['mmio', 'trap']);
    assert.equal(body(lines[0]), 'mmio uart0 r 0x10000001/4 fault misaligned');
    assert.match(body(lines[1]), /^trap exc 4 load-misaligned tval=0x10000001 /);
    assert.equal(tracer.stats.devices.find((d) => d.name === 'uart0')!.faults, 1);
  });

  it('trap names follow the spec table; unassigned codes are "reserved"', () => {
    assert.equal(trapName(2, false), 'illegal-instruction');
    assert.equal(trapName(15, false), 'store-page-fault');
    assert.equal(trapName(14, false), 'reserved');
    assert.equal(trapName(7, true), 'm-timer');
    assert.equal(trapName(9, true), 's-external');
  });
});

describe('trace: interrupts', () => {
  it('the UART line through the PLIC to MEIP, the interrupt trap, and the lines falling after claim and complete', () => {
    const p = program();
    p.at(4, (pc, label) => jal(zero, label('main') - pc));
    // Handler: claim (a0 = source), IER = 0 (the UART lowers its line), complete, exit.
    p.label('handler');
    p.li(t0, PLIC + 0x200004).i(lw(a0, t0, 0));
    p.li(t1, UART).i(sb(zero, t1, 1));
    p.i(sw(a0, t0, 0));
    exitWith(p, 0);
    p.label('main');
    p.li(t0, 0x8000_0004).i(csrw(Csr.mtvec, t0));
    p.li(t0, PLIC + 4 * 10).li(t1, 1).i(sw(t1, t0, 0)); // priority of source 10
    p.li(t0, PLIC + 0x2000).li(t1, 1 << 10).i(sw(t1, t0, 0)); // enabled for context 0 (hart 0, M)
    p.li(t1, 1 << 11).i(csrw(Csr.mie, t1)); // MEIE
    p.i(csrrsi(zero, Csr.mstatus, 8)); // MIE
    p.li(t0, UART).li(t1, 2).i(sb(t1, t0, 1)); // IER = ETBEI: THR is empty, so the UART interrupts at once
    p.label('spin').at(4, (pc, label) => jal(zero, label('spin') - pc));
    const { lines } = traced(p.bytes(), ['irq']);
    // CLINT's MTIP is pending from reset (mtimecmp = 0) but not enabled: it shows as a line, never as a trap.
    const seq = lines.map(body).filter((l) => !l.startsWith('irq clint'));
    assert.equal(seq.length, 5, seq.join('\n'));
    assert.equal(seq[0], 'irq uart0 -> plic 10 = 1');
    assert.equal(seq[1], 'irq plic -> hart 11 = 1');
    // Taken before the instruction after the UART write (spec 3.1.9: mepc is the instruction interrupted).
    assert.equal(seq[2], `trap int 11 m-external tval=0x00000000 epc=0x${p.addr('spin').toString(16)} M->M`);
    // The claim takes the source out of pending, so MEIP falls; IER = 0 lowers the UART's line.
    assert.deepEqual(seq.slice(3).sort(), ['irq plic -> hart 11 = 0', 'irq uart0 -> plic 10 = 0']);
    assert.ok(lines.some((l) => body(l) === 'irq clint -> hart 7 = 1'), 'MTIP rises at reset (mtimecmp 0 <= mtime)');
  });
});

describe('trace: SBI calls', () => {
  it('prints extension, function, arguments and the result: err/val for SBI v0.2+, ret for legacy calls', () => {
    const p = program(SBI_BASE);
    sbiCall(p, SbiExt.BASE, 0, 7, 9); // get_spec_version: a0/a1 are ignored
    sbiCall(p, SbiExt.LEGACY_CONSOLE_PUTCHAR, 0, 0x41);
    sbiCall(p, SbiExt.BASE, 99, 0, 0); // no such function
    sbiCall(p, SbiExt.SRST, 0, 0, 0); // shutdown
    p.i(jal(zero, 0));
    const { lines, tracer, serial } = traced(p.bytes(), ['sbi'], { firmware: 'sbi' });
    assert.deepEqual(lines.map(body), [
      `sbi BASE fid=0 a0=0x7 a1=0x9 a2=0x0 a3=0x0 a4=0x0 a5=0x0 -> err=0 val=0x${SBI_SPEC_VERSION.toString(16)}`,
      // a1 still holds the value the previous call returned.
      `sbi LEGACY_CONSOLE_PUTCHAR fid=0 a0=0x41 a1=0x${SBI_SPEC_VERSION.toString(16)} a2=0x0 a3=0x0 a4=0x0 a5=0x0 -> ret=0x0`,
      'sbi BASE fid=99 a0=0x0 a1=0x0 a2=0x0 a3=0x0 a4=0x0 a5=0x0 -> err=-2 val=0x0',
      'sbi SRST fid=0 a0=0x0 a1=0x0 a2=0x0 a3=0x0 a4=0x0 a5=0x0 -> err=0 val=0x0',
    ]);
    assert.equal(text(serial.takeOutput()), 'A');
    assert.ok(formatTraceStats(tracer.stats).includes('sbi calls: 4 (LEGACY_CONSOLE_PUTCHAR 1, BASE 2, SRST 1)'));
    // The SBI's console write is the firmware's, not a guest MMIO access: no device count for it.
    assert.equal(tracer.stats.devices.find((d) => d.name === 'uart0')!.writes, 0);
  });
});

describe('trace: off costs nothing', () => {
  it('an untraced VM registers its own device objects; a traced one registers proxies around them', () => {
    const plain = new VirtVm({ image: uartGuest(), clock: new ManualClock(), ramSize: RAM });
    const devices = [plain.clint, plain.plic, plain.uart, plain.finisher, ...plain.virtio, plain.gpio!];
    for (const d of devices) assert.equal(plain.space.region(d.name)!.device, d, `${d.name} is registered as itself`);
    plain.close();

    const tracer = new VmTracer();
    const vm = new VirtVm({ image: uartGuest(), clock: new ManualClock(), ramSize: RAM, observe: tracer });
    const reg = vm.space.region('uart0')!.device!;
    assert.ok(reg instanceof ObservedDevice);
    assert.equal((reg as ObservedDevice).inner, vm.uart);
    assert.equal(reg.accessRules, vm.uart.accessRules, 'the proxy keeps the device\'s rules');
    assert.equal(vm.space.region('clint')!.device!.addressRange().start, CLINT);
    vm.close();
  });

  it('a tracer selecting categories needs a sink', () => {
    assert.throws(() => new VmTracer({ trace: ['mmio'] }), TypeError);
  });
});

describe('trace: output buffer', () => {
  it('hands lines over in chunks once `chunk` characters are collected, and the rest on flush', () => {
    const writes: string[] = [];
    const buf = new TraceBuffer({ write: (t) => writes.push(t), chunk: 10 });
    buf.sink('abcd'); // 5 with its newline
    assert.deepEqual(writes, []);
    buf.sink('efgh'); // 10: written
    assert.deepEqual(writes, ['abcd\nefgh\n']);
    buf.sink('x');
    buf.flush();
    buf.flush(); // nothing more
    assert.deepEqual(writes, ['abcd\nefgh\n', 'x\n']);
  });
});

describe('trace: category lists', () => {
  it('takes any comma-separated subset, or all, in the documented order', () => {
    assert.deepEqual(parseTraceList('all'), ['mmio', 'irq', 'trap', 'sbi']);
    assert.deepEqual(parseTraceList('sbi,mmio'), ['mmio', 'sbi']);
    assert.deepEqual(parseTraceList('trap, trap'), ['trap']);
  });

  it('refuses unknown names and empty items, naming them', () => {
    const e = assert.throws<TraceListError>(() => parseTraceList('mmio,irqs'), TraceListError);
    assert.equal(e.item, 'irqs');
    assert.match(e.message, /unknown category 'irqs' \(expected mmio, irq, trap, sbi or all\)/);
    assert.throws(() => parseTraceList(''), TraceListError);
    assert.throws(() => parseTraceList('mmio,'), TraceListError);
  });
});
