/**
 * The run modes of `xsvisor run` under `--engine xs`, each against the
 * same command under `--engine node` (V8), spawned as users run them:
 * `--snapshot-save` / `--snapshot-load` across engines (with
 * `--deterministic`, a run cut by `--max-insns` and saved under one
 * engine, resumed under the other, prints exactly what the uninterrupted
 * V8 run prints; the two engines save the same bytes), the same refusals
 * (another image, a corrupt or missing file, an unwritable path), and
 * `--trace` / `--trace-file` / `--stats` giving V8's lines byte for byte,
 * and `--serial mon:tcp:PORT`'s Ctrl-A r and x acting as under V8.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts). Skipped when the XS
 * engine (xsnap-worker, built by `npm install`) is missing; in CI
 * (CI=true) a missing engine fails instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry, xsEngineMissing, runEngine, type CliResult } from './cli-entry.js';
import { freePort, until } from './waits.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const g = (name: string): string => join(root, 'guests', 'bin', `${name}.elf`);
let entry = '';
let tmp = '';

const skip = xsEngineMissing();

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-xs-modes-'));
  if (skip === false) entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

type Result = CliResult;
type Engine = 'node' | 'xs';

/** `xsvisor run --engine ENGINE ARGS...`, stdin empty (a hang guard of 180_000 ms). */
const run = (engine: Engine, args: string[]): Promise<Result> => runEngine(engine, args, 180_000);

const file = (name: string): string => join(tmp, name);
const other = (e: Engine): Engine => (e === 'xs' ? 'node' : 'xs');

/**
 * Runs `target` whole under V8, then for each cut: saved under `saver`
 * after `n` instructions, resumed under the other engine; the two outputs
 * joined must be V8's whole output, with its status. Returns the snapshots.
 */
async function crossResume(saver: Engine, target: string[], cuts: readonly number[]): Promise<Uint8Array[]> {
  const whole = await run('node', ['--deterministic', ...target]);
  assert.notEqual(whole.status, null);
  const snaps: Uint8Array[] = [];
  for (const n of cuts) {
    const snap = file(`${saver}-${n}-${target.length}.bin`);
    const first = await run(saver, ['--deterministic', '--max-insns', String(n), '--snapshot-save', snap, ...target]);
    assert.equal(first.status, 125, `cut at ${n} under ${saver}: ${first.stderr}`);
    const rest = await run(other(saver), ['--deterministic', '--snapshot-load', snap, ...target]);
    assert.equal(rest.status, whole.status, `status after a cut at ${n} under ${saver}: ${rest.stderr}`);
    assert.equal(first.stdout + rest.stdout, whole.stdout, `output after a cut at ${n} under ${saver}, resumed under ${other(saver)}`);
    snaps.push(new Uint8Array(readFileSync(snap)));
  }
  return snaps;
}

const sbi = ['--firmware', 'sbi', '--ram', '16MiB', g('sbi')];

describe('--engine xs: --snapshot-save and --snapshot-load across engines', { skip }, () => {
  it('hello.elf and isa-irq.elf: saved under XS, resumed under V8, and the reverse; both engines save the same bytes', async () => {
    for (const [target, cuts] of [[[g('hello')], [777, 3333]], [[g('isa-irq')], [100, 900, 1500]]] as const) {
      const fromXs = await crossResume('xs', [...target], cuts);
      const fromNode = await crossResume('node', [...target], cuts);
      fromXs.forEach((s, i) => assert.deepEqual(s, fromNode[i], `${target[0]}: the snapshots at ${cuts[i]} differ between engines`));
    }
  });

  it('sbi.elf under firmware sbi: saved under one engine, resumed under the other', async () => {
    await crossResume('xs', sbi, [20000]);
    await crossResume('node', sbi, [33333]);
  });

  it('a snapshot saved at the guest exit under XS exits again under V8 at once, printing nothing', async () => {
    const snap = file('exit.bin');
    assert.equal((await run('xs', ['--deterministic', '--snapshot-save', snap, g('htif-fail')])).status, 3);
    const again = await run('node', ['--deterministic', '--snapshot-load', snap, g('htif-fail')]);
    assert.equal(again.status, 3);
    assert.equal(again.stdout, '');
  });

  it('SIGTERM under XS: the VM is saved, the status is 143, and V8 resumes it with the input that follows', async () => {
    const snap = file('term.bin');
    // A small RAM: XS scans 128 MiB for the pages to save in seconds, and a stopped worker gets 10 s (engine.ts) on a loaded machine.
    const child = spawn(process.execPath, [entry, 'run', '--engine', 'xs', '--deterministic', '--ram', '16MiB', '--snapshot-save', snap, g('echo')], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => {
      out += d;
      if (out.includes('ab')) child.kill('SIGTERM');
    });
    let errText = '';
    child.stderr.setEncoding('latin1').on('data', (d: string) => (errText += d));
    child.stdin.write('ab');
    const status = await new Promise<number | null>((resolve) => child.on('close', (s) => resolve(s)));
    assert.equal(status, 143, errText);
    assert.equal(out, 'ab');
    const rest = await new Promise<Result>((resolve, reject) => {
      const c = spawn(process.execPath, [entry, 'run', '--deterministic', '--ram', '16MiB', '--snapshot-load', snap, g('echo')], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      c.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
      c.on('error', reject);
      c.on('close', (s) => resolve({ status: s, stdout, stderr: '' }));
      c.stdin.end('cdq');
    });
    assert.equal(rest.status, 0);
    assert.equal(rest.stdout, 'cdq');
  });

  it('refusals: another image, a corrupt or missing file (65), an unwritable path (73), with the same message under both', async () => {
    const snap = file('hello.bin');
    assert.equal((await run('node', ['--deterministic', '--max-insns', '500', '--snapshot-save', snap, g('hello')])).status, 125);
    const bytes = readFileSync(snap);
    bytes[bytes.length - 9] ^= 0xff; // inside the last section: its CRC no longer holds
    writeFileSync(file('corrupt.bin'), bytes);
    const cases: [string[], number, RegExp][] = [
      [['--snapshot-load', snap, g('isa-irq')], 65, /snapshot mismatch \(image\): taken from an image of/],
      [['--snapshot-load', file('corrupt.bin'), g('hello')], 65, /corrupt\.bin: /],
      [['--snapshot-load', file('none.bin'), g('hello')], 65, /none\.bin: cannot read the snapshot: no such file/],
      [['--snapshot-save', join(tmp, 'no', 'dir', 's.bin'), g('hello')], 73, /cannot write the snapshot there: no such directory/],
    ];
    for (const [args, status, pattern] of cases) {
      const [node, xs] = await Promise.all([run('node', ['--deterministic', ...args]), run('xs', ['--deterministic', ...args])]);
      assert.equal(node.status, status, node.stderr);
      assert.match(node.stderr, pattern);
      assert.equal(xs.status, node.status, `${args.join(' ')}: ${xs.stderr}`);
      assert.equal(xs.stderr, node.stderr);
      assert.equal(xs.stdout, '');
    }
  });
});

describe('--engine xs: --trace, --trace-file and --stats give V8\'s lines', { skip }, () => {
  it('every category of isa-irq.elf and of sbi.elf under firmware sbi, in a trace file, byte for byte', async () => {
    for (const target of [[g('isa-irq')], sbi]) {
      const args = (e: Engine): string[] => ['--deterministic', '--trace', 'all', '--trace-file', file(`${e}.trace`), ...target];
      const [node, xs] = await Promise.all([run('node', args('node')), run('xs', args('xs'))]);
      assert.equal(node.status, 0, node.stderr);
      assert.equal(xs.status, 0, xs.stderr);
      assert.equal(xs.stdout, node.stdout);
      const [n, x] = [readFileSync(file('node.trace'), 'latin1'), readFileSync(file('xs.trace'), 'latin1')];
      assert.match(n, /^\[ *\d+\] (trap|irq) /m);
      assert.equal(x, n, `${target.at(-1)}: the traces differ`);
    }
  });

  it('hello.elf traced to stderr: the whole stderr is V8\'s, and --stats counts the same', async () => {
    const [node, xs] = await Promise.all([
      run('node', ['--deterministic', '--trace', 'mmio,trap', g('hello')]),
      run('xs', ['--deterministic', '--trace', 'mmio,trap', g('hello')]),
    ]);
    assert.equal(node.status, 0);
    assert.ok(node.stderr.split('\n').length > 100, 'a trace of some length');
    assert.equal(xs.stderr, node.stderr);
    const stats = async (e: Engine): Promise<string> => (await run(e, ['--deterministic', '--stats', ...sbi])).stderr.replace(/^.*(wall time|MIPS).*\n/gm, '');
    const [ns, xst] = await Promise.all([stats('node'), stats('xs')]);
    assert.match(ns, /sbi calls: [1-9]/);
    assert.equal(xst, ns);
  });
});

describe('--engine xs: --serial mon:tcp:PORT, the monitor\'s keys', { skip }, () => {
  for (const engine of ['node', 'xs'] as const) {
    it(`${engine}: Ctrl-A r restarts demo.elf (its banner again, said on stderr), Ctrl-A x quits with 0`, async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [entry, 'run', '--engine', engine, '--serial', `mon:tcp:${port}`, '--timeout', '120', g('demo')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const checks: (() => void)[] = [];
      const fire = (): void => checks.forEach((c) => c());
      child.stderr.setEncoding('latin1').on('data', (t: string) => {
        stderr += t;
        fire();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
      await until((c) => checks.push(c), () => stderr.includes('waiting for a client'), 'banner of the TCP port');
      const sock = connect(port, '127.0.0.1');
      let got = '';
      sock.setEncoding('latin1').on('data', (t: string) => {
        got += t;
        fire();
      });
      try {
        await until((c) => checks.push(c), () => got.includes('xsvisor demo: UART0 input') && got.endsWith('demo> '), 'first prompt');
        got = '';
        sock.write(Uint8Array.of(0x01, 0x72));
        await until((c) => checks.push(c), () => got.includes('xsvisor demo: UART0 input') && got.endsWith('demo> '), 'banner after Ctrl-A r');
        await until((c) => checks.push(c), () => stderr.includes('guest restarted (Ctrl-A r)'), 'restart message');
        sock.write(Uint8Array.of(0x01, 0x78));
        assert.equal(await exited, 0, stderr);
      } finally {
        sock.destroy();
        child.kill('SIGKILL');
      }
    });
  }
});
