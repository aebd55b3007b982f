/**
 * What `npm start` does, end to end: the `xsvisor` command runs the demo
 * guest with `--view` on the host-sim board; the test reads the view's URL
 * from stderr, opens it in headless Chromium (Debian's `chromium`, driven
 * by playwright-core), types `led on` on the command's stdin and sees the
 * LED lit in the page, clicks the page's button and sees the guest report
 * `button pressed` on stdout, finds the console mirrored in the page, then
 * types `poweroff`: exit status 0, and the page says the guest exited. A
 * screenshot is left in /tmp/xsvisor-demo.png. The same under `--engine
 * xs` (the pins in the XS worker, their changes reported to the page here).
 *
 * The CLI spawned is dist/'s build (cli-entry.ts). Skipped with a message
 * when Chromium is not installed, unless CI is set: in CI it must run.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, haveChromium, openViewPage, type ViewPage } from './chromium.js';
import { cliEntry, xsEngineMissing } from './cli-entry.js';

const SCREENSHOT = '/tmp/xsvisor-demo.png';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demo = join(root, 'guests', 'bin', 'demo.elf');
const skip = !existsSync(demo)
  ? 'guests/bin/demo.elf not built'
  : haveChromium || process.env.CI !== undefined
    ? false
    : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); CI is unset, so the demo's browser test is skipped`;

let entry = '';
/** Both engines when the XS engine is built (in CI it must be). */
const engines = xsEngineMissing() === false ? (['node', 'xs'] as const) : (['node'] as const);

before(() => {
  if (skip === false) entry = cliEntry();
});

/** The spawned command and what it printed so far. */
class Cli {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [entry, ...args], { cwd: root });
    this.child.stdout.setEncoding('latin1').on('data', (d: string) => (this.stdout += d));
    this.child.stderr.setEncoding('latin1').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Waits until `pattern` matches stdout or stderr (`where`); returns the match. */
  async waitFor(where: 'stdout' | 'stderr', pattern: RegExp, what: string, ms = 20_000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this[where].match(pattern);
      if (m !== null) return m;
      if (Date.now() > end || this.child.exitCode !== null) {
        throw new Error(`${what}: not seen on ${where} in ${ms} ms\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  type(text: string): void {
    this.child.stdin.write(text);
  }
}

describe('npm start: the demo with the live board view, in Chromium', { skip }, () => {
  for (const engine of engines) {
    it(`${engine}: typed commands light the LED in the page, a click on the button reaches the guest, poweroff exits 0`, { timeout: 180_000 }, async () => {
      assert.ok(haveChromium, `CI is set but Chromium is missing at ${CHROMIUM}: install it (apt-get install chromium)`);
      const cli = new Cli(['run', '--engine', engine, '--view', '--timeout', '120', demo]);
      let view: ViewPage | null = null;
      try {
        const url = (await cli.waitFor('stderr', /board view at (http:\/\/127\.0\.0\.1:[0-9]+\/)\n/, 'the view URL'))[1];
        await cli.waitFor('stdout', /demo> $/, 'the prompt');

        view = await openViewPage(url, { pageTimeoutMs: 15_000, consoleErrors: false });
        const { page, failures } = view;
        await page.goto(url);
        await page.waitForSelector('body[data-connection="live"]');
        const led = page.locator('.led[data-line="led"]');
        assert.equal(await led.getAttribute('data-lit'), 'false', 'the demo starts with the LED off');

        // Typed on the terminal (here: the command's stdin, where Enter is CR as on a raw terminal).
        cli.type('led on\r');
        await cli.waitFor('stdout', /demo> led on\nled on\ndemo> $/, 'the answer to led on');
        await page.waitForSelector('.led[data-line="led"][data-lit="true"]');

        // The console is mirrored in the page.
        await page.waitForFunction(() => {
          const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } } }).document;
          return (doc.getElementById('console').textContent ?? '').includes('led on');
        });

        // A click on the page's button: a press the guest takes from its GPIO interrupt.
        await page.locator('.button[data-line="button"]').click();
        await cli.waitFor('stdout', /demo> \nbutton pressed \(1\)\ndemo> $/, 'the guest reporting the press');

        cli.type('led off\r');
        await page.waitForSelector('.led[data-line="led"][data-lit="false"]');
        cli.type('led on\r');
        await page.waitForSelector('.led[data-line="led"][data-lit="true"]');
        if (engine === 'node') await page.screenshot({ path: SCREENSHOT, fullPage: true });

        cli.type('poweroff\r');
        assert.equal(await cli.exited, 0, cli.stderr);
        assert.match(cli.stdout, /powering off\n$/);
        await page.waitForSelector('body[data-connection="stopped"]');
        assert.equal(String(await page.locator('#status').textContent()).trim(), 'guest exited (status 0)');
        assert.deepEqual(failures, []);
      } finally {
        if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
        await view?.close();
      }
    });
  }
});
