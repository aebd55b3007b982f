/**
 * `xsvisor hil` end to end, as CI runs it on every commit: the demo guest
 * runs on the host simulation with its UART on a pseudo-terminal
 * (`xsvisor run --serial mon:pty`, the monitor's Ctrl-A escapes on), and
 * `xsvisor hil --port /dev/pts/N` drives it through npm `serialport`:
 * a passing scenario (a command and its answer, a restart through the
 * monitor's Ctrl-A r, the boot banner again), a failing one (TAP `not ok`,
 * exit 1), JUnit output (checked with Python's XML parser, an independent
 * one), a DTR reset on a pty (no modem lines: a failed step with the OS's
 * words, no crash), bad scenarios (65, checked before the port opens), a
 * port that does not exist (69), and Ctrl-A x ending the run.
 *
 * Uses the compiled CLI (bin/xsvisor.js; `npm test` builds dist/ first).
 * Needs python3 (the pty relay, and the XML check); skipped without it
 * unless CI is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'xsvisor.js');
const fixtures = join(root, 'tests', 'host', 'fixtures', 'hil');
const demo = join(root, 'guests', 'bin', 'demo.elf');

const hasPython = spawnSync('python3', ['-c', 'import pty, termios, xml.etree.ElementTree'], { stdio: 'ignore' }).status === 0;
const skip = hasPython || process.env.CI !== undefined ? false : 'python3 (pty, termios, xml) is not installed';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `xsvisor ARGS` to its end (bounded). */
function xsvisor(args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`xsvisor ${args.join(' ')} did not end within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The TAP test points of a report: [ok, number, description]. */
function points(tap: string): [boolean, number, string][] {
  return tap.split('\n').filter((l) => /^(not )?ok [0-9]+ - /.test(l)).map((l) => {
    const m = /^(not )?ok ([0-9]+) - (.*)$/.exec(l)!;
    return [m[1] === undefined, Number(m[2]), m[3]];
  });
}

/** Python's ElementTree reads the JUnit report (it refuses anything not well-formed); returns what it found. */
function junitByPython(xml: string): { tests: string; failures: string; skipped: string; cases: { name: string; failure: string | null; skipped: boolean; out: string | null }[] } {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
suite = root.find('testsuite')
cases = []
for c in suite.findall('testcase'):
    f = c.find('failure')
    o = c.find('system-out')
    cases.append({'name': c.get('name'), 'failure': None if f is None else f.get('message'), 'skipped': c.find('skipped') is not None, 'out': None if o is None else (o.text or '')})
print(json.dumps({'tests': root.get('tests'), 'failures': root.get('failures'), 'skipped': root.get('skipped'), 'cases': cases}))
`;
  const r = spawnSync('python3', ['-c', script], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, `python3 could not parse the report: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof junitByPython>;
}

describe('xsvisor hil against the demo guest on a pty', { skip }, () => {
  let run: ChildProcess | null = null;
  let runStderr = '';
  let runExit: Promise<number | null> = Promise.resolve(null);
  let pty = '';
  let tmp = '';

  before(async () => {
    assert.ok(existsSync(join(root, 'dist', 'host', 'cli', 'xsvisor.js')), 'dist/ is missing: run `npm run build` first');
    tmp = mkdtempSync(join(tmpdir(), 'xsvisor-hil-pty-'));
    const child = spawn(process.execPath, [bin, 'run', '--serial', 'mon:pty', demo], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    run = child;
    runExit = new Promise((resolve) => child.on('close', (status) => resolve(status)));
    // The pty is announced on stderr (as QEMU does); a run that ends first never will.
    pty = await new Promise<string>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (t: string) => {
        runStderr += t;
        const m = /char device redirected to (\/dev\/pts\/[0-9]+)/.exec(runStderr);
        if (m !== null) resolve(m[1]);
      });
      child.on('close', () => reject(new Error(`no pty announced; stderr: ${runStderr}`)));
    });
  }, { timeout: 60_000 });

  after(async () => {
    if (run !== null && run.exitCode === null && run.signalCode === null) {
      run.kill('SIGTERM');
      await runExit;
    }
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('passes a scenario: a command and its answer, a restart by Ctrl-A r, the banner again', async () => {
    const r = await xsvisor(['hil', '--port', pty, join(fixtures, 'demo-pass.json')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^TAP version 14\n/);
    assert.match(r.stdout, /\n1\.\.9\n/);
    const p = points(r.stdout);
    assert.equal(p.length, 9);
    assert.ok(p.every(([good]) => good), r.stdout);
    assert.deepEqual(p.map(([, n]) => n), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(p[3][2], 'restart through the monitor');
    // The help text went into the first log, the fresh boot's banner into the second.
    assert.match(r.stdout, /# help output: [0-9]+ characters\n(#   .*\n)*#   commands:\n/);
    assert.match(r.stdout, /# after reset: [0-9]+ characters\n#   xsvisor demo: UART0 input/);
    assert.match(r.stdout, /\n  duration_ms: [0-9]+\.[0-9]{3}\n/);
    assert.match(runStderr, /guest restarted \(Ctrl-A r\)/);
  });

  it('fails a scenario whose output never comes: not ok, the rest skipped, exit 1', async () => {
    const r = await xsvisor(['hil', '--port', pty, join(fixtures, 'demo-fail.json')]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const p = points(r.stdout);
    assert.deepEqual(p.map(([good, n]) => [good, n]), [[true, 1], [true, 2], [false, 3], [true, 4], [true, 5]]);
    assert.equal(p[2][2], 'a word the demo never prints');
    assert.match(p[3][2], /# SKIP an earlier step failed$/);
    assert.match(r.stdout, /\n  message: "no match for \/no such output, ever\/ within 0.5 s/);
    assert.match(r.stderr, /step 3 \(a word the demo never prints\) failed/);
  });

  it('writes well-formed JUnit XML with a testcase per step and the right counts', async () => {
    const out = join(tmp, 'fail.xml');
    const r = await xsvisor(['hil', '--port', pty, '--format', 'junit', '--output', out, join(fixtures, 'demo-fail.json')]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const j = junitByPython(readFileSync(out, 'utf8'));
    assert.deepEqual([j.tests, j.failures, j.skipped], ['5', '1', '2']);
    assert.equal(j.cases.length, 5);
    assert.deepEqual(j.cases.map((c) => c.failure !== null), [false, false, true, false, false]);
    assert.deepEqual(j.cases.map((c) => c.skipped), [false, false, false, true, true]);
    assert.match(j.cases[2].failure ?? '', /no match for/);

    const pass = await xsvisor(['hil', '--port', pty, '--format=junit', join(fixtures, 'demo-pass.json')]);
    assert.equal(pass.status, 0, pass.stderr);
    const k = junitByPython(pass.stdout);
    assert.deepEqual([k.tests, k.failures, k.skipped], ['9', '0', '0']);
    assert.match(k.cases[2].out ?? '', /commands:/);
    assert.match(k.cases[8].out ?? '', /xsvisor demo: UART0 input/);
  });

  it('reports DTR on a pty (no modem lines) as a failed step with the OS error, without crashing', async () => {
    const r = await xsvisor(['hil', '--port', pty, join(fixtures, 'pty-dtr.json')]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    const p = points(r.stdout);
    assert.deepEqual(p.map(([good]) => good), [true, true, false, true]);
    // Linux says ENOTTY ("Inappropriate ioctl for device") for TIOCMSET on a pty.
    const msg = /\n  message: (".*")\n/.exec(r.stdout);
    assert.ok(msg !== null, r.stdout);
    assert.match(JSON.parse(msg[1]) as string, new RegExp(`^cannot set DTR on ${pty}: \\S.*`));
    if (process.platform === 'linux') assert.match(msg[1], /Inappropriate ioctl for device/);
  });

  it('refuses bad scenarios with 65, naming the file and the JSON path, before opening the port', async () => {
    const cases: [string, string][] = [
      ['{"name": "b", "steps": [{"send": "x"}, {"expect": "a", "timeout": -2}]}', '$.steps[1].timeout: -2 is not a number of seconds'],
      ['{"name": "b", "steps": [{"reset": "power"}]}', '$.steps[0].reset: must be "dtr", "rts" or "monitor"'],
      ['{"name": "b", "steps": [{"expect": "(unclosed"}]}', '$.steps[0].expect: not a valid regular expression'],
      ['{"name": "b", "steps": [{"send": "x",}]}', '$: not valid JSON'],
    ];
    for (const [i, [json, words]] of cases.entries()) {
      const file = join(tmp, `bad${i}.json`);
      writeFileSync(file, json);
      // A port that does not exist: 65, not 69, shows the scenario is checked first.
      const r = await xsvisor(['hil', '--port', '/dev/xsvisor-no-such-port', file]);
      assert.equal(r.status, 65, r.stderr);
      assert.ok(r.stderr.includes(`${file}: ${words}`), r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  it('exits 69 naming the path and the OS error when the port cannot be opened', async () => {
    const r = await xsvisor(['hil', '--port', '/dev/xsvisor-no-such-port', join(fixtures, 'demo-pass.json')]);
    assert.equal(r.status, 69);
    assert.equal(r.stderr, 'xsvisor hil: cannot open serial port /dev/xsvisor-no-such-port: No such file or directory\n');
  });

  // The timeout only keeps a run that never ends from hanging the suite.
  it('Ctrl-A x through the monitor escape ends the run with status 0 (last: it stops the guest)', { timeout: 60_000 }, async () => {
    const file = join(tmp, 'quit.json');
    writeFileSync(file, JSON.stringify({ name: 'quit', steps: [{ send: '\u0001x', name: 'Ctrl-A x' }] }));
    const r = await xsvisor(['hil', '--port', pty, file]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const status = await runExit;
    assert.equal(status, 0, runStderr);
    assert.match(runStderr, /terminated \(Ctrl-A x\)/);
  });
});
