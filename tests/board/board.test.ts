/**
 * test:board: the firmware users flash, proven with the real thing.
 * The stock Moddable SDK (the vendored 8.2.3, or $MODDABLE) builds the app
 * for the Pico (a whole UF2) and the ESP32 (every stage before ESP-IDF);
 * the UF2 boots in rp2040js from the RP2040 boot ROM, and the demo guest
 * is driven through `xsvisor hil` on board:sim's pty and through the pins.
 *
 * Outside CI, without $XSVISOR_VENDOR (or $MODDABLE) or the ARM toolchain,
 * the suite is skipped with the reason; in CI (CI set) that fails.
 * Waits are on events; their bounds are in simulated time, or generous
 * hang guards: rp2040js runs at about 0.4x real time, slower under load.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appModules } from '../../scripts/app-modules.mjs';
import { buildFirmware, type FirmwareInfo } from '../../host/board/firmware.js';
import { findBoardSdk, missingPackages, ROOT, type BoardSdk } from '../../host/board/sdk.js';
import { loadBootrom, readFirmware } from '../../host/board/cli.js';
import { PicoSession } from '../../host/board/session.js';
import { parseBoard } from '../../src/board/index.js';
import { startSerialBackend, type StartedSerialBackend } from '../../host/serial/index.js';
import { echoGuest } from '../host/moddable-fixtures.js';

const inCi = !!process.env['CI'];
const haveSdk = !!process.env['XSVISOR_VENDOR'] || !!process.env['MODDABLE'];
const missing = missingPackages();
const skip = inCi ? false
  : !haveSdk ? 'no SDK: set XSVISOR_VENDOR to the vendored SDKs (../shared/vendor) or MODDABLE; CI makes this a failure'
  : missing.length > 0 ? `needs Debian packages: ${missing.join(' ')}` : false;

const OUT = join(ROOT, 'dist', 'board-test');
let sdk: BoardSdk;
const builds: Partial<Record<'pico' | 'esp32-devkitc', FirmwareInfo>> = {};
let vmsBuild: FirmwareInfo;

describe('the board build with the stock Moddable SDK', { skip }, () => {
  before(async () => {
    assert.ok(haveSdk, 'test:board needs $XSVISOR_VENDOR (CI sets it to ../shared/vendor) or $MODDABLE');
    sdk = await findBoardSdk(process.env, (line) => process.stderr.write(`test:board: ${line}\n`));
    for (const board of ['pico', 'esp32-devkitc'] as const) {
      const t0 = Date.now();
      builds[board] = await buildFirmware(sdk, { board, outDir: join(OUT, board) });
      process.stderr.write(`test:board: ${board} built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    // The Pico again, with a monitor configuration in flash: two echo guests (tests/host/moddable-fixtures.ts, 12 KiB
    // of RAM each: the Pico's XS heap holds two small VMs, docs/moddable.md), the second built to wedge itself on 'c'.
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-vms-'));
    writeFileSync(join(dir, 'echo.elf'), echoGuest());
    writeFileSync(join(dir, 'crash.elf'), echoGuest({ crashOn: 'c' }));
    writeFileSync(join(dir, 'vms.json'), JSON.stringify({
      board: 'pico',
      vms: [
        { name: 'a', image: 'echo.elf', ram: '12KiB', uart: 'console', pins: { 1: 'button' } },
        { name: 'b', image: 'crash.elf', ram: '12KiB', uart: 'console' },
      ],
    }));
    vmsBuild = await buildFirmware(sdk, { config: join(dir, 'vms.json'), outDir: join(OUT, 'pico-vms') });
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`test:board: pico with two VMs built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  });

  for (const board of ['pico', 'esp32-devkitc'] as const) {
    it(`${board}: mcconfig preloads every module the app reaches, and xsl moves them to flash`, () => {
      const info = builds[board]!;
      const app = appModules(ROOT) as string[];
      for (const m of app) assert.ok(info.preloads.includes(m), `${m} is not in the preload list mcconfig generated`);
      assert.ok(info.xslInstances > 1000, `xsl preloaded ${info.xslInstances} instances`);
      // Only the IO the app uses: no network, audio or display module was built in.
      assert.deepEqual(info.preloads.filter((p) => /wifi|sntp|socket|audio|piu|commodetto|net\b/i.test(p)), []);
    });
  }

  it('pico: a whole firmware, with one board file and one guest in flash', () => {
    const info = builds.pico!;
    assert.equal(info.kind, 'uf2');
    assert.ok(readFileSync(join(OUT, 'pico', 'xsvisor.uf2')).length > 512 * 1024);
    assert.ok(info.stdioUsbOut !== undefined && info.stdioUsbOut > 0x1000_0000);
    assert.ok(info.sizes !== undefined && info.sizes.flash > 0 && info.sizes.ram > 0);
    process.stderr.write(`test:board: pico firmware: flash ${info.sizes.flash} B, static RAM ${info.sizes.ram} B, ${info.preloads.length} preloads, ${info.xslInstances} instances\n`);
  });

  it('esp32: every stage up to ESP-IDF (tsc, xsc, xsl, mcrez), and it says where it stopped', () => {
    const info = builds['esp32-devkitc']!;
    if (info.kind === 'uf2') return;
    assert.equal(info.kind, 'xs-stages');
    assert.match(info.stoppedBefore ?? '', /ESP-IDF/);
    const xs = readFileSync(join(OUT, 'esp32-devkitc', 'mc.xs.c'), 'utf8');
    assert.match(xs, /src\/cpu\/hart/);
    const resources = readFileSync(join(OUT, 'esp32-devkitc', 'mc.resources.c'), 'utf8');
    assert.match(resources, /board\.json/);
    assert.match(resources, /guest\.elf/);
    assert.doesNotMatch(resources, /host-sim|pico\.json/);
  });

  // Moddable's simulator needs its build/simulators folder (not in the vendored SDK) and GTK 3.
  const simulator = (): string | false => {
    if (!existsSync(join(sdk.moddable, 'build', 'simulators', 'manifest.json'))) return `${sdk.moddable} has no build/simulators (the vendored SDK leaves it out)`;
    if (spawnSync('pkg-config', ['--exists', 'gtk+-3.0']).status !== 0) return 'GTK 3 is not installed (libgtk-3-dev)';
    return false;
  };
  it("the Moddable simulator (lin): mcconfig builds the app for mcsim with the simulator board", async (t) => {
    const why = simulator();
    if (why !== false) {
      t.skip(why);
      return;
    }
    // -t build: make the simulator's app library, without opening mcsim and xsbug windows.
    const r = spawnSync('mcconfig', ['-d', '-m', '-t', 'build', '-p', 'lin', 'manifest.json', 'guest=guest.elf'],
      { cwd: ROOT, env: { ...sdk.env, XSVISOR_BOARD: join(ROOT, 'boards', 'moddable-sim') }, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });

  describe('the Pico firmware in rp2040js', () => {
    let backend: StartedSerialBackend | null = null;
    let session: PicoSession | null = null;
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-board-'));
    after(async () => {
      session?.close();
      await backend?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("boots the demo and passes its scenario through `xsvisor hil` on the pty, and through the pins", async () => {
      const { uf2, info } = readFirmware(join(OUT, 'pico'));
      const board = parseBoard(readFileSync(join(ROOT, 'boards', 'pico.json'), 'utf8'), 'boards/pico.json');
      let connected!: () => void;
      const attached = new Promise<void>((resolve) => { connected = resolve; });
      backend = await startSerialBackend({ kind: 'pty' }, { onConnect: () => connected() });
      const pty = backend.endpoint.replace(/^pty:/, '');
      let transcript = '';
      const usb: string[] = [];
      session = new PicoSession({
        board, uf2, bootrom: await loadBootrom(), stdioUsbOut: info.stdioUsbOut, serial: backend.factory,
        onConsoleByte: (b) => { transcript += String.fromCharCode(b); },
        onUsbLine: (line) => usb.push(line),
      });
      const s = session;

      const scenario = join(dir, 'demo.json');
      writeFileSync(scenario, JSON.stringify({
        name: 'demo on the emulated pico',
        timeout: 180,
        steps: [
          { expect: 'xsvisor: board pico \\(rp2040\\)', name: 'the monitor starts' },
          { expect: "Type 'help' for the commands" },
          { expect: 'demo> ' },
          { send: 'help\r' },
          { expect: 'poweroff +exit through the test finisher' },
          { expect: 'demo> ' },
          { send: 'led on\r' },
          { expect: 'led on\\r?\\n' },
          { expect: 'demo> ' },
          // The test presses the button now (GP15 low), once it has seen the LED lit on GP25.
          { expect: 'button pressed \\(1\\)', name: 'the button press arrives by interrupt' },
          { send: 'button\r' },
          { expect: 'button pressed \\(line reads 0\\), pressed 1 times' },
          { expect: 'demo> ' },
          { send: 'uptime\r' },
          { expect: 'up \\d+\\.\\d{3} s' },
          { expect: 'demo> ' },
          { send: 'poweroff\r' },
          { expect: 'powering off' },
          { expect: 'xsvisor: guest exited with status 0 \\(test finisher\\)' },
        ],
      }));
      const hil = spawn(process.execPath, [join(ROOT, 'bin', 'xsvisor.js'), 'hil', '--port', pty, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
      let report = '';
      hil.stdout.on('data', (c: Buffer) => { report += c.toString(); });
      hil.stderr.on('data', (c: Buffer) => { report += c.toString(); });
      let hilExited = false;
      const hilDone = new Promise<number | null>((resolve) => hil.on('close', (code) => { hilExited = true; resolve(code); }));
      const why = (): string => `\n--- xsvisor hil:\n${report}\n--- console:\n${transcript}\n--- usb:\n${usb.join('\n')}`;
      await attached;

      // The pins, while the board runs: the LED goes high only once `led on` is typed; then the button is held until the guest has read it.
      const pins = (async (): Promise<void> => {
        assert.ok(await s.runUntil(() => hilExited || /poweroff +exit through the test finisher/.test(transcript), 120e9), `the guest answered \`help\`${why()}`);
        assert.notEqual(s.outputLevel('led'), 1, 'GP25 is not high before `led on`');
        assert.ok(await s.runUntil(() => hilExited || s.outputLevel('led') === 1, 120e9), `GP25 goes high after \`led on\`${why()}`);
        assert.match(transcript, /led on\r?\n/);
        s.press('button');
        assert.equal(s.pico.mcu.gpio[15]!.inputValue, false, 'GP15 reads low while the button is held');
        assert.ok(await s.runUntil(() => hilExited || /line reads 0/.test(transcript), 120e9), `the guest read the button held${why()}`);
        s.press('button', false);
      })();
      await pins;
      // Until the scenario ends (a failed step ends it at once); the monitor's last line follows its last expect.
      await s.runUntil(() => hilExited, 180e9);
      const outcome = await s.run(s.pico.simNs + 30e9);
      const status = await hilDone;
      assert.equal(status, 0, `xsvisor hil failed${why()}`);
      assert.deepEqual(outcome, { kind: 'exit', status: 0, line: 'xsvisor: guest exited with status 0 (test finisher)' });
      assert.ok(usb.includes('xsvisor: clock Time.ticks (1 ms)'), usb.join('\n'));
      const st = s.stats;
      process.stderr.write(`test:board: demo scenario: ${(st.simNs / 1e9).toFixed(1)} s simulated, ${(st.wallMs / 1000).toFixed(1)} s wall, ${(st.cycles / 1e6).toFixed(0)} M cycles\n`);
    });
  });

  describe('a monitor configuration in flash, on the Pico firmware in rp2040js', () => {
    let session: PicoSession | null = null;
    after(() => session?.close());

    it('boots two VMs: each answers on the shared console, pins stay with their VM, one crashes on purpose and the other answers on', async () => {
      const info = vmsBuild;
      assert.deepEqual(info.config?.vms.map((v) => [v.name, v.resource, v.ram]), [['a', 'vm-a.elf', 12288], ['b', 'vm-b.elf', 12288]]);
      const { uf2 } = readFirmware(join(OUT, 'pico-vms'));
      const board = parseBoard(readFileSync(join(ROOT, 'boards', 'pico.json'), 'utf8'), 'boards/pico.json');
      let transcript = '';
      const usb: string[] = [];
      session = new PicoSession({
        board, uf2, bootrom: await loadBootrom(), stdioUsbOut: info.stdioUsbOut,
        onConsoleByte: (b) => { transcript += String.fromCharCode(b); },
        onUsbLine: (line) => usb.push(line),
      });
      const s = session;
      const why = (): string => `\n--- console:\n${transcript}\n--- usb:\n${usb.join('\n')}`;
      const waitFor = async (re: RegExp, what: string): Promise<void> => {
        assert.ok(await s.runUntil(() => re.test(transcript) || usb.some((l) => l.startsWith('# ') || l.includes('PANIC')), 300e9) && re.test(transcript), `${what}${why()}`);
      };
      const send = (text: string): void => s.pico.sendToUart(0, [...text].map((c) => c.charCodeAt(0)));

      await waitFor(/xsvisor: board pico \(rp2040\), 2 VMs from flash:vms\.json, 24 KiB of 112 KiB guest RAM/, 'the monitor boots the configuration');
      await waitFor(/\[a\] xsvisor echo\n/, "a's banner, tagged");
      await waitFor(/\[b\] xsvisor echo\n/, "b's banner, tagged");
      // Both guests drive their GPIO line 0 (the LED's line on this board) high at once; neither was given the LED, so GP25 stays low.
      assert.notEqual(s.outputLevel('led'), 1, `GP25 is nobody's${why()}`);

      // VM b, in focus by Ctrl-A 2, answers; then 'c' wedges it in a trap loop (onFault stop).
      send('\x012');
      await waitFor(/console input now goes to VM 'b'/, 'Ctrl-A 2 moves the input');
      send('ping\n');
      await waitFor(/\[b\] ping\n/, 'b answers');
      send('c');
      await waitFor(/xsvisor: VM 'b' stopped by a fault: no progress: .* at pc 0x00000000/, 'the crash is caught by the no-progress rule');

      // VM a answers on (the input came back to it when b ended) and reads its own pin, the button on GP15.
      send('pong\n');
      await waitFor(/\[a\] pong\n/, 'a answers after the crash');
      s.press('button');
      send('q');
      await waitFor(/\[a\] qbye 0\n/, 'a reads the button held (line 1 low)');
      s.press('button', false);
      const outcome = await s.run(s.pico.simNs + 300e9);
      // As `xsvisor run --config`: the first VM that did not exit 0 decides; b's fault makes it 70.
      assert.deepEqual(outcome, { kind: 'exit', status: 70, line: 'xsvisor: all VMs ended, status 70' }, why());
      assert.match(transcript, /xsvisor: VM 'a' exited with status 0/);
      assert.notEqual(s.outputLevel('led'), 1, `GP25 stayed low${why()}`);
      assert.doesNotMatch(transcript, /refused by the serial port/);
      const st = s.stats;
      process.stderr.write(`test:board: two VMs: ${(st.simNs / 1e9).toFixed(1)} s simulated, ${(st.wallMs / 1000).toFixed(1)} s wall, ${(st.cycles / 1e6).toFixed(0)} M cycles\n`);
    });
  });
});
