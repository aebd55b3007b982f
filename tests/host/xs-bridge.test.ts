/**
 * The XS bridge's two ends (host/xs/bridge.ts in XS, host/xs/host.ts in
 * Node) joined in one process, as `issueCommand` joins them across xsnap:
 * set-up and files, the UART's bytes within the room each side reports,
 * input into the bridge's port or a caller's sink, the HTIF console, log
 * and trace text, the snapshot, the report, a stop delivered once, and a
 * restart acted on between slices only; more lanes (a configuration's
 * ports, GDB's connection), each with its own bytes and room, and the
 * controls, events, pin reports and GDB end that `--config`, `--gdb` and
 * `--view` carry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SerialPortCallbacks, SerialPortFactory } from '../../src/ports/index.js';
import { INPUT_CAPACITY, OUTPUT_CAPACITY, XsBridge, type BridgeInput } from '../../host/xs/bridge.js';
import { XsBridgeHost, type XsBridgeHostOptions } from '../../host/xs/host.js';
import { OP } from '../../host/xs/protocol.js';

/** Joins the two ends synchronously (every request here but W is answered at once). */
function joined(options: Partial<XsBridgeHostOptions>, input?: BridgeInput): { host: XsBridgeHost; bridge: XsBridge; logs: string[] } {
  const logs: string[] = [];
  const host = new XsBridgeHost({ setup: null, image: new Uint8Array(0), onLog: (t) => logs.push(t), ...options });
  const bridge = new XsBridge((request) => {
    const reply = host.serve(new Uint8Array(request));
    if (reply instanceof Promise) throw new Error('an asynchronous reply in a synchronous test');
    const bytes = typeof reply === 'string' ? new TextEncoder().encode(reply) : reply ?? new Uint8Array(0);
    return bytes.slice().buffer;
  }, input);
  return { host, bridge, logs };
}

/** A Node port: takes bytes within the budget it gives, and has `input` to read. */
function nodePort(budget: number): { factory: SerialPortFactory; got: number[]; input: number[]; callbacks: () => SerialPortCallbacks } {
  const got: number[] = [];
  const input: number[] = [];
  let cb: SerialPortCallbacks | null = null;
  return {
    got,
    input,
    callbacks: () => cb!,
    factory: (callbacks) => {
      cb = callbacks;
      callbacks.onWritable?.(budget);
      return {
        read: () => input.shift(),
        write: (b) => {
          assert.ok(got.length < budget, 'a byte past the budget the port gave');
          got.push(b);
        },
        close: () => {},
      };
    },
  };
}

describe('the XS bridge, both ends', () => {
  it('hands over the set-up, the image and the data files, and refuses one that is not there', () => {
    const { bridge } = joined({ setup: { board: 'x', n: 3 }, image: Uint8Array.of(1, 2, 3), data: [Uint8Array.of(7), Uint8Array.of(8, 9)] });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(bridge.send(OP.SETUP))), { board: 'x', n: 3 });
    assert.deepEqual([...bridge.send(OP.IMAGE)], [1, 2, 3]);
    assert.deepEqual([...bridge.send(OP.DATA, Uint8Array.of(1, 0, 0, 0))], [8, 9]);
    assert.throws(() => bridge.send(OP.DATA, Uint8Array.of(2, 0, 0, 0)), /data file 2 of 2/);
  });

  it("carries the UART's output within the Node port's budget, and its input within XS's room", () => {
    const node = nodePort(5);
    const { bridge } = joined({ port: node.factory });
    let room = -1;
    let readable = 0;
    const port = bridge.factory({ onWritable: (n) => { room = n; }, onReadable: (n) => { readable = n; } });
    bridge.sync(false);
    assert.equal(room, 5, 'the room XS reports is what Node can take');
    for (const b of [0x61, 0x62, 0x63, 0x64, 0x65]) port.write(b);
    node.input.push(0x31, 0x32, 0x33);
    bridge.sync();
    assert.deepEqual(node.got, [0x61, 0x62, 0x63, 0x64, 0x65]);
    assert.equal(room, 0, 'the budget is spent until Node gives more');
    assert.equal(readable, 3);
    assert.deepEqual([port.read(), port.read(), port.read(), port.read()], [0x31, 0x32, 0x33, undefined]);
  });

  it('asks for no input before the first slice, and never more than the room XS has', () => {
    const node = nodePort(OUTPUT_CAPACITY);
    const { bridge } = joined({ port: node.factory });
    const port = bridge.factory({});
    for (let i = 0; i < INPUT_CAPACITY + 10; i++) node.input.push(i & 0xff);
    bridge.sync(false);
    assert.equal(port.read(), undefined, 'no input asked for yet');
    bridge.sync();
    let n = 0;
    while (port.read() !== undefined) n++;
    assert.equal(n, INPUT_CAPACITY);
    assert.equal(node.input.length, 10, 'the rest waits in Node');
  });

  it('puts input into a sink of the caller\'s, within the room it reports, and sends its bytes as they come', () => {
    const node = nodePort(100);
    const pushed: number[] = [];
    const { bridge } = joined({ port: node.factory }, { room: () => 2, push: (bytes) => pushed.push(...bytes) });
    node.input.push(1, 2, 3);
    bridge.transmit(Uint8Array.of(0x68, 0x69));
    assert.deepEqual(node.got, [0x68, 0x69]);
    assert.deepEqual(pushed, [1, 2]);
    bridge.sync();
    assert.deepEqual(pushed, [1, 2, 3]);
  });

  it('passes HTIF console bytes, log text and the report', () => {
    const console: number[] = [];
    const { host, bridge, logs } = joined({ onConsole: (b) => console.push(b) });
    for (const b of [0x6f, 0x6b]) bridge.consoleByte(b);
    bridge.sync();
    bridge.log('warning: é');
    bridge.send(OP.EXIT, new TextEncoder().encode('{"kind":"exit","status":3}'));
    assert.deepEqual(console, [0x6f, 0x6b]);
    assert.deepEqual(logs, ['warning: é']);
    assert.deepEqual(host.report, { kind: 'exit', status: 3 });
  });

  it('delivers a stop once, with its reason, and answers a wait at once after it', async () => {
    const { host, bridge } = joined({});
    const reasons: string[] = [];
    bridge.onStop = (r) => reasons.push(r);
    bridge.sync();
    assert.equal(bridge.stopReason, null);
    host.stop('timeout');
    host.stop('quit');
    bridge.sync();
    bridge.sync();
    assert.deepEqual(reasons, ['timeout']);
    assert.equal(bridge.stopReason, 'timeout');
    // A wait after a stop is answered without waiting (no timer keeps this test alive for an hour).
    const w = new Uint8Array(9);
    w[0] = OP.WAIT;
    w.set([0x80, 0xee, 0x36, 0x00], 5);
    const reply = await host.serve(w);
    assert.ok(reply instanceof Uint8Array && reply[0] === 1);
  });

  it('carries a restart once, acted on at a sync (between slices), not at a console exchange mid-slice', () => {
    const { host, bridge } = joined({});
    let restarts = 0;
    bridge.onRestart = () => restarts++;
    host.restart();
    // A full console buffer forces an exchange from inside the guest's slice: the flag is taken, not acted on.
    for (let i = 0; i <= 256; i++) bridge.consoleByte(0x2e);
    assert.equal(restarts, 0);
    bridge.sync();
    assert.equal(restarts, 1);
    bridge.sync();
    assert.equal(restarts, 1, 'once');
  });

  it('hands over trace text and the snapshot taken', () => {
    const traced: string[] = [];
    const { host, bridge } = joined({ onTrace: (t) => traced.push(t) });
    bridge.send(OP.TRACE, new TextEncoder().encode('[         1] trap a\n[         2] trap b\n'));
    bridge.send(OP.SNAPSHOT, Uint8Array.of(0x58, 0x53, 0x56));
    assert.deepEqual(traced, ['[         1] trap a\n[         2] trap b\n']);
    assert.deepEqual([...host.snapshot!], [0x58, 0x53, 0x56]);
  });
});

describe('the XS bridge: lanes, controls and events', () => {
  const text = (bytes: number[]): string => String.fromCharCode(...bytes);

  it('keeps each lane\'s bytes, room and input apart, HTIF console bytes included', () => {
    const p0 = nodePort(100);
    const p1 = nodePort(100);
    const p2 = nodePort(3);
    const console1: number[] = [];
    const { bridge } = joined({ port: p0.factory, lanes: [{ port: p1.factory, onConsole: (b) => console1.push(b) }, { port: p2.factory }] });
    const got: number[][] = [[], [], []];
    const ports = [0, 1, 2].map((i) => (i === 0 ? bridge.factory : bridge.lane(i))({
      onReadable: () => {
        for (let b = ports[i]?.read(); b !== undefined; b = ports[i]?.read()) got[i].push(b);
      },
    }));
    p2.input.push(0x7a);
    for (const b of [0x61, 0x62]) ports[1].write(b);
    for (const b of [0x63, 0x64, 0x65, 0x66]) ports[2].write(b);
    bridge.consoleByte(0x21, 1);
    bridge.sync();
    assert.equal(text(p1.got), 'ab');
    assert.deepEqual(console1, [0x21]);
    // Lane 2's port gave room for 3 bytes: the fourth waits in Node until it gives more.
    assert.equal(text(p2.got), 'cde');
    assert.deepEqual(p0.got, []);
    assert.deepEqual(got, [[], [], [0x7a]], 'input reaches its own lane only');
    assert.throws(() => bridge.lane(16), RangeError);
  });

  it('carries controls in order, acted on at a sync (not at a console exchange mid-slice), with the input of the same reply', () => {
    const p0 = nodePort(100);
    const { host, bridge } = joined({ port: p0.factory });
    const controls: string[] = [];
    bridge.onControl = (c) => controls.push(JSON.stringify(c));
    const got: number[] = [];
    const port = bridge.factory({ onReadable: () => {
      for (let b = port.read(); b !== undefined; b = port.read()) got.push(b);
    } });
    host.control({ kind: 'focus', index: 1 });
    host.control({ kind: 'release', vm: 'b' });
    p0.input.push(0x78);
    for (let i = 0; i <= 256; i++) bridge.consoleByte(0x2e);
    assert.deepEqual(controls, []);
    bridge.sync();
    assert.deepEqual(controls, ['{"kind":"focus","index":1}', '{"kind":"release","vm":"b"}']);
    assert.deepEqual(got, [0x78]);
    bridge.sync();
    assert.equal(controls.length, 2, 'once');
  });

  it('hands over monitor events, changed pins and the end of a GDB connection; a GDB reply longer than a buffer goes whole', () => {
    const events: unknown[] = [];
    const pins: unknown[] = [];
    let ends = 0;
    const gdb = nodePort(OUTPUT_CAPACITY * 4);
    const { bridge } = joined({ lanes: [{ port: gdb.factory }], onEvent: (e) => events.push(e), onPins: (p) => pins.push(p), onGdbEnd: () => ends++ });
    bridge.lane(1);
    const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
    bridge.send(OP.EVENT, enc({ kind: 'ended', vm: 'a', exit: { kind: 'exit', status: 0 } }));
    bridge.send(OP.PINS, enc([{ name: 'led', lit: true }]));
    const reply = new Uint8Array(OUTPUT_CAPACITY + 10).map((_, i) => 0x30 + (i % 10));
    bridge.transmitOn(1, reply);
    bridge.sync();
    bridge.send(OP.GDB_END);
    assert.deepEqual(events, [{ kind: 'ended', vm: 'a', exit: { kind: 'exit', status: 0 } }]);
    assert.deepEqual(pins, [[{ name: 'led', lit: true }]]);
    assert.deepEqual(gdb.got, [...reply]);
    assert.equal(ends, 1);
  });
});
