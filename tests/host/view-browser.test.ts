/**
 * The board view end to end in headless Chromium (Debian's `chromium`,
 * driven by playwright-core): the guest lights the LED and the page shows
 * it lit, a click and a held Space key on the page's button move the input
 * pin, console output appears in the page, and closing the view shows it
 * stopped. A screenshot is left in /tmp/xsvisor-view.png.
 *
 * Skipped with a message when Chromium is not installed, unless CI is set:
 * in CI it must run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, haveChromium, openViewPage, type ViewPage } from './chromium.js';
import { parseBoard } from '../../src/board/index.js';
import { MemorySerial } from '../../src/ports/sim/index.js';
import { DigitalMode } from '../../src/ports/index.js';
import { BoardView, ConsoleMirror, SimulatedBoardPins } from '../../host/view/index.js';
import { FakeUart, waitFor } from './serial-helpers.js';

const SCREENSHOT = '/tmp/xsvisor-view.png';
const skip = haveChromium || process.env.CI !== undefined
  ? false
  : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); CI is unset, so the browser test is skipped`;


const root = fileURLToPath(new URL('../..', import.meta.url));

describe('board view in Chromium', { skip }, () => {
  it('shows the LED the guest lights, takes button presses from the page, mirrors the console', { timeout: 90_000 }, async () => {
    assert.ok(haveChromium, `CI is set but Chromium is missing at ${CHROMIUM}: install it (apt-get install chromium)`);
    const board = parseBoard(readFileSync(join(root, 'boards/host-sim.json'), 'utf8'), 'boards/host-sim.json');
    const pins = new SimulatedBoardPins({ lines: board.gpioLines });
    const mirror = new ConsoleMirror();
    // UART0 as the CLI wires it with --view: the real backend (here in memory) behind the mirror's tee.
    const uart = new FakeUart(mirror.tee(new MemorySerial().open));
    const view = new BoardView({ pins, console: mirror, boardName: board.name });
    const url = await view.start();
    assert.match(url, /^http:\/\/127\.0\.0\.1:[0-9]+\/$/);

    let browser: ViewPage | null = null;
    try {
      browser = await openViewPage(url, { pageTimeoutMs: 10_000, consoleErrors: true });
      const { page, failures } = browser;

      await page.goto(url);
      await page.waitForSelector('body[data-connection="live"]');
      const led = page.locator('.led[data-line="led"]');
      const button = page.locator('.button[data-line="button"]');
      assert.equal(await led.getAttribute('data-lit'), 'false');

      // The guest drives the LED line high, as the GPIO device does.
      const ledPin = pins.factory('led')({ mode: DigitalMode.Output });
      ledPin.write(1);
      await page.waitForSelector('.led[data-line="led"][data-lit="true"]');
      assert.match(String(await led.getAttribute('aria-label')), /: on$/);
      await page.waitForSelector('.chip[data-line="led"][data-level="1"]');

      // Console output, with colour codes the page strips.
      await waitFor(() => uart.budget > 0, 'the UART budget');
      await uart.sendAll('OpenSBI-ish boot\r\nHello from the guest! \x1b[32mgreen\x1b[0m ok\r\n$ ');
      await page.waitForFunction(() => {
        const t = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } } }).document.getElementById('console').textContent ?? '';
        return t.includes('Hello from the guest! green ok');
      });
      const consoleText = String(await page.locator('#console').textContent());
      assert.ok(!consoleText.includes('\x1b'), 'escape sequences are stripped');

      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // A click held on the button: pull-up, so pressed reads 0.
      assert.equal(pins.level('button'), 1);
      const box = await button.boundingBox();
      assert.ok(box !== null);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await waitFor(() => pins.level('button') === 0, 'the pin to go low while the button is held');
      assert.ok(pins.isPressed('button'));
      await page.waitForSelector('.button[data-line="button"][data-pressed="true"][aria-pressed="true"]');
      await page.mouse.up();
      await waitFor(() => pins.level('button') === 1, 'the pin to return high on release');
      await page.waitForSelector('.button[data-line="button"][data-pressed="false"]');

      // The keyboard: focus the button and hold Space.
      await button.focus();
      await page.keyboard.down('Space');
      await waitFor(() => pins.level('button') === 0, 'Space to press the button');
      await page.keyboard.up('Space');
      await waitFor(() => pins.level('button') === 1, 'releasing Space to release it');
      assert.equal(view.stats.presses, 4);

      ledPin.write(0);
      await page.waitForSelector('.led[data-line="led"][data-lit="false"]');

      await view.close('guest exited');
      await page.waitForSelector('body[data-connection="stopped"]');
      assert.equal(String(await page.locator('#status').textContent()).trim(), 'guest exited');
      assert.deepEqual(failures, []);
    } finally {
      await browser?.close();
      await view.close();
    }
  });
});
