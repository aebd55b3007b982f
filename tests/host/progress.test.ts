/**
 * Progress of long runs (host/progress.ts, issue 16): where it goes for
 * each mode and stream, what a status line does to the run's own
 * messages, and the CLI showing it under both engines on a guest that
 * runs until it is stopped. Every wait is on an event (a write, a line).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { formatCount, formatElapsed, ProgressDisplay, progressSink } from '../../host/progress.js';
import { cliEntry, REPO_ROOT, xsEngineMissing } from './cli-entry.js';

/** A stream that records writes and resolves waiters on each one. */
class FakeStream {
  readonly writes: string[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.writes.push(text);
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  /** Resolves at the next write that satisfies `test`. */
  async until(test: (text: string) => boolean): Promise<string> {
    for (;;) {
      const hit = this.writes.find(test);
      if (hit !== undefined) return hit;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

describe('progress: where it goes', () => {
  it('auto: nothing without a terminal; the title while the console is on it; else a status line', () => {
    assert.equal(progressSink('auto', false, false), 'none');
    assert.equal(progressSink('auto', false, true), 'none');
    assert.equal(progressSink('auto', true, true), 'title');
    assert.equal(progressSink('auto', true, false), 'status');
  });
  it('--progress: plain lines, or the status line when stderr is a terminal apart from the console', () => {
    assert.equal(progressSink('on', false, false), 'lines');
    assert.equal(progressSink('on', false, true), 'lines');
    assert.equal(progressSink('on', true, true), 'lines');
    assert.equal(progressSink('on', true, false), 'status');
  });
  it('--no-progress: nothing', () => {
    for (const tty of [false, true]) for (const console of [false, true]) assert.equal(progressSink('off', tty, console), 'none');
  });
  it('counts and times read short', () => {
    assert.equal(formatCount(9999), '9999');
    assert.equal(formatCount(12_345), '12.3 k');
    assert.equal(formatCount(1_234_567), '1.23 M');
    assert.equal(formatCount(2_500_000_000), '2.50 G');
    assert.equal(formatElapsed(0), '0:00');
    assert.equal(formatElapsed(75.9), '1:15');
    assert.equal(formatElapsed(3600), '60:00');
  });
});

describe('progress: the display', () => {
  it('sets the title between a push and a pop of the title stack, never writing plain text', async () => {
    const err = new FakeStream(true);
    const p = new ProgressDisplay({ mode: 'auto', stderr: err, consoleOnTerminal: true, label: 'x.elf', intervalMs: 5 });
    p.start(() => 2_000_000);
    const title = await err.until((t) => t.startsWith('\x1b]2;'));
    p.stop();
    assert.match(title, /^\x1b\]2;xsvisor: x\.elf: 2\.00 M instructions, [\d.]+ MIPS, 0:\d\d wall\x07$/);
    assert.equal(err.writes[0], '\x1b[22;2t');
    assert.equal(err.writes.at(-1), '\x1b[23;2t');
    assert.ok(err.writes.every((w) => w.startsWith('\x1b')), 'every write is a control sequence');
  });
  it('a status line is cleared before a message of the run and when it stops', async () => {
    const err = new FakeStream(true);
    const p = new ProgressDisplay({ mode: 'auto', stderr: err, consoleOnTerminal: false, label: 'x.elf', intervalMs: 5 });
    p.start(() => 42);
    await err.until((t) => t.includes('42 instructions'));
    p.write('xsvisor: a message\n');
    const i = err.writes.indexOf('xsvisor: a message\n');
    assert.equal(err.writes[i - 1], '\r\x1b[K', 'the status line is erased before the message');
    await err.until((t) => t.includes('42 instructions') && err.writes.lastIndexOf(t) > i);
    p.stop();
    assert.equal(err.writes.at(-1), '\r\x1b[K');
  });
  it('--progress without a terminal writes whole lines; --no-progress writes nothing', async () => {
    const err = new FakeStream(false);
    const p = new ProgressDisplay({ mode: 'on', stderr: err, consoleOnTerminal: false, label: 'y', intervalMs: 5 });
    p.start(() => 7);
    const line = await err.until((t) => t.includes('instructions'));
    p.stop();
    assert.match(line, /^xsvisor: y: 7 instructions, [\d.]+ MIPS, 0:\d\d wall\n$/);
    const quiet = new FakeStream(true);
    const q = new ProgressDisplay({ mode: 'off', stderr: quiet, consoleOnTerminal: false, label: 'y', intervalMs: 5 });
    q.start(() => 7);
    q.write('m\n');
    q.stop();
    assert.deepEqual(quiet.writes, ['m\n']);
  });
});

const PROGRESS_LINE = /^xsvisor: guests\/bin\/mips\.elf: ([\d.]+)( [kMG])? instructions, [\d.]+ MIPS, \d+:\d\d wall$/m;

/** Runs mips.elf (minutes of work) with --progress until the second progress line, then stops it with SIGTERM. */
function progressOf(engine: 'node' | 'xs'): Promise<{ lines: string[]; stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), 'run', '--engine', engine, '--progress', '--serial', 'none', join('guests', 'bin', 'mips.elf')], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XSVISOR_PROGRESS_SECONDS: '0.1' },
    });
    let stderr = '';
    let stdout = '';
    let stopped = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000); // a hang guard only
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      const lines = stderr.split('\n').filter((l) => PROGRESS_LINE.test(l) && !/: 0 instructions/.test(l));
      if (lines.length >= 2 && !stopped) {
        stopped = true; // once: a second SIGTERM after the run's handlers are gone would kill it outright
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(guard);
      resolve({ lines: stderr.split('\n').filter((l) => PROGRESS_LINE.test(l)), stdout, status });
    });
  });
}


describe('progress: the CLI', () => {
  for (const engine of ['node', 'xs'] as const) {
    it(`--engine ${engine} --progress: lines on stderr with a growing count, none on stdout, while a long guest runs`, { skip: engine === 'xs' ? xsEngineMissing() : false }, async () => {
      const r = await progressOf(engine);
      assert.equal(r.stdout, '', 'progress never reaches the console');
      const counts = r.lines.map((l) => {
        const m = PROGRESS_LINE.exec(l)!;
        return Number(m[1]) * ({ ' k': 1e3, ' M': 1e6, ' G': 1e9 }[m[2] ?? ''] ?? 1);
      });
      assert.ok(counts.length >= 2, `two progress lines at least:\n${r.lines.join('\n')}`);
      assert.ok(counts.at(-1)! > 0, 'the guest is seen running');
      for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! >= counts[i - 1]!, 'the count never goes back');
      assert.equal(r.status, 143, 'SIGTERM ends it as documented (128 + 15)');
    });
  }
});
