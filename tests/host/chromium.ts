/**
 * Headless Chromium for the board view's browser tests (demo-view,
 * view-browser): where it is, and one page opened on a view's URL that
 * records what must not happen there (page errors, requests leaving the
 * view, and when asked console errors).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

/** The Chromium binary: $CHROMIUM_PATH, else Debian's. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Whether it is installed. */
export const haveChromium = existsSync(CHROMIUM);

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page on a board view: `failures` collects what went wrong in it; `close()` ends the browser and removes its profile. */
export interface ViewPage {
  readonly page: Page;
  readonly failures: string[];
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile and a 1040x1000 page whose actions
 * wait at most `pageTimeoutMs`, recording page errors, requests to anything
 * but `url` (and data: URLs), and console errors when `consoleErrors`. The
 * caller navigates. Rejects when Chromium does not start within 30 s.
 */
export async function openViewPage(url: string, options: { pageTimeoutMs: number; consoleErrors: boolean }): Promise<ViewPage> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'xsvisor-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1040, height: 1000 },
      timeout: 30_000,
    });
    const close = async (): Promise<void> => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    };
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(options.pageTimeoutMs);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    if (options.consoleErrors) {
      page.on('console', (m) => {
        if (m.type() === 'error') failures.push(`console error: ${m.text()}`);
      });
    }
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:')) failures.push(`request outside the view: ${r.url()}`);
    });
    return { page, failures, close };
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}
