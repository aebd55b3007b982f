/**
 * The GDB remote stub's core (src/debug/) and its TCP server (host/gdb/):
 * packet framing, checksums and escapes against values worked out from
 * the GDB manual (appendix E), the commands against a stand-in target,
 * fast-check runs feeding arbitrary and malformed packets (nothing may
 * throw; malformed ones get `E` or empty replies), a real VM under the
 * debugger (breakpoints, steps, watchpoints, exits), and the server over
 * a socket (halt on attach, Ctrl-C, kill, detach).
 *
 * gdb-multiarch itself, as the independent reference, is in
 * gdb-multiarch.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  BreakType,
  checksum,
  encodePacket,
  escapeBinary,
  GdbStub,
  PACKET_SIZE,
  regFromHex,
  regToHex,
  RspDecoder,
  stopReply,
  TARGET_XML,
  unescapeBinary,
  VmDebugger,
  type DebugTarget,
  type RspEvent,
  type StopEvent,
} from '../../src/debug/index.js';
import { parseElf } from '../../src/loader/index.js';
import { runVm, VirtVm, type VmExit } from '../../src/monitor/index.js';
import { startGdbServer } from '../../host/gdb/index.js';
import { createNodeClock } from '../../host/node/clock.js';
import { createNodeScheduler } from '../../host/node/scheduler.js';
import { waitFor } from './serial-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const GDBDEMO = join(root, 'guests', 'bin', 'gdbdemo.elf');
const ECHO = join(root, 'guests', 'bin', 'echo.elf');

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array): string => String.fromCharCode(...b);

function decodeAll(input: string, maxPayload?: number): RspEvent[] {
  const events: RspEvent[] = [];
  const d = new RspDecoder({ onEvent: (e) => events.push(e), maxPayload });
  d.push(bytes(input));
  return events;
}

describe('RSP framing', () => {
  it('frames payloads with the modulo-256 checksum in two hex digits', () => {
    // GDB manual E.1: the checksum of "OK" is 0x4f + 0x4b = 0x9a.
    assert.equal(text(encodePacket('OK')), '$OK#9a');
    assert.equal(text(encodePacket('')), '$#00');
    assert.equal(text(encodePacket('g')), '$g#67');
    assert.equal(checksum('\xff\xff'), 0xfe);
  });

  it('decodes packets, acks, naks and Ctrl-C, and skips noise between packets', () => {
    assert.deepEqual(decodeAll('+$g#67-\x03junk$m0,4#fd'), [
      { kind: 'ack' },
      { kind: 'packet', payload: 'g' },
      { kind: 'nak' },
      { kind: 'interrupt' },
      { kind: 'packet', payload: 'm0,4' },
    ]);
  });

  it('accepts upper-case checksum digits, reports wrong or non-hex ones', () => {
    assert.deepEqual(decodeAll('$OK#9A'), [{ kind: 'packet', payload: 'OK' }]);
    assert.deepEqual(decodeAll('$OK#9b'), [{ kind: 'bad-checksum' }]);
    assert.deepEqual(decodeAll('$OK#zz'), [{ kind: 'bad-checksum' }]);
  });

  it('survives packets split anywhere, and a packet restarted by $', () => {
    const events: RspEvent[] = [];
    const d = new RspDecoder({ onEvent: (e) => events.push(e) });
    for (const ch of '$qC#b4') d.push(bytes(ch));
    d.push(bytes('$trunc$g#67'));
    assert.deepEqual(events, [{ kind: 'packet', payload: 'qC' }, { kind: 'packet', payload: 'g' }]);
  });

  it('bounds its buffer: a packet longer than the limit is an overflow', () => {
    const long = 'm'.repeat(20);
    assert.deepEqual(decodeAll(`$${long}#${(checksum(long)).toString(16).padStart(2, '0')}`, 8), [{ kind: 'overflow' }]);
  });

  it('escapes # $ } * in binary data and undoes it', () => {
    assert.equal(escapeBinary('a#b$c}d*'), 'a}\x03b}\x04c}]d}\x0a');
    assert.equal(text(unescapeBinary('a}\x03b}\x04c}]d}\x0a')!), 'a#b$c}d*');
    assert.equal(unescapeBinary('ab}'), null);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      assert.deepEqual(unescapeBinary(escapeBinary(text(b))), b);
    }));
  });

  it('carries registers as 8 hex digits in little-endian byte order', () => {
    assert.equal(regToHex(0x12345678), '78563412');
    assert.equal(regToHex(-1), 'ffffffff');
    assert.equal(regFromHex('78563412'), 0x12345678);
    assert.equal(regFromHex('7856341'), null);
    assert.equal(regFromHex('7856341g'), null);
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (v) => regFromHex(regToHex(v)) === v));
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const d = new RspDecoder({ onEvent: () => {}, maxPayload: 64 });
      d.push(b);
    }));
  });
});

/** A stand-in target: 33 registers and 256 bytes of memory at 0x1000. */
class FakeTarget implements DebugTarget {
  regs = new Uint32Array(33).map((_, i) => i * 0x01010101);
  mem = new Uint8Array(256).map((_, i) => i);
  breaks: string[] = [];
  readRegister(n: number): number | null {
    return n < 33 ? this.regs[n] : null;
  }
  writeRegister(n: number, v: number): boolean {
    if (n >= 33) return false;
    this.regs[n] = v;
    return true;
  }
  readMemory(a: number, n: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < n && a + i >= 0x1000 && a + i < 0x1100; i++) out.push(this.mem[a + i - 0x1000]);
    return new Uint8Array(out);
  }
  writeMemory(a: number, b: Uint8Array): boolean {
    if (a < 0x1000 || a + b.length > 0x1100) return false;
    this.mem.set(b, a - 0x1000);
    return true;
  }
  insertBreakpoint(t: BreakType, a: number, l: number): boolean {
    this.breaks.push(`+${t},${a.toString(16)},${l}`);
    return true;
  }
  removeBreakpoint(t: BreakType, a: number, l: number): boolean {
    this.breaks.push(`-${t},${a.toString(16)},${l}`);
    return true;
  }
}

function stub(stop: StopEvent = { kind: 'interrupt' }): { s: GdbStub; t: FakeTarget } {
  const t = new FakeTarget();
  return { s: new GdbStub({ target: t, lastStop: () => stop }), t };
}

function reply(s: GdbStub, p: string): string {
  const a = s.handle(p);
  assert.equal(a.kind, 'reply', `${p} gives a reply`);
  return (a as { payload: string }).payload;
}

describe('stub commands', () => {
  it('answers ? with the stop reply', () => {
    assert.equal(reply(stub({ kind: 'breakpoint' }).s, '?'), 'T05swbreak:;thread:1;');
    assert.equal(stopReply({ kind: 'watch', type: 'awatch', address: 0x80001018 }), 'T05awatch:80001018;thread:1;');
    assert.equal(stopReply({ kind: 'exited', status: 3 }), 'W03');
    assert.equal(stopReply({ kind: 'exited', status: 0x1ff }), 'Wff');
  });

  it('reads and writes registers: g, G, p, P (pc is register 0x20)', () => {
    const { s, t } = stub();
    const g = reply(s, 'g');
    assert.equal(g.length, 33 * 8);
    assert.equal(g.slice(8, 16), '01010101');
    assert.equal(reply(s, 'p20'), regToHex(32 * 0x01010101));
    assert.equal(reply(s, 'P20=00100080'), 'OK');
    assert.equal(t.regs[32], 0x80001000);
    assert.equal(reply(s, 'p21'), 'E02');
    assert.equal(reply(s, 'G' + '11223344'.repeat(33)), 'OK');
    assert.equal(t.regs[5], 0x44332211);
    assert.equal(reply(s, 'G123'), 'E01');
    assert.equal(reply(s, 'Pzz=0'), 'E01');
  });

  it('reads memory, shortened at the first unreadable byte, E14 when none is', () => {
    const { s } = stub();
    assert.equal(reply(s, 'm1000,4'), '00010203');
    assert.equal(reply(s, 'm10fe,4'), 'feff');
    assert.equal(reply(s, 'm0,4'), 'E14');
    assert.equal(reply(s, 'mffffffff,10'), 'E14');
    assert.equal(reply(s, 'm100000000,4'), 'E01'); // past 2^32
    assert.equal(reply(s, 'm1000'), 'E01');
    assert.equal(reply(s, 'm1000,0'), '');
  });

  it('caps a huge read at the packet size', () => {
    const { s } = stub();
    assert.ok(reply(s, 'm1000,ffffffff').length <= PACKET_SIZE);
  });

  it('writes memory with M (hex) and X (binary, escaped)', () => {
    const { s, t } = stub();
    assert.equal(reply(s, 'M1010,2:abcd'), 'OK');
    assert.deepEqual([...t.mem.slice(0x10, 0x12)], [0xab, 0xcd]);
    assert.equal(reply(s, 'X1020,3:' + escapeBinary('#}*')), 'OK');
    assert.deepEqual([...t.mem.slice(0x20, 0x23)], [0x23, 0x7d, 0x2a]);
    assert.equal(reply(s, 'X1020,0:'), 'OK');
    assert.equal(reply(s, 'M1010,2:abc'), 'E01');
    assert.equal(reply(s, 'M0,1:00'), 'E14');
    assert.equal(reply(s, 'Mffffffff,2:0000'), 'E14');
  });

  it('sets and clears breakpoints and watchpoints; conditions are refused', () => {
    const { s, t } = stub();
    assert.equal(reply(s, 'Z0,80000000,2'), 'OK');
    assert.equal(reply(s, 'Z2,80001018,4'), 'OK');
    assert.equal(reply(s, 'z0,80000000,2'), 'OK');
    assert.deepEqual(t.breaks, ['+0,80000000,2', '+2,80001018,4', '-0,80000000,2']);
    assert.equal(reply(s, 'Z5,0,4'), '');
    assert.equal(reply(s, 'Z0,80000000,2;X2,0'), 'E01');
  });

  it('resumes and steps, with or without an address', () => {
    const { s } = stub();
    assert.deepEqual(s.handle('c'), { kind: 'resume', step: false, address: null });
    assert.deepEqual(s.handle('s80000010'), { kind: 'resume', step: true, address: 0x80000010 });
    assert.equal(reply(s, 'c80000011'), 'E01');
    assert.deepEqual(s.handle('k'), { kind: 'kill', reply: null });
    assert.deepEqual(s.handle('vKill;1'), { kind: 'kill', reply: 'OK' });
    assert.deepEqual(s.handle('D'), { kind: 'detach' });
    assert.deepEqual(s.handle('QStartNoAckMode'), { kind: 'no-ack' });
  });

  it('answers the queries GDB sends on attach', () => {
    const { s } = stub();
    const sup = reply(s, 'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+');
    for (const f of ['PacketSize=4000', 'qXfer:features:read+', 'swbreak+', 'hwbreak+', 'QStartNoAckMode+']) assert.ok(sup.split(';').includes(f), f);
    assert.equal(reply(s, 'qAttached'), '1');
    assert.equal(reply(s, 'qC'), 'QC1');
    assert.equal(reply(s, 'qfThreadInfo'), 'm1');
    assert.equal(reply(s, 'qsThreadInfo'), 'l');
    assert.equal(reply(s, 'Hg0'), 'OK');
    assert.equal(reply(s, 'Hc-1'), 'OK');
    assert.equal(reply(s, 'vCont?'), '');
    assert.equal(reply(s, 'vMustReplyEmpty'), '');
    assert.equal(reply(s, '!'), '');
    assert.equal(reply(s, 'qTStatus'), '');
  });

  it('serves target.xml in chunks that reassemble to the description', () => {
    const { s } = stub();
    let xml = '';
    for (let off = 0; ; ) {
      const r = reply(s, `qXfer:features:read:target.xml:${off.toString(16)},100`);
      assert.match(r, /^[ml]/);
      const chunk = text(unescapeBinary(r.slice(1))!);
      xml += chunk;
      off += chunk.length;
      if (r[0] === 'l') break;
    }
    assert.equal(xml, TARGET_XML);
    assert.match(xml, /<feature name="org.gnu.gdb.riscv.cpu">/);
    assert.match(xml, /<reg name="pc" bitsize="32" type="code_ptr" regnum="32"\/>/);
    assert.equal(reply(s, 'qXfer:features:read:other.xml:0,100'), 'E00');
    assert.equal(reply(s, 'qXfer:features:read:target.xml:zz,100'), 'E01');
  });

  it('never throws on arbitrary packets; malformed ones get E or empty replies (fast-check)', () => {
    const { s } = stub();
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (p) => {
      const a = s.handle(p);
      assert.ok(['reply', 'resume', 'kill', 'detach', 'no-ack'].includes(a.kind));
    }), { numRuns: 2000 });
    // Each command with garbage arguments (not hex, huge, truncated, past 2^32).
    const garbage = fc.oneof(
      fc.string({ unit: fc.constantFrom('g', 'z', ',', ':', '=', ';', '-', ' '), minLength: 1, maxLength: 12 }),
      fc.bigInt({ min: 2n ** 32n, max: 2n ** 80n }).map((n) => `${n.toString(16)},4`),
      fc.constant(''),
    );
    fc.assert(fc.property(fc.constantFrom('m', 'M', 'X', 'p', 'P', 'Z', 'z', 'G'), garbage, (cmd, arg) => {
      const r = reply(s, cmd + arg);
      assert.match(r, /^(|E[0-9A-F]{2})$/i, `${cmd}${arg} -> ${r}`);
    }), { numRuns: 2000 });
  });
});

// ---------------------------------------------------------------- a real VM

function demoVm(): { vm: VirtVm; main: number; counter: number } {
  const image = new Uint8Array(readFileSync(GDBDEMO));
  const elf = parseElf(image, 'gdbdemo.elf');
  const vm = new VirtVm({ image, imageName: 'gdbdemo.elf', ramSize: 16 * 1024 * 1024, clock: createNodeClock() });
  return { vm, main: elf.symbol('main')!, counter: elf.symbol('counter')! };
}

describe('a VM under the debugger', () => {
  it('halts before the first instruction, steps, stops at a breakpoint without patching memory, and reports the exit', async () => {
    const { vm, main } = demoVm();
    const events: StopEvent[] = [];
    let next: (() => void) | null = null;
    const dbg = new VmDebugger({ vm, halted: true, onStop: (e) => { events.push(e); next?.(); } });
    const entry = vm.hart.pc;
    const before = dbg.readMemory(main, 4);
    const done = runVm({ vm, scheduler: createNodeScheduler() });
    const stopped = (): Promise<void> => new Promise((resolve) => { next = resolve; });

    let s = stopped();
    dbg.resume(true);
    await s;
    assert.deepEqual(events.at(-1), { kind: 'step' });
    assert.notEqual(vm.hart.pc, entry);

    assert.ok(dbg.insertBreakpoint(BreakType.Software, main, 2));
    s = stopped();
    dbg.resume(false);
    await s;
    assert.deepEqual(events.at(-1), { kind: 'breakpoint' });
    assert.equal(vm.hart.pc, main);
    assert.deepEqual(dbg.readMemory(main, 4), before, 'no EBREAK written into the guest');

    // Continuing from the breakpoint does not stop on it again; the guest runs to its exit.
    s = stopped();
    dbg.resume(false);
    const exit: VmExit = await done;
    await s;
    assert.deepEqual(exit, { kind: 'exit', status: 3, source: 'finisher' });
    assert.deepEqual(events.at(-1), { kind: 'exited', status: 3 });
    dbg.close();
    vm.close();
  });

  it('stops before a store to a watched word, pc at the store, the old value still in memory', async () => {
    const { vm, counter } = demoVm();
    let next: ((e: StopEvent) => void) | null = null;
    const dbg = new VmDebugger({ vm, halted: true, onStop: (e) => next?.(e) });
    const done = runVm({ vm, scheduler: createNodeScheduler() });
    const stopped = (): Promise<StopEvent> => new Promise((resolve) => { next = resolve; });
    const word = (): number => new DataView(dbg.readMemory(counter, 4).buffer).getUint32(0, true);

    assert.ok(dbg.insertBreakpoint(BreakType.Write, counter, 4));
    let s = stopped();
    dbg.resume(false);
    assert.deepEqual(await s, { kind: 'watch', type: 'watch', address: counter });
    assert.equal(word(), 0, 'stopped before the access');
    // The instruction at pc is a store (opcode 0100011, or C.SW/C.SWSP).
    const insn = dbg.readMemory(vm.hart.pc, 2);
    assert.ok((insn[0] & 0x7f) === 0x23 || (insn[0] & 3) !== 3);

    // Stepping performs the store (no second stop on it); the next continue stops at the next store.
    s = stopped();
    dbg.resume(true);
    assert.deepEqual(await s, { kind: 'step' });
    assert.equal(word(), 1);
    s = stopped();
    dbg.resume(false);
    assert.equal((await s).kind, 'watch');
    assert.equal(word(), 1);

    // A read watchpoint does not fire on stores; removing the write one lets the guest end.
    assert.ok(dbg.removeBreakpoint(BreakType.Write, counter, 4));
    assert.ok(dbg.insertBreakpoint(BreakType.Read, counter, 4));
    s = stopped();
    dbg.resume(false);
    assert.deepEqual(await s, { kind: 'exited', status: 3 });
    await done;
    dbg.close();
    vm.close();
  });

  it('reads memory through the hart\'s Sv32 translation when paging is on', () => {
    // guests/paging maps VA 0x40000000 to its `page` array (physical, in the image) while in S-mode.
    const image = new Uint8Array(readFileSync(join(root, 'guests', 'bin', 'paging.elf')));
    const pageSym = parseElf(image, 'paging.elf').symbol('page')!;
    const vm = new VirtVm({ image, ramSize: 16 * 1024 * 1024, clock: createNodeClock() });
    const dbg = new VmDebugger({ vm, halted: true, onStop: () => {} });
    const VA = 0x4000_0000;
    let steps = 0;
    while (vm.hart.translateAddress(VA as never, 'load') !== pageSym && steps < 2_000_000 && vm.exit === null) {
      dbg.resume(true);
      vm.run(1);
      steps++;
    }
    assert.equal(vm.hart.translateAddress(VA as never, 'load'), pageSym, `mapped after ${steps} steps`);
    assert.equal(vm.hart.priv, 1, 'in S-mode');
    const viaVa = dbg.readMemory(VA, 16);
    assert.equal(viaVa.length, 16);
    assert.deepEqual(viaVa, dbg.readMemory(pageSym, 16), 'the same bytes as at the physical address (identity-mapped image)');
    assert.equal(vm.space.regionAt(VA as never), null, 'nothing at that physical address: the bytes came through the page table');
    assert.ok(dbg.writeMemory(VA, new Uint8Array([0xa5])));
    assert.equal(vm.space.read(pageSym as never, 1), 0xa5);
    assert.equal(dbg.readMemory(0x4100_0000, 4).length, 0, 'an unmapped page reads as nothing');
    dbg.close();
    vm.close();
  });

  it('refuses unmapped and device memory and registers it does not have, without throwing', () => {
    const { vm } = demoVm();
    const dbg = new VmDebugger({ vm, halted: true, onStop: () => {} });
    assert.equal(dbg.readMemory(0x4000_0000, 4).length, 0);
    assert.equal(dbg.readMemory(0x1000_0000, 1).length, 0, 'UART registers are not read');
    assert.equal(dbg.readMemory(2 ** 32 - 2, 4).length, 0);
    assert.equal(dbg.writeMemory(0x4000_0000, new Uint8Array(1)), false);
    assert.equal(dbg.readRegister(65 + 0x7ff), null);
    assert.equal(dbg.readRegister(65 + 0x301)! >>> 30, 1, 'misa says RV32');
    assert.equal(dbg.readRegister(65 + 4096), 3, 'priv: M-mode');
    assert.equal(dbg.writeRegister(0, 5), true);
    assert.equal(dbg.readRegister(0), 0);
    assert.equal(dbg.writeRegister(32, 0x80000010), true);
    assert.equal(dbg.readRegister(32), 0x80000010);
    assert.equal(dbg.writeRegister(65 + 0x341, 0x80000004), true, 'mepc');
    assert.equal(vm.hart.readCsr(0x341), 0x80000004);
    assert.equal(dbg.writeRegister(65 + 4096, 2), false, 'mode 2 is reserved');
    assert.equal(dbg.writeRegister(65 + 0xf14, 1), false, 'mhartid is read-only');
    dbg.close();
    vm.close();
  });
});

// ---------------------------------------------------------------- the server over TCP

/** A minimal RSP client: sends packets, collects reply payloads (acks dropped). */
class Client {
  readonly socket: Socket;
  private readonly replies: string[] = [];
  private waiter: (() => void) | null = null;
  constructor(socket: Socket) {
    this.socket = socket;
    const d = new RspDecoder({
      onEvent: (e) => {
        if (e.kind !== 'packet') return;
        socket.write('+');
        this.replies.push(e.payload);
        this.waiter?.();
      },
    });
    socket.on('data', (b: Buffer) => d.push(new Uint8Array(b)));
  }
  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  async next(): Promise<string> {
    while (this.replies.length === 0) await new Promise<void>((r) => { this.waiter = r; });
    return this.replies.shift()!;
  }
  send(p: string): void {
    this.socket.write(encodePacket(p));
  }
  async ask(p: string): Promise<string> {
    this.send(p);
    return this.next();
  }
}

describe('the TCP server', () => {
  it('halts a running guest on attach, is interrupted by Ctrl-C, detaches and is killed', async () => {
    // echo.elf waits in WFI for UART input: a guest that never ends by itself.
    const image = new Uint8Array(readFileSync(ECHO));
    const vm = new VirtVm({ image, ramSize: 16 * 1024 * 1024, clock: createNodeClock() });
    const log: string[] = [];
    let killed = false;
    const server = await startGdbServer({ vm, port: 0, log: (t) => log.push(t), onKill: () => { killed = true; vm.stop('gdb-kill'); } });
    assert.equal(server.address, `127.0.0.1:${server.port}`);
    const done = runVm({ vm, scheduler: createNodeScheduler() });
    // Attach to a guest that has run (and gone to sleep in WFI, waiting for input).
    await waitFor(() => vm.instret > 0, 'the guest to run');

    let c = await Client.open(server.port);
    assert.equal(await c.ask('?'), 'T02thread:1;');
    assert.ok(server.debugger.isHalted);
    assert.equal(await c.ask('qAttached'), '1');
    assert.match(await c.ask('p20'), /^[0-9a-f]{8}$/);
    // A second debugger is turned away.
    const second = connect({ port: server.port, host: '127.0.0.1' });
    await new Promise((r) => second.on('close', r));
    // No-ack mode, then continue and interrupt.
    assert.equal(await c.ask('QStartNoAckMode'), 'OK');
    c.send('c');
    await waitFor(() => !server.debugger.isHalted, 'the guest to run on');
    c.socket.write('\x03');
    assert.equal(await c.next(), 'T02thread:1;');
    // A bad checksum in no-ack mode is dropped; the next packet is answered.
    c.socket.write('$g#00');
    assert.equal(await c.ask('qC'), 'QC1');
    assert.equal(await c.ask('D'), 'OK');
    await new Promise((r) => c.socket.on('close', r));
    assert.ok(!server.debugger.isHalted, 'detach lets the guest run');

    c = await Client.open(server.port);
    assert.equal(await c.ask('?'), 'T02thread:1;');
    c.send('k');
    const exit = await done;
    assert.ok(killed);
    assert.deepEqual(exit, { kind: 'stopped', reason: 'gdb-kill' });
    await server.close();
    vm.close();
    assert.ok(log.some((l) => l.startsWith('gdb connected from 127.0.0.1')));
  });

  it('answers a bad checksum with - and resends on -', async () => {
    const { vm } = demoVm();
    const server = await startGdbServer({ vm, port: 0, wait: true, log: () => {}, onKill: () => {} });
    const s = connect({ port: server.port, host: '127.0.0.1' });
    let got = '';
    s.on('data', (b: Buffer) => { got += b.toString('latin1'); });
    await new Promise((r) => s.on('connect', r));
    // Each answer is waited for by its length, then compared whole: anything more would show in the next comparison.
    s.write('$qC#00');
    await waitFor(() => got.length >= 1, 'the nak');
    assert.equal(got, '-');
    s.write('$qC#b4');
    await waitFor(() => got.length >= '-+$QC1#c5'.length, 'the ack and the answer');
    assert.equal(got, '-+$QC1#c5');
    s.write('-');
    await waitFor(() => got.length >= '-+$QC1#c5$QC1#c5'.length, 'the answer again');
    assert.equal(got, '-+$QC1#c5$QC1#c5');
    // A last packet: its answer comes after anything the resend might have added.
    s.write('$qC#b4');
    await waitFor(() => got.length >= '-+$QC1#c5$QC1#c5+$QC1#c5'.length, 'the last answer');
    assert.equal(got, '-+$QC1#c5$QC1#c5+$QC1#c5');
    s.destroy();
    await server.close();
    vm.close();
  });
});

describe('the --gdb options', () => {
  it('parse, with 127.0.0.1 as the default address', async () => {
    const { parseArgs } = await import('../../host/cli/args.js');
    const run = (...a: string[]): unknown => {
      const c = parseArgs(['run', ...a]);
      assert.equal(c.kind, 'run');
      return (c as { options: { gdb: unknown } }).options.gdb;
    };
    assert.equal(run('x.elf'), null);
    assert.deepEqual(run('--gdb', '1234', 'x.elf'), { port: 1234, host: '127.0.0.1', wait: false, vm: null });
    assert.deepEqual(run('--gdb=0', '--wait', '--gdb-host', '0.0.0.0', 'x.elf'), { port: 0, host: '0.0.0.0', wait: true, vm: null });
    assert.deepEqual(run('--gdb', '1', '--gdb-vm', 'b', '--config', 'c.json'), { port: 1, host: '127.0.0.1', wait: false, vm: 'b' });
    // The stub runs in the XS worker too (gdb-multiarch.test.ts).
    assert.deepEqual(run('--gdb', '1', '--engine', 'xs', 'x.elf'), { port: 1, host: '127.0.0.1', wait: false, vm: null });
  });

  it('refuse bad ports, the others without --gdb, and --gdb-vm without --config', async () => {
    const { parseArgs, UsageError } = await import('../../host/cli/args.js');
    const bad = (re: RegExp, ...a: string[]): void => {
      assert.throws(() => parseArgs(['run', ...a]), (e: unknown) => e instanceof UsageError && re.test(e.message));
    };
    bad(/--gdb: '65536' is not a TCP port/, '--gdb', '65536', 'x.elf');
    bad(/--gdb: 'x' is not a TCP port/, '--gdb', 'x', 'x.elf');
    bad(/--wait needs --gdb PORT/, '--wait', 'x.elf');
    bad(/--gdb-host needs --gdb PORT/, '--gdb-host', '::1', 'x.elf');
    bad(/--gdb-vm picks a VM of --config/, '--gdb', '1', '--gdb-vm', 'a', 'x.elf');
  });
});
