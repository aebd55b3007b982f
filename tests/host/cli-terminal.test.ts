/**
 * The terminal serial backend, on fake streams: raw mode and Ctrl-A escapes
 * on a terminal, byte-for-byte passthrough otherwise, batched output with
 * back-pressure, and the Node clock and scheduler backends.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { TerminalSerial } from '../../host/node/terminal-serial.js';
import { createNodeClock } from '../../host/node/clock.js';
import { createNodeScheduler } from '../../host/node/scheduler.js';

class FakeInput extends EventEmitter {
  raw: boolean[] = [];
  resumed = false;
  constructor(readonly isTTY: boolean) {
    super();
  }
  setRawMode(mode: boolean): this {
    this.raw.push(mode);
    return this;
  }
  resume(): this {
    this.resumed = true;
    return this;
  }
  pause(): this {
    this.resumed = false;
    return this;
  }
}

class FakeOutput extends EventEmitter {
  chunks: number[][] = [];
  room = true;
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean {
    this.chunks.push([...chunk]);
    if (cb) setImmediate(() => cb(null));
    return this.room;
  }
  get text(): string {
    return String.fromCharCode(...this.chunks.flat());
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function open(tty: boolean) {
  const input = new FakeInput(tty);
  const output = new FakeOutput();
  let quits = 0;
  const writable: number[] = [];
  let readable = 0;
  const term = new TerminalSerial({ input, output, onQuit: () => quits++ });
  const port = term.factory({ onReadable: (n) => (readable = n), onWritable: (n) => writable.push(n) });
  const drain = (): number[] => {
    const out: number[] = [];
    for (let b = port.read(); b !== undefined; b = port.read()) out.push(b);
    return out;
  };
  return { input, output, term, port, drain, quits: () => quits, writable, readable: () => readable };
}

describe('TerminalSerial', () => {
  it('on a terminal: raw mode while open, restored on close', () => {
    const t = open(true);
    assert.equal(t.term.interactive, true);
    assert.deepEqual(t.input.raw, [true]);
    assert.ok(t.input.resumed);
    t.term.close();
    assert.deepEqual(t.input.raw, [true, false]);
    assert.ok(!t.input.resumed);
  });

  it('Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, other escapes are dropped, Ctrl-C passes', async () => {
    const t = open(true);
    t.input.emit('data', Buffer.from([0x61, 0x01, 0x01, 0x62, 0x01, 0x7a, 0x03, 0x63]));
    assert.deepEqual(t.drain(), [0x61, 0x01, 0x62, 0x03, 0x63]);
    assert.equal(t.quits(), 0);
    t.input.emit('data', Buffer.from([0x01]));
    t.input.emit('data', Buffer.from([0x78])); // the escape may straddle chunks
    assert.equal(t.quits(), 1);
    t.input.emit('data', Buffer.from([0x01, 0x68]));
    await tick();
    assert.match(t.output.text, /C-a x {4}exit xsvisor/);
    assert.deepEqual(t.drain(), [], 'help is not guest input');
    t.term.close();
  });

  it('off a terminal: every byte passes, Ctrl-A x included, and no raw mode', () => {
    const t = open(false);
    assert.deepEqual(t.input.raw, []);
    const all = Array.from({ length: 256 }, (_, i) => i);
    t.input.emit('data', Buffer.from(all));
    assert.equal(t.readable(), 256);
    assert.deepEqual(t.drain(), all);
    t.input.emit('end');
    assert.equal(t.port.read(), undefined, 'after the end: no more bytes, no error');
    assert.equal(t.quits(), 0);
  });

  it('keeps input the guest has not read yet (grows past its first buffer)', () => {
    const t = open(false);
    const many = Array.from({ length: 5000 }, (_, i) => i & 0xff);
    t.input.emit('data', Buffer.from(many.slice(0, 300)));
    assert.deepEqual([t.port.read(), t.port.read()], [0, 1]);
    t.input.emit('data', Buffer.from(many.slice(300)));
    assert.deepEqual(t.drain(), many.slice(2));
  });

  it('batches output into one write per turn, and reports its budget', async () => {
    const t = open(false);
    await tick();
    assert.deepEqual(t.writable, [64 * 1024], 'the initial budget, from the event loop');
    for (const c of 'hello\n') t.port.write(c.charCodeAt(0));
    assert.equal(t.output.chunks.length, 0, 'nothing written synchronously');
    await tick();
    assert.deepEqual(t.output.chunks, [[...Buffer.from('hello\n')]]);
    assert.equal(t.term.bytesWritten, 6);
  });

  it('under back-pressure reports no room until the output drains', async () => {
    const t = open(false);
    await tick();
    t.output.room = false;
    t.port.write(0x41);
    await tick();
    const before = t.writable.length;
    t.port.write(0x42);
    await tick();
    assert.equal(t.writable.length, before, 'no new budget while blocked');
    t.output.room = true;
    t.output.emit('drain');
    assert.equal(t.writable.length, before + 1);
    assert.equal(t.output.text, 'AB');
  });

  it('flush() writes what is pending and resolves once the stream took it', async () => {
    const t = open(false);
    t.port.write(0x5a);
    await t.term.flush();
    assert.equal(t.output.text, 'Z');
  });

  it('an output error is reported once and later output dropped', async () => {
    const input = new FakeInput(false);
    const output = new FakeOutput();
    const errors: string[] = [];
    const term = new TerminalSerial({ input, output, onOutputError: (e) => errors.push(e.message) });
    const port = term.factory({});
    output.emit('error', new Error('EPIPE'));
    output.emit('error', new Error('EPIPE'));
    port.write(0x41);
    await tick();
    assert.deepEqual(errors, ['EPIPE']);
    assert.equal(output.chunks.length, 0);
    await term.flush();
  });

  it('refuses a second open', () => {
    const t = open(false);
    assert.throws(() => t.term.factory({}), /already open/);
  });
});

describe('Node clock and scheduler', () => {
  it('the clock counts microseconds, monotonically', async () => {
    // Bracketed by Date.now (milliseconds, another clock): inner readings bound the interval from below, outer ones from above.
    const clock = createNodeClock();
    const outer0 = Date.now();
    const a = clock.now();
    const inner0 = Date.now();
    let last = a;
    // Until the reference has moved on by 20 ms: the clock never goes back meanwhile.
    while (Date.now() - inner0 < 20) {
      await tick();
      const now = clock.now();
      assert.ok(now >= last, 'monotonic');
      last = now;
    }
    const inner1 = Date.now();
    const b = clock.now();
    const outer1 = Date.now();
    // Date.now truncates to whole milliseconds: 1 ms of slack each way.
    assert.ok(b - a >= (inner1 - inner0 - 1) * 1000, `${b - a} us against at least ${inner1 - inner0} ms`);
    assert.ok(b - a <= (outer1 - outer0 + 1) * 1000, `${b - a} us against at most ${outer1 - outer0} ms`);
  });
  it('soon, after (microseconds) and cancel', async () => {
    const s = createNodeScheduler();
    const order: string[] = [];
    let last!: () => void;
    const lastRan = new Promise<void>((r) => (last = r));
    s.after(30_000, () => {
      order.push('after-30ms');
      last();
    });
    s.soon(() => order.push('soon'));
    s.after(200, () => order.push('after-200us'));
    const cancelled = s.after(10_000, () => order.push('cancelled'));
    s.cancel(cancelled);
    s.cancel(cancelled);
    s.cancel(null);
    // The 30 ms task is the last due: once it ran, the cancelled 10 ms one would have run before it.
    await lastRan;
    assert.deepEqual(order, ['soon', 'after-200us', 'after-30ms']);
  });
});
