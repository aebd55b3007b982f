/**
 * The monitor with the project's own guests from guests/bin: two echo
 * guests side by side, each reaching only its own pins; the S-mode SBI
 * guest (guests/sbi) passing every check; a garbage VM stopped beside a
 * completing hello; and a deterministic run of several guests that gives
 * the same bytes twice in V8 and once more in XS (bundled with esbuild,
 * run with host/xs runXsScript).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateBoard, type GpioLineWiring } from '../../src/board/index.js';
import { formatRegisterDump, InstructionClock, Monitor, VirtVm, type MonitorResult } from '../../src/monitor/index.js';
import { ManualScheduler, MemorySerial, SimulatedPin } from '../../src/ports/sim/index.js';
import { createNodeClock } from '../../host/node/clock.js';
import { createNodeScheduler } from '../../host/node/scheduler.js';
import { runXsScript } from '../../host/xs/index.js';
import { runScenario } from '../core/monitor-scenario.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const image = (name: string): Uint8Array => new Uint8Array(readFileSync(join(root, 'guests', 'bin', `${name}.elf`)));

/** A board whose lines are `given` (guest line -> wiring), as a monitor configuration derives it. */
function board(lines: GpioLineWiring[]) {
  return validateBoard({
    name: 'host-sim', platform: 'host', ramBudget: '1GiB',
    devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'htif'], uart0: { serial: 'none' }, gpio: { lines },
  }, 'test');
}

const until = async (cond: () => boolean, what: string, ms = 20_000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('monitor with guests/bin', () => {
  it('two echo guests: each echoes its own UART and mirrors only its own button; a pin it was not given is out of reach', async () => {
    const pins = { led: new SimulatedPin(), button: new SimulatedPin({ drive: 1 }), led2: new SimulatedPin(), button2: new SimulatedPin({ drive: 1 }) };
    const wire = (w: GpioLineWiring) => pins[w.name as keyof typeof pins]?.open;
    // echo1: led on line 0, button on line 1. echo2: led2 on line 0; button2 given to nobody.
    const b1 = board([{ line: 0, name: 'led', pin: 0, direction: 'output', pull: 'none' }, { line: 1, name: 'button', pin: 1, direction: 'input', pull: 'up' }]);
    const b2 = board([{ line: 0, name: 'led2', pin: 2, direction: 'output', pull: 'none' }]);
    const s1 = new MemorySerial();
    const s2 = new MemorySerial();
    const clock = createNodeClock();
    const v1 = new VirtVm({ image: image('echo'), clock, ramSize: 16 << 20, board: b1, serial: s1.open, pins: wire });
    const v2 = new VirtVm({ image: image('echo'), clock, ramSize: 16 << 20, board: b2, serial: s2.open, pins: wire });
    const monitor = new Monitor({ vms: [{ name: 'echo1', vm: v1 }, { name: 'echo2', vm: v2 }], scheduler: createNodeScheduler() });
    const run = monitor.run();
    // The guests clear their UART FIFOs while they start: type once they wait for input.
    await until(() => v1.isIdle && v2.isIdle, 'the echo guests to wait in WFI');
    s1.inject('one');
    s2.inject('two');
    await until(() => s1.outputLength >= 3 && s2.outputLength >= 3, 'the echoes');
    assert.equal(s1.takeText(), 'one');
    assert.equal(s2.takeText(), 'two');
    await until(() => pins.led.level === 1, 'echo1 to light its LED (button released = 1)');
    pins.button.drive(0);
    await until(() => pins.led.level === 0, 'echo1 to follow its button');
    assert.equal(pins.button2.stats.opens, 0, 'button2 was given to no VM: never opened');
    pins.button2.drive(0);
    // echo1 follows its own button only: released, its LED comes on whatever button2 does.
    pins.button.drive(1);
    await until(() => pins.led.level === 1, 'echo1 to follow its own button again');
    assert.ok(pins.led2.stats.writes > 0, 'echo2 drives the LED it was given');
    s1.inject('q');
    s2.inject('q');
    const r: MonitorResult = await run;
    monitor.close();
    assert.deepEqual(r.vms.map((v) => v.exit), [{ kind: 'exit', status: 0, source: 'finisher' }, { kind: 'exit', status: 0, source: 'finisher' }]);
  });

  it('guests/sbi: every SBI check passes in S-mode, through warm and cold reboots, and it shuts down with status 0', async () => {
    const serial = new MemorySerial({ outputCapacity: 1 << 20 });
    serial.inject('hi');
    const clock = new InstructionClock();
    const vm = new VirtVm({ image: image('sbi'), clock, ramSize: 16 << 20, serial: serial.open, firmware: 'sbi' });
    clock.bind(() => vm.instret);
    const sched = new ManualScheduler();
    const monitor = new Monitor({ vms: [{ name: 'sbi', vm, icount: clock }], scheduler: sched });
    let r: MonitorResult | null = null;
    void monitor.run().then((x) => { r = x; });
    for (let i = 0; i < 100_000 && r === null; i++) {
      if (sched.runDue() === 0) sched.advance(1000);
      await Promise.resolve();
    }
    monitor.close();
    const text = serial.takeText();
    assert.ok(r !== null);
    assert.deepEqual((r as MonitorResult).vms[0].exit, { kind: 'exit', status: 0, source: 'sbi' }, text);
    assert.doesNotMatch(text, /^FAIL/m, text);
    assert.match(text, /^sbi: \d+ passed, 0 failed; warm reboot$/m);
    assert.match(text, /^dbcn: console_read got 2 bytes: 'hi'$/m);
    assert.match(text, /^PASS srst: warm reboot boots the guest again$/m);
    assert.match(text, /^PASS srst: cold reboot boots the guest again$/m);
    assert.match(text, /sbi: done, 0 failed: PASS\n$/);
    assert.equal(vm.resets, 2);
    const passes = text.match(/^PASS /gm)?.length ?? 0;
    assert.ok(passes >= 70, `${passes} checks`);
  });

  it('a garbage VM stops with a reason and a register dump; hello beside it completes', async () => {
    const out = [new MemorySerial(), new MemorySerial()];
    const clock = createNodeClock();
    const junk = new Uint8Array(4096).fill(0);
    const bad = new VirtVm({ image: junk, clock, ramSize: 1 << 20, serial: out[0].open });
    const hello = new VirtVm({ image: image('hello'), clock, ramSize: 16 << 20, serial: out[1].open });
    const monitor = new Monitor({ vms: [{ name: 'bad', vm: bad }, { name: 'hello', vm: hello }], scheduler: createNodeScheduler() });
    const r = await monitor.run();
    monitor.close();
    const [b, h] = r.vms;
    assert.equal(b.exit.kind, 'stopped');
    assert.ok(b.fault !== null);
    assert.match(b.fault.reason, /no progress/);
    assert.match(formatRegisterDump(b.fault.dump), /^pc 00000000  priv M/);
    assert.deepEqual(h.exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.match(out[1].takeText(), /Hello from xsvisor guest!\n[\s\S]*bye\n$/);
  });
});

describe('deterministic monitor runs', () => {
  const images = { hello: image('hello'), isa: image('isa-irq'), sbi: image('sbi') };

  it('the same configuration run twice gives byte-identical output', async () => {
    const one = await runScenario(images);
    const two = await runScenario(images);
    assert.equal(one.console, two.console);
    assert.deepEqual(one.outcomes, two.outcomes);
    assert.deepEqual(one.events, two.events);
    assert.match(one.console, /^\[hello\] Hello from xsvisor guest!$/m);
    assert.match(one.console, /^\[isa\] PASS irq$/m);
    assert.match(one.console, /^\[sbi\] sbi: done, 0 failed: PASS$/m);
    assert.match(one.outcomes[3], /^junk: \{"kind":"stopped","reason":"fault: /);
  });

  it('XS gives the same output, outcomes and fault report as V8', { timeout: 600_000 }, async () => {
    const { build } = await import('esbuild');
    const entry = `
      import { runScenario } from './tests/core/monitor-scenario.ts';
      const b64 = (s) => { const bin = atob(s); const u = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i); return u; };
      runScenario({ hello: b64(HELLO), isa: b64(ISA), sbi: b64(SBI) }).then(
        (r) => print('RESULT ' + JSON.stringify(r)),
        (e) => print('ERROR ' + String(e && e.stack || e)));
    `;
    const bundle = await build({
      stdin: { contents: entry, resolveDir: root, loader: 'ts', sourcefile: 'xs-monitor-entry.ts' },
      bundle: true, format: 'iife', target: 'es2022', write: false,
    });
    const b64 = (u: Uint8Array): string => JSON.stringify(Buffer.from(u).toString('base64'));
    const atob = 'const atob = (s) => { const t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; let o = "", b = 0, n = 0; for (const c of s) { if (c === "=") break; b = (b << 6) | t.indexOf(c); n += 6; if (n >= 8) { n -= 8; o += String.fromCharCode((b >> n) & 255); } } return o; };';
    const source = `${atob}\nconst HELLO = ${b64(images.hello)}; const ISA = ${b64(images.isa)}; const SBI = ${b64(images.sbi)};\n${bundle.outputFiles[0].text}`;
    let printed = '';
    const xs = await runXsScript(source, { stdout: (s: string) => { printed += s; }, timeoutMs: 540_000 });
    assert.ok(xs.ok, `XS: ${xs.error}\n${xs.stderr}`);
    const line = printed.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('ERROR '));
    assert.ok(line !== undefined && line.startsWith('RESULT '), printed.slice(-2000));
    const inXs = JSON.parse(line.slice('RESULT '.length)) as Awaited<ReturnType<typeof runScenario>>;
    const inV8 = await runScenario(images);
    assert.equal(inXs.console, inV8.console);
    assert.deepEqual(inXs.outcomes, inV8.outcomes);
    assert.deepEqual(inXs.events, inV8.events);
  });
});
