/**
 * The Moddable app (src/moddable/main.ts, unchanged) under Node, on the
 * board files of the real boards, with the host stand-ins of Moddable's
 * modules (host/moddable/): boot, UART output and input, sleeping on WFI,
 * GPIO lines, the exit, and the refusals a user would meet on a board.
 * Also the pieces on their own: the image plan and the ECMA-419 glue.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBoard } from '../../src/board/index.js';
import { DigitalEdge, DigitalMode } from '../../src/ports/index.js';
import { digitalPinFactory, serialPortFactory, sharedConsole, timerScheduler, type SerialGlueStats } from '../../src/moddable/glue.js';
import { minimumRam, planGuestImage } from '../../src/moddable/image.js';
import { decodeUtf8 } from '../../src/moddable/resources.js';
import { ModdableAppError } from '../../src/moddable/errors.js';
import Digital, { hostWire, resetHostWires } from '../../host/moddable/digital.js';
import Serial, { attachSerialLine, detachSerialLines, HostSerialLine } from '../../host/moddable/serial.js';
import { later } from '../../host/moddable/loop.js';
import Timer, { timerStats } from '../../host/moddable/timer.js';
import { ROOT, runMainOnNode } from '../../host/moddable/node.js';
import type { MainExit, MainResult } from 'xsvisor:moddable-main';
import { echoGuest, echoTranscript } from './moddable-fixtures.js';

const HELLO_OUTPUT = [
  'Hello from xsvisor guest!',
  'hart 0',
  'device tree magic ok',
  'fib(20) = 6765',
  'signed -42, hex 0x00c0ffee, char x, string ok',
  'bye',
  '',
].join('\n');

/** A board file from boards/ with the monitor's messages kept off the guest's console (so the console shows only the guest). */
const boardDoc = (name: string, messages = false): Record<string, unknown> => {
  const doc = JSON.parse(readFileSync(join(ROOT, 'boards', `${name}.json`), 'utf8')) as Record<string, Record<string, unknown>>;
  return { ...doc, uart0: { ...doc['uart0'], messages } };
};

/** The exit of a run that started (fails the test, with the reason, if it did not). */
function exitOf(result: MainResult): MainExit {
  if (!result.ok) assert.fail(`the app did not start: ${String(result.error)}`);
  return result.exit;
}

/** Why a run did not start (fails the test if it did). */
function refusal(result: MainResult): ModdableAppError {
  if (result.ok) assert.fail(`the app started and ended with ${JSON.stringify(result.exit)}`);
  assert.ok(result.error instanceof Error && result.error.name === 'ModdableAppError', String(result.error));
  return result.error as ModdableAppError;
}

/** Waits until `cond()` holds, looking every few milliseconds; the bound is a hang guard. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('main.ts under Node', () => {
  it('boots hello.elf and prints its output; the guest exits with status 0', async () => {
    // hello.elf reserves 128 KiB of heap and stack, more than either board gives: raise the budget for this run only.
    const r = await runMainOnNode({ board: { ...boardDoc('pico'), ramBudget: '256KiB' }, guest: 'guests/bin/hello.elf' });
    assert.equal(r.output, HELLO_OUTPUT);
    assert.deepEqual(exitOf(r.result), { kind: 'exit', status: 0, source: 'finisher' });
    assert.match(r.log[0] ?? '', /^xsvisor: board pico \(rp2040\), guest RAM 256 KiB$/);
    assert.ok(r.log.includes('xsvisor: guest exited with status 0 (test finisher)'), r.log.join('\n'));
  });

  it("puts the monitor's messages on the board's console too, around the guest's lines, as the board file says by default", async () => {
    const r = await runMainOnNode({ board: { ...boardDoc('pico', true), ramBudget: '256KiB' }, guest: 'guests/bin/hello.elf' });
    const lines = r.output.split('\n');
    const monitor = lines.filter((l) => l.startsWith('xsvisor: '));
    // Every message traced went to the console too, in order; the guest's own output is untouched between them.
    assert.deepEqual(monitor, r.log.filter((l) => l.startsWith('xsvisor: ')));
    assert.equal(lines.filter((l) => !l.startsWith('xsvisor: ')).join('\n'), HELLO_OUTPUT);
    assert.match(r.output, /^xsvisor: board pico \(rp2040\)/);
    assert.match(r.output, /\nbye\nxsvisor: guest exited with status 0 \(test finisher\)\nxsvisor: \d+ instructions in [\d.]+ s\n$/);
    assert.ok(monitor.includes('xsvisor: clock Time.ticks (1 ms)'), 'a Pico build has no Time.microseconds');
  });

  it('runs the demo guest: its shell, the LED, the button by interrupt, poweroff', async () => {
    let seen = '';
    const r = await runMainOnNode({
      // The demo is board-sized (guests/common/link-small.ld): the Pico's own budget, its code in place as ROM.
      board: boardDoc('pico'),
      guest: 'guests/bin/demo.elf',
      script: async ({ host }) => {
        const line = host.serial!;
        const read = (): string => (seen += line.takeText());
        await until(() => read().endsWith('demo> '));
        line.inject('led on\r');
        await until(() => read().endsWith('led on\ndemo> '));
        host.wire('button').drive(0);
        await until(() => read().includes('button pressed (1)'));
        host.wire('button').drive(1);
        line.inject('button\r');
        await until(() => read().includes('pressed 1 times'));
        line.inject('poweroff\r');
      },
    });
    seen += r.output;
    assert.deepEqual(exitOf(r.result), { kind: 'exit', status: 0, source: 'finisher' });
    assert.match(seen, /^xsvisor demo: /);
    assert.match(seen, /button released \(line reads 1\), pressed 1 times/);
    assert.match(seen, /powering off\n$/);
    assert.equal(r.host.wire('led').history.at(-1), 1);
  });

  it('runs the echo guest on the real pico board: UART both ways, LED on, sleeps in WFI until input', async () => {
    let firedWhileIdle = -1;
    const r = await runMainOnNode({
      board: boardDoc('pico'),
      guest: echoGuest(),
      script: async ({ run, host }) => {
        await until(() => (host.serial?.outputLength ?? 0) >= 13 && run.vm.isIdle);
        const before = timerStats.fired;
        // A marker timer of the app's own Timer 300 ms on: until it fires, the sleeping guest costs a timer or two
        // (the driver's idle recheck), not a spin of thousands of slices.
        await new Promise((resolve) => Timer.set(resolve, 300));
        firedWhileIdle = timerStats.fired - before - 1;
        host.serial!.inject('hi q');
      },
    });
    assert.equal(r.output, echoTranscript('hi q', 1));
    assert.deepEqual(exitOf(r.result), { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(firedWhileIdle >= 0 && firedWhileIdle <= 3, `timers fired while the guest slept: ${firedWhileIdle}`);
    assert.equal(r.host.wire('led').history.at(-1), 1, 'the guest turned the LED on');
  });

  it('runs the echo guest on the real esp32-devkitc board and reads the BOOT button', async () => {
    const r = await runMainOnNode({
      board: boardDoc('esp32-devkitc'),
      guest: echoGuest(),
      script: async ({ host }) => {
        await until(() => (host.serial?.outputLength ?? 0) >= 13);
        host.wire('button').drive(0); // pressed: BOOT pulls GPIO0 to ground
        host.serial!.inject('ok q');
      },
    });
    assert.equal(r.output, echoTranscript('ok q', 0));
    assert.deepEqual(exitOf(r.result), { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(r.log.includes('xsvisor: guest UART0 on UART2 (TX GPIO17, RX GPIO16) at 115200 baud'), r.log.join('\n'));
  });

  it('refuses hello.elf on the esp32-devkitc budget, saying how much RAM it needs', async () => {
    const r = await runMainOnNode({ board: boardDoc('esp32-devkitc'), guest: 'guests/bin/hello.elf' });
    assert.equal(refusal(r.result).reason, 'no-room');
    assert.match(r.log.at(-1) ?? '', /cannot start: guest\.elf: needs 140 KiB of guest RAM .* offers 96 KiB/);
  });

  it('refuses a board file for another platform than the build', async () => {
    const r = await runMainOnNode({ board: boardDoc('pico'), guest: echoGuest(), config: { platform: 'esp32' } });
    assert.equal(refusal(r.result).reason, 'platform-mismatch');
  });

  it('refuses a guest resource that is not in flash', async () => {
    const r = await runMainOnNode({ board: boardDoc('pico'), guest: echoGuest(), config: { guest: 'missing.elf' } });
    assert.equal(refusal(r.result).reason, 'missing-resource');
  });

  it('stops a guest that runs past the time limit', async () => {
    const r = await runMainOnNode({ board: boardDoc('pico'), guest: echoGuest(), timeoutMs: 200 });
    assert.deepEqual(exitOf(r.result), { kind: 'stopped', reason: 'timeout' });
  });
});

describe('the guest image plan', () => {
  it('keeps read-only segments in place and counts only writable ones as RAM', () => {
    const image = echoGuest();
    const plan = planGuestImage(image, 'echo');
    assert.equal(plan.format, 'elf');
    assert.equal(plan.rom.length, 1);
    assert.equal(plan.rom[0]!.base, 0x8000_0000);
    assert.equal(plan.rom[0]!.bytes.buffer, image.buffer, 'a view of the image, not a copy');
    assert.equal(plan.ramBytes, 0x100);
    assert.equal(plan.highAddr, 0x8000_1100);
    assert.equal(minimumRam(plan, { ramSize: 112 * 1024, gpio: true, virtio: false }), 3 * 4096);
  });

  it('treats hello.elf as 2.5 KiB of ROM and 128 KiB of RAM', () => {
    const plan = planGuestImage(new Uint8Array(readFileSync(join(ROOT, 'guests/bin/hello.elf'))), 'hello.elf');
    assert.equal(plan.romBytes, 0x9d0);
    assert.equal(plan.ramBytes, 0x20020);
    assert.equal(minimumRam(plan, { ramSize: 256 * 1024, gpio: true, virtio: false }), 140 * 1024);
  });

  it('treats a raw image as all RAM', () => {
    const plan = planGuestImage(new Uint8Array([0x13, 0, 0, 0]), 'raw');
    assert.deepEqual([plan.format, plan.rom.length, plan.ramBytes, plan.entry], ['raw', 0, 4, 0x8000_0000]);
  });
});

describe('the ECMA-419 glue', () => {
  const pico = parseBoard(readFileSync(join(ROOT, 'boards/pico.json'), 'utf8'), 'boards/pico.json');

  it("reads a Pico port (which throws when empty) without ever asking it empty, and drops what a full port refuses", async () => {
    detachSerialLines();
    const line = attachSerialLine(new HostSerialLine({ port: 0, transmit: 0, receive: 1, emptyRead: 'throw', fifo: 4 }));
    const stats: SerialGlueStats = { refusedWrites: 0 };
    let readable = 0;
    let room = 0;
    const port = serialPortFactory(Serial, { uart: 0, tx: 0, rx: 1, baud: 115200 }, stats)({
      onReadable: (n) => { readable = n; },
      onWritable: (n) => { room = n; },
    });
    await until(() => room === 4);
    assert.equal(port.read(), undefined);
    line.inject('ab');
    await until(() => readable === 2);
    assert.deepEqual([port.read(), port.read(), port.read()], [0x61, 0x62, undefined]);
    assert.equal(line.stats.emptyReads, 0, 'the empty port was never read');
    for (const b of [1, 2, 3, 4, 5]) port.write(b);
    assert.equal(stats.refusedWrites, 1);
    await until(() => line.outputLength === 4);
    assert.deepEqual([...line.takeOutput()], [1, 2, 3, 4]);
    port.close();
    port.close();
  });

  it("shares the console: the monitor's messages wait for room, never overrun a full port, and start on a new line", async () => {
    detachSerialLines();
    const line = attachSerialLine(new HostSerialLine({ port: 0, transmit: 0, receive: 1, emptyRead: 'throw', fifo: 8 }));
    const stats: SerialGlueStats = { refusedWrites: 0 };
    const shared = sharedConsole(serialPortFactory(Serial, { uart: 0, tx: 0, rx: 1, baud: 115200 }, stats), 64);
    shared.say('xsvisor: before the port opens');
    let room = 0;
    const port = shared.factory({ onWritable: (n) => { room = n; } });
    // The guest writes only within the room it is told of; the messages take their share first.
    const guest = [...'hello'].map((c) => c.charCodeAt(0));
    let out = '';
    let midLineSaid = false;
    for (let turns = 0; turns < 1000 && (guest.length > 0 || shared.pending > 0 || !midLineSaid); turns++) {
      while (room > 0 && guest.length > 0) {
        port.write(guest.shift()!);
        room--;
      }
      if (guest.length === 0 && !midLineSaid) {
        shared.say('xsvisor: mid-line');
        midLineSaid = true;
      }
      // A turn of the event loop, where the console and the line deliver their callbacks.
      await new Promise((resolve) => setImmediate(resolve));
      out += new TextDecoder().decode(line.takeOutput());
    }
    // The port hands its FIFO to the line on the loop's queue: a marker queued now comes after the last of it.
    await new Promise<void>((resolve) => later(resolve));
    assert.equal(shared.pending, 0);
    out += new TextDecoder().decode(line.takeOutput());
    assert.equal(stats.refusedWrites, 0, 'no byte was written past the room the port reported');
    assert.equal(out, 'xsvisor: before the port opens\nhello\nxsvisor: mid-line\n');
    shared.say('x'.repeat(100));
    assert.ok(shared.dropped > 0 && shared.pending <= 64, 'a message larger than the waiting room is cut, and counted');
    port.close();
  });

  it("holds an input line's Moddable pin across the device's close and reopen (the Pico loses its GPIO IRQ handler on close)", () => {
    let constructed = 0;
    let closed = 0;
    const edges: (() => void)[] = [];
    class CountingDigital {
      static readonly Input = 0;
      static readonly InputPullUp = 1;
      static readonly InputPullDown = 2;
      static readonly Output = 8;
      static readonly Rising = 1;
      static readonly Falling = 2;
      constructor(o: { onReadable?: () => void }) {
        constructed++;
        if (o.onReadable) edges.push(o.onReadable);
      }
      read(): number { return 1; }
      write(): void {}
      close(): void { closed++; }
    }
    const button = pico.gpioLines.find((l) => l.name === 'button')!;
    const factory = digitalPinFactory(CountingDigital, button);
    let seen = 0;
    // The guest touching direction and pull-up makes the device close and reopen the line, asking for other modes.
    const a = factory({ mode: DigitalMode.Input, edge: DigitalEdge.Rising | DigitalEdge.Falling, onReadable: () => { seen += 1; } });
    a.close();
    const b = factory({ mode: DigitalMode.InputPullUp, edge: DigitalEdge.Rising | DigitalEdge.Falling, onReadable: () => { seen += 10; } });
    assert.equal(constructed, 1, 'one Moddable pin for both opens: the board makes both an input with its pull-up');
    assert.equal(closed, 0);
    edges[0]!();
    assert.equal(seen, 10, 'an edge reaches the open pin only, not the closed one');
    b.close();
    edges[0]!();
    assert.equal(seen, 10, 'nothing reaches a closed pin');
    factory.dispose();
    assert.equal(closed, 1, 'dispose closes it');
    // The LED's line read as an input (the guest's reset state) gets no edge callback, so turning it into an output closes none.
    const led = digitalPinFactory(CountingDigital, pico.gpioLines.find((l) => l.name === 'led')!);
    led({ mode: DigitalMode.Input, edge: DigitalEdge.Rising | DigitalEdge.Falling, onReadable: () => {} }).close();
    assert.equal(edges.length, 1, 'no onReadable on an output line');
    led({ mode: DigitalMode.Output });
    assert.equal(constructed, 3);
    led.dispose();
  });

  it('never drives a line the board calls an input, and keeps its pull-up', () => {
    resetHostWires();
    const button = pico.gpioLines.find((l) => l.name === 'button')!;
    const pin = digitalPinFactory(Digital, button)({ mode: DigitalMode.Output });
    pin.write(0);
    assert.equal(hostWire(button.pin).level, 1, 'still an input with its pull-up');
    assert.equal(pin.read(), 1);
    pin.close();
    const led = pico.gpioLines.find((l) => l.name === 'led')!;
    const out = digitalPinFactory(Digital, led)({ mode: DigitalMode.Output });
    out.write(1);
    assert.equal(hostWire(led.pin).level, 1);
    out.close();
  });

  it('reports the edges the device asked for', async () => {
    resetHostWires();
    const button = pico.gpioLines.find((l) => l.name === 'button')!;
    let edges = 0;
    const pin = digitalPinFactory(Digital, button)({ mode: DigitalMode.Input, edge: 2, onReadable: () => { edges++; } });
    hostWire(button.pin).drive(0);
    hostWire(button.pin).drive(1); // rising: not asked for
    await until(() => edges === 1);
    // Callbacks come in order on the loop's queue: a rising edge's would come before this marker.
    await new Promise<void>((resolve) => later(resolve));
    assert.equal(edges, 1);
    pin.close();
  });

  it('schedules on Timer and cancels only what has not run', async () => {
    const s = timerScheduler(Timer);
    const ran: string[] = [];
    const a = s.soon(() => ran.push('soon'));
    const b = s.after(5_000, () => ran.push('after'));
    s.cancel(b);
    await until(() => ran.length === 1);
    s.cancel(a); // already ran: harmless
    // A marker due after the cancelled task: once it ran, the cancelled one would have too.
    await new Promise<void>((resolve) => s.after(10_000, resolve));
    assert.deepEqual(ran, ['soon']);
  });

  it('decodes UTF-8 and refuses what is not', () => {
    assert.equal(decodeUtf8(new Uint8Array([0x61, 0xc3, 0xa9, 0xe2, 0x80, 0x94, 0xf0, 0x9f, 0x98, 0x80]), 'x'), 'aé—😀');
    for (const bad of [[0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff]]) {
      assert.throws(() => decodeUtf8(new Uint8Array(bad), 'x.json'), (e: unknown) => e instanceof ModdableAppError && e.reason === 'bad-resource');
    }
  });
});
