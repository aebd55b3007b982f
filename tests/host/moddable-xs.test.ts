/**
 * The Moddable app (src/moddable/main.ts, unchanged) in Moddable's XS
 * engine on the host: an xsnap worker runs a bundle of main.ts, the core
 * and the stand-ins of host/moddable/, on a simulated board whose UART's
 * far end is here (host/moddable/xs.ts). Each run prints the XS meter
 * (heap slots) as a diagnostic: the figure docs/moddable.md budgets with.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../host/moddable/node.js';
import { runMainInXs, type RunMainInXsResult } from '../../host/moddable/xs.js';
import { planConfigFlash } from '../../host/board/firmware.js';
import { echoGuest, echoTranscript } from './moddable-fixtures.js';

/** A board file from boards/ with the monitor's messages kept off the guest's console (so the console shows only the guest). */
const boardDoc = (name: string, messages = false): Record<string, unknown> => {
  const doc = JSON.parse(readFileSync(join(ROOT, 'boards', `${name}.json`), 'utf8')) as Record<string, Record<string, unknown>>;
  return { ...doc, uart0: { ...doc['uart0'], messages } };
};

function diagnose(t: TestContext, r: RunMainInXsResult): void {
  t.diagnostic(`XS: ${r.meter?.currentHeapCount ?? '?'} heap slots in use at the end, ${r.report?.instret ?? '?'} instructions, ` +
    `${r.report?.timers.fired ?? '?'} timer callbacks, ${r.report?.timers.idleWaits ?? '?'} idle waits, ${r.durationMs.toFixed(0)} ms`);
}

describe('main.ts under XS (xsnap)', () => {
  it('boots hello.elf and prints its output; the guest exits with status 0', async (t) => {
    const r = await runMainInXs({ board: { ...boardDoc('pico'), ramBudget: '256KiB' }, guest: 'guests/bin/hello.elf' });
    diagnose(t, r);
    assert.equal(r.error, null);
    assert.equal(r.output, 'Hello from xsvisor guest!\nhart 0\ndevice tree magic ok\nfib(20) = 6765\nsigned -42, hex 0x00c0ffee, char x, string ok\nbye\n');
    assert.deepEqual(r.report?.exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok(r.log.includes('xsvisor: guest exited with status 0 (test finisher)'), r.log.join('\n'));
  });

  it('echoes input on the real pico board and sleeps in WFI (blocking in the idle wait, not spinning)', async (t) => {
    let sent = false;
    const r = await runMainInXs({
      board: boardDoc('pico'),
      guest: echoGuest(),
      // Once the guest has said hello and fallen asleep (the worker blocks in its idle wait), type.
      onIdle: (output, send) => {
        if (!sent && output.endsWith('xsvisor echo\n')) {
          sent = true;
          send('hi q');
        }
      },
    });
    diagnose(t, r);
    assert.equal(r.error, null);
    assert.equal(r.output, echoTranscript('hi q', 1));
    assert.deepEqual(r.report?.exit, { kind: 'exit', status: 0, source: 'finisher' });
    assert.ok((r.report?.timers.idleWaits ?? 0) > 0, 'the worker blocked while the guest slept');
    assert.ok((r.report?.timers.fired ?? Infinity) < 100, `timer callbacks: ${r.report?.timers.fired}`);
  });

  it('runs the demo guest interrupt-driven: its shell and poweroff', async (t) => {
    const r = await runMainInXs({
      board: { ...boardDoc('esp32-devkitc'), ramBudget: '160KiB' },
      guest: 'guests/bin/demo.elf',
      interact: (output, send) => {
        if (output.endsWith('demo> ') && !output.includes('led on')) send('led on\r');
        else if (output.endsWith('led on\ndemo> ')) send('poweroff\r');
      },
    });
    diagnose(t, r);
    assert.equal(r.error, null);
    assert.match(r.output, /^xsvisor demo: [\s\S]*demo> led on\nled on\ndemo> poweroff\npowering off\n$/);
    assert.deepEqual(r.report?.exit, { kind: 'exit', status: 0, source: 'finisher' });
  });

  it('runs a monitor configuration from flash (boards/vms/pico-two.json): the crashing VM is restarted, then stopped; the demo answers', async (t) => {
    const f = planConfigFlash(join(ROOT, 'boards', 'vms', 'pico-two.json'));
    const resources: Record<string, Uint8Array> = { 'vms.json': new TextEncoder().encode(JSON.stringify(f.flashDoc)) };
    for (const file of f.files) resources[file.resource] = new Uint8Array(readFileSync(file.from));
    let sent = false;
    const r = await runMainInXs({
      board: 'pico',
      guest: 'guests/bin/demo.elf',
      resources,
      timeoutMs: 120_000,
      interact: (output, send) => {
        if (!sent && output.includes("VM 'crash' stopped by a fault") && output.includes("[demo] Type 'help'")) {
          sent = true;
          send('poweroff\r');
        }
      },
    });
    diagnose(t, r);
    assert.equal(r.error, null);
    assert.deepEqual(r.report?.config, {
      status: 70,
      vms: [{ name: 'demo', kind: 'exit', status: 0, restarts: 0 }, { name: 'crash', kind: 'stopped', restarts: 3 }],
    });
    assert.equal(r.output.match(/\[crash\] trap-loop: mtvec -> illegal instruction\n/g)?.length, 4);
    assert.match(r.output, /\[demo\] powering off\n/);
    assert.match(r.output, /xsvisor: all VMs ended, status 70\n/);
  });

  it('stops a guest when the host asks', async (t) => {
    const r = await runMainInXs({
      board: boardDoc('esp32-devkitc'),
      guest: echoGuest(),
      // Once the guest sleeps waiting for input (the worker blocks in its idle wait), ask it to stop.
      onIdle: (output, _send, stop) => {
        if (output === 'xsvisor echo\n') stop();
      },
    });
    diagnose(t, r);
    assert.equal(r.error, null);
    assert.deepEqual(r.report?.exit, { kind: 'stopped', reason: 'stopped by the host' });
    assert.equal(r.output, 'xsvisor echo\n');
  });
});
