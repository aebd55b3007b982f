/**
 * The Moddable app with a monitor configuration in flash (src/moddable/vms.ts)
 * under Node, on the Pico's board file with the host stand-ins: the flash
 * contents as `board:build --config` stages them (host/board/firmware.ts,
 * planConfigFlash), two demos sharing the console (input focus by Ctrl-A
 * 1-9), pins reaching only the VM they were given, a VM wedged in a trap
 * loop contained while the others answer, and the refusals a user meets
 * at build time and at boot. test:board runs the same on the emulated Pico.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareError, planConfigFlash } from '../../host/board/firmware.js';
import { ROOT, runMainOnNode } from '../../host/moddable/node.js';
import { consoleEscapes } from '../../src/moddable/glue.js';
import { configStatus } from '../../src/moddable/vms.js';
import type { SerialPort } from '../../src/ports/index.js';
import { echoGuest } from './moddable-fixtures.js';
import Timer, { timerStats } from '../../host/moddable/timer.js';

/** The resources `board:build --config FILE` puts in flash beside board.json and guest.elf. */
function flashOf(config: string): Record<string, Uint8Array> {
  const f = planConfigFlash(config);
  const out: Record<string, Uint8Array> = { 'vms.json': new TextEncoder().encode(JSON.stringify(f.flashDoc)) };
  for (const file of f.files) out[file.resource] = new Uint8Array(readFileSync(file.from));
  return out;
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the app with a monitor configuration in flash, under Node', () => {
  it('runs two demos on the shared console: each answers, Ctrl-A 1-9 moves the input, pins stay with their VM', async () => {
    let seen = '';
    // Two demos need more XS heap than a Pico has (docs/moddable.md); the host's stand-ins have no such limit.
    const r = await runMainOnNode({
      board: 'pico',
      guest: 'guests/bin/demo.elf',
      resources: {
        'vms.json': new TextEncoder().encode(JSON.stringify({ board: 'pico', vms: [
          { name: 'demo', image: 'guest.elf', ram: '32KiB', uart: 'console', pins: { 0: 'led', 1: 'button' } },
          { name: 'demo2', image: 'guest.elf', ram: '32KiB', uart: 'console' },
        ] })),
      },
      timeoutMs: 60_000,
      script: async ({ host }) => {
        const line = host.serial!;
        const read = (): string => (seen += line.takeText());
        // Each demo's banner line, tagged: the console sends whole lines.
        await until(() => /\[demo\] xsvisor demo: /.test(read()) && /\[demo2\] xsvisor demo: /.test(seen));
        // Input goes to the first console VM; Ctrl-A 2 moves it to demo2, whose `led on` reaches no pin.
        line.inject('\x012');
        await until(() => read().includes("console input now goes to VM 'demo2'"));
        line.inject('led on\r');
        await until(() => /\[demo2\] demo> led on\n/.test(read()));
        line.inject('uptime\r');
        await until(() => /\[demo2\] demo> uptime\n\[demo2\] up \d+\.\d{3} s\n/.test(read()));
        assert.notEqual(host.wire('led').history.at(-1), 1, "demo2's `led on` does not reach GP25");
        line.inject('\x011');
        await until(() => read().includes("console input now goes to VM 'demo'"));
        line.inject('led on\r');
        await until(() => /\[demo\] demo> led on\n/.test(read()));
        assert.equal(host.wire('led').history.at(-1), 1, "demo's `led on` lights GP25");
        host.wire('button').drive(0);
        await until(() => read().includes('[demo] button pressed (1)'));
        host.wire('button').drive(1);
        line.inject('poweroff\r');
        await until(() => read().includes("VM 'demo' exited with status 0"));
        // The input moves on to the VM still running.
        line.inject('poweroff\r');
      },
    });
    seen += r.output;
    assert.ok(r.result.ok, String(!r.result.ok && r.result.error));
    assert.deepEqual(r.result.config!.outcomes.map((o) => [o.name, o.exit.kind, o.exit.status]), [['demo', 'exit', 0], ['demo2', 'exit', 0]]);
    assert.equal(r.result.config!.status, 0);
    assert.doesNotMatch(seen, /\[demo2\] button pressed/, 'the button reaches demo only');
    assert.match(seen, /xsvisor: all VMs ended, status 0\n/);
  });

  it('contains a VM wedged in a trap loop (boards/vms/pico-two.json): restarted 3 times, then stopped, while the demo answers', async () => {
    let seen = '';
    const r = await runMainOnNode({
      board: 'pico',
      guest: 'guests/bin/demo.elf',
      resources: flashOf(join(ROOT, 'boards', 'vms', 'pico-two.json')),
      timeoutMs: 60_000,
      script: async ({ host }) => {
        const line = host.serial!;
        const read = (): string => (seen += line.takeText());
        await until(() => /xsvisor: VM 'crash' stopped by a fault: no progress/.test(read()));
        line.inject('uptime\r');
        await until(() => /\[demo\] up \d+\.\d{3} s\n/.test(read()));
        line.inject('poweroff\r');
      },
    });
    seen += r.output;
    assert.ok(r.result.ok, String(!r.result.ok && r.result.error));
    const cfg = r.result.config!;
    assert.deepEqual(cfg.outcomes.map((o) => [o.name, o.exit.kind, o.restarts]), [['demo', 'exit', 0], ['crash', 'stopped', 3]]);
    // Exit status as `xsvisor run --config`: the first VM that did not exit 0 decides, 70 for a fault.
    assert.equal(cfg.status, 70);
    assert.equal(seen.match(/\[crash\] trap-loop: mtvec -> illegal instruction\n/g)?.length, 4, `it boots 4 times:\n${seen}`);
    assert.equal(seen.match(/VM 'crash' restarted after a fault/g)?.length, 3);
    assert.match(seen, /xsvisor:   pc 80000034  priv M/, 'the first lines of the register dump on the console');
    assert.match(seen, /xsvisor: all VMs ended, status 70\n/);
    assert.doesNotMatch(seen, /refused by the serial port/, 'the messages and both VMs share the port within its room');
    assert.match(r.log.join('\n'), /x0\/zero 00000000/, 'the whole register dump goes to the log');
  });

  it("stops a VM that wedges itself on request (the echo guest's 'c') while the demo answers on, as test:board does on the emulated Pico", async () => {
    let seen = '';
    const r = await runMainOnNode({
      board: 'pico',
      guest: 'guests/bin/demo.elf',
      resources: {
        'vms.json': new TextEncoder().encode(JSON.stringify({ board: 'pico', vms: [
          { name: 'demo', image: 'guest.elf', ram: '32KiB', uart: 'console', pins: { 0: 'led', 1: 'button' } },
          { name: 'echo', image: 'echo.elf', ram: '12KiB', uart: 'console' },
        ] })),
        'echo.elf': echoGuest({ crashOn: 'c' }),
      },
      timeoutMs: 60_000,
      script: async ({ host }) => {
        const line = host.serial!;
        const read = (): string => (seen += line.takeText());
        await until(() => /\[echo\] xsvisor echo\n/.test(read()));
        assert.notEqual(host.wire('led').history.at(-1), 1, "the echo guest's line 0 reaches no pin");
        line.inject('\x012');
        await until(() => read().includes("console input now goes to VM 'echo'"));
        line.inject('ping\n');
        await until(() => read().includes('[echo] ping\n'));
        line.inject('c');
        await until(() => /xsvisor: VM 'echo' stopped by a fault: no progress: .* at pc 0x00000000/.test(read()));
        line.inject('uptime\r');
        await until(() => /\[demo\] up \d+\.\d{3} s\n/.test(read()));
        line.inject('poweroff\r');
      },
    });
    seen += r.output;
    assert.ok(r.result.ok, String(!r.result.ok && r.result.error));
    assert.deepEqual(r.result.config!.outcomes.map((o) => [o.name, o.exit.kind]), [['demo', 'exit'], ['echo', 'stopped']]);
    assert.equal(r.result.config!.status, 70);
  });

  it('sleeps while every VM waits in WFI, and wakes the VM whose input arrives', async () => {
    let firedWhileIdle = -1;
    const r = await runMainOnNode({
      board: 'pico',
      guest: echoGuest(),
      resources: {
        'vms.json': new TextEncoder().encode(JSON.stringify({ board: 'pico', vms: [
          { name: 'a', image: 'guest.elf', ram: '12KiB', uart: 'console' },
          { name: 'b', image: 'guest.elf', ram: '12KiB', uart: 'console' },
        ] })),
      },
      script: async ({ run, host }) => {
        const line = host.serial!;
        let seen = '';
        const read = (): string => (seen += line.takeText());
        await until(() => /\[a\] xsvisor echo\n/.test(read()) && /\[b\] xsvisor echo\n/.test(seen) && run.config!.vms.every((v) => v.vm.isIdle));
        const before = timerStats.fired;
        // Both guests sleep: until a marker timer 300 ms on fires, the app costs the monitor's idle recheck at most, not a spin.
        await new Promise((resolve) => Timer.set(resolve, 300));
        firedWhileIdle = timerStats.fired - before - 1;
        line.inject('hi\nq');
        await until(() => read().includes('[a] hi\n'));
        line.inject('\x012q');
      },
    });
    assert.ok(r.result.ok, String(!r.result.ok && r.result.error));
    assert.deepEqual(r.result.config!.outcomes.map((o) => [o.name, o.exit.kind, o.exit.status]), [['a', 'exit', 0], ['b', 'exit', 0]]);
    assert.ok(firedWhileIdle >= 0 && firedWhileIdle <= 3, `timers fired while both guests slept: ${firedWhileIdle}`);
  });

  it('runs an S-mode guest under the built-in SBI (boards/vms/pico-sbi.json)', async () => {
    const r = await runMainOnNode({
      board: 'pico',
      guest: 'guests/bin/demo.elf',
      resources: flashOf(join(ROOT, 'boards', 'vms', 'pico-sbi.json')),
      timeoutMs: 60_000,
    });
    assert.ok(r.result.ok, String(!r.result.ok && r.result.error));
    assert.deepEqual(r.result.config!.outcomes.map((o) => [o.name, o.exit]), [['sbi', { kind: 'exit', status: 0, source: 'sbi' }]]);
    assert.equal(r.result.config!.status, 0);
    assert.doesNotMatch(r.output, /^FAIL /m);
    assert.match(r.output, /\nsbi: 76 passed, 0 failed; warm reboot\n[\s\S]*\nsbi: done, 0 failed: PASS\n/);
  });

  it('refuses two VMs claiming the same pin, at build time and at boot, naming both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-vms-'));
    try {
      const bad = join(dir, 'bad.json');
      const demo = join(ROOT, 'guests', 'bin', 'demo.elf');
      writeFileSync(bad, JSON.stringify({
        board: 'pico',
        vms: [
          { name: 'a', image: demo, ram: '32KiB', pins: { 0: 'led' } },
          { name: 'b', image: demo, ram: '32KiB', pins: { 3: 'led' } },
        ],
      }));
      assert.throws(() => planConfigFlash(bad), (e: unknown) => e instanceof FirmwareError && e.reason === 'bad-config' &&
        /\$\.vms\[1\]\.pins\.3: pin "led" is already given to VM 'a' at \$\.vms\[0\]\.pins\.0/.test(e.message));
      const big = join(dir, 'big.json');
      writeFileSync(big, JSON.stringify({ board: 'pico', vms: [{ name: 'a', image: demo, ram: '64KiB' }, { name: 'b', image: demo, ram: '64KiB' }] }));
      assert.throws(() => planConfigFlash(big), (e: unknown) => e instanceof FirmwareError &&
        /\$\.vms\[1\]\.ram: 64 KiB for VM 'b' brings the VMs' RAM to 128 KiB, more than the ramBudget of board 'pico' \(112 KiB\)/.test(e.message));
      const small = join(dir, 'small.json');
      writeFileSync(small, JSON.stringify({ board: 'pico', vms: [{ name: 'tiny', image: demo, ram: '16KiB' }] }));
      assert.throws(() => planConfigFlash(small), (e: unknown) => e instanceof FirmwareError && e.reason === 'no-room' &&
        /VM 'tiny' .* needs 32768 bytes \(32 KiB\) of guest RAM; it is given 16384 bytes/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses at boot a configuration in flash that the validator refuses, or whose VM is too small for its image', async () => {
    const demo = new Uint8Array(readFileSync(join(ROOT, 'guests', 'bin', 'demo.elf')));
    const text = (doc: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(doc));
    const pins = await runMainOnNode({
      board: 'pico', guest: demo,
      resources: { 'vms.json': text({ board: 'pico', vms: [{ name: 'a', image: 'guest.elf', ram: '32KiB', pins: { 0: 'led' } }, { name: 'b', image: 'guest.elf', ram: '32KiB', pins: { 1: 'led' } }] }) },
    });
    assert.equal(pins.result.ok, false);
    assert.ok(pins.log.some((l) => /^xsvisor: cannot start: flash:vms\.json: \$\.vms\[1\]\.pins\.1: pin "led" is already given to VM 'a'/.test(l)), pins.log.join('\n'));
    const small = await runMainOnNode({
      board: 'pico', guest: demo,
      resources: { 'vms.json': text({ board: 'pico', vms: [{ name: 'tiny', image: 'guest.elf', ram: '16KiB' }] }) },
    });
    assert.equal(small.result.ok, false);
    assert.ok(small.log.some((l) => /^xsvisor: cannot start: \$\.vms\[0\]\.ram: VM 'tiny' \(guest\.elf\) needs 32768 bytes \(32 KiB\) of guest RAM.*given 16384 bytes/.test(l)), small.log.join('\n'));
    const other = await runMainOnNode({
      board: 'pico', guest: demo,
      resources: { 'vms.json': text({ board: 'esp32-devkitc', vms: [{ name: 'a', image: 'guest.elf', ram: '32KiB' }] }) },
    });
    assert.ok(other.log.some((l) => /\$\.board: .*this firmware holds board 'pico'/.test(l)), other.log.join('\n'));
  });

  it('Ctrl-A 1-9 on the console moves the focus; Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A and another byte pass through', () => {
    const input = [0x61, 0x01, 0x32, 0x62, 0x01, 0x01, 0x01, 0x78, 0x63];
    const keys: number[] = [];
    const port = consoleEscapes((): SerialPort => ({ read: () => input.shift(), write: () => {}, close: () => {} }), (k) => keys.push(k))({});
    const got: number[] = [];
    for (let b = port.read(); b !== undefined; b = port.read()) got.push(b);
    assert.deepEqual(got, [0x61, 0x62, 0x01, 0x01, 0x78, 0x63]);
    assert.deepEqual(keys, [0x32]);
  });

  it('reckons the run status as xsvisor run --config does', () => {
    const ok = { kind: 'exit', status: 0, source: 'finisher' } as const;
    const o = (name: string, exit: Parameters<typeof configStatus>[0][number]['exit']) => ({ name, exit, fault: null, restarts: 0, instret: 0 });
    assert.equal(configStatus([o('a', ok), o('b', ok)]).status, 0);
    assert.equal(configStatus([o('a', ok), o('b', { kind: 'exit', status: 3, source: 'finisher' }), o('c', { kind: 'stopped', reason: 'fault: x' })]).status, 3);
    assert.equal(configStatus([o('a', { kind: 'stopped', reason: 'fault: x' }), o('b', { kind: 'exit', status: 3, source: 'finisher' })]).status, 70);
    assert.equal(configStatus([o('a', { kind: 'exit', status: 256, source: 'finisher' })]).status, 1);
  });
});
