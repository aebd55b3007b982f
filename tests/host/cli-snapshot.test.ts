/**
 * `xsvisor run --snapshot-save FILE` / `--snapshot-load FILE`, spawned as
 * users run them (docs/snapshot.md). The issue's "done when": with
 * `--deterministic`, a run cut by `--max-insns N` and saved, then resumed
 * to its end, prints exactly what the uninterrupted run prints (the two
 * outputs concatenated) and ends with the same status: hello.elf,
 * isa-irq.elf (timer and software interrupts, cut in the middle of every
 * WFI the guest executes, found by running it in this process) and
 * sbi.elf under firmware sbi (a configuration), at several cut points.
 * Also: the wall-clock path (no --deterministic), a snapshot taken at the
 * guest's exit, SIGTERM saving before the usual 143, and every refusal
 * (another image, RAM size, clock mode; corrupt, truncated, not a
 * snapshot, missing) with status 65 and a message naming the problem.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstructionClock, VirtVm } from '../../src/monitor/index.js';
import { decodeVmSnapshot } from '../../src/snapshot/index.js';
import { cliEntry } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'guests', 'bin');
let entry = '';
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-cli-snapshot-'));
  entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

interface Result { status: number | null; stdout: string; stderr: string }

function cli(args: string[], input = ''): Result {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: root, input, timeout: 120_000, encoding: 'latin1' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const g = (name: string): string => join(bin, `${name}.elf`);
const file = (name: string): string => join(tmp, name);

/**
 * Runs `target` (an IMAGE, or `--config FILE`) whole, then cut at each of
 * `cuts` and resumed; asserts the concatenated outputs and the statuses.
 */
function checkResume(target: string[], cuts: readonly number[], extra: string[] = ['--deterministic']): void {
  const whole = cli(['run', ...extra, ...target]);
  assert.notEqual(whole.status, null);
  for (const n of cuts) {
    const snap = file(`cut-${n}.bin`);
    const first = cli(['run', ...extra, '--max-insns', String(n), '--snapshot-save', snap, ...target]);
    assert.equal(first.status, 125, `cut at ${n}: ${first.stderr}`);
    assert.match(first.stderr, /--max-insns/);
    const rest = cli(['run', ...extra, '--snapshot-load', snap, ...target]);
    assert.equal(rest.status, whole.status, `status after a cut at ${n}: ${rest.stderr}`);
    assert.equal(first.stdout + rest.stdout, whole.stdout, `output after a cut at ${n}`);
  }
}

/** Instruction counts at which the guest parks in WFI (run in this process, as the monitor steps it). */
function wfiSteps(image: string, limit: number): number[] {
  const clock = new InstructionClock();
  const vm = new VirtVm({ image: new Uint8Array(readFileSync(image)), clock });
  clock.bind(() => vm.instret);
  const out: number[] = [];
  for (let i = 0; i < limit; i++) {
    const exit = vm.run(1);
    if (exit.kind === 'idle') {
      out.push(vm.steps);
      clock.warpTo(exit.deadline);
    } else if (exit.kind !== 'budget') break;
  }
  vm.close();
  return [...new Set(out)];
}

describe('xsvisor run --snapshot-save / --snapshot-load: deterministic resume', () => {
  it('hello.elf: cut at several points, resumed, gives the whole run byte for byte', () => {
    checkResume([g('hello')], [1, 777, 2000, 3333, 4400]);
  });

  it('isa-irq.elf: cut in the middle of every WFI and elsewhere', () => {
    const wfi = wfiSteps(g('isa-irq'), 5000);
    assert.ok(wfi.length >= 1, 'the guest executes WFI');
    for (const n of wfi) {
      const snap = file(`wfi-${n}.bin`);
      assert.equal(cli(['run', '--deterministic', '--max-insns', String(n), '--snapshot-save', snap, g('isa-irq')]).status, 125);
      const s = decodeVmSnapshot(new Uint8Array(readFileSync(snap)));
      assert.equal(s.vm.idle, true, `the VM waits in WFI at ${n}`);
      assert.equal(s.hart.parked, true);
    }
    checkResume([g('isa-irq')], [...wfi, 100, 900, 1500]);
  });

  it('sbi.elf under firmware sbi (a one-VM configuration)', () => {
    const config = file('sbi.json');
    writeFileSync(config, JSON.stringify({ board: 'host-sim', deterministic: true, vms: [{ name: 's', image: g('sbi'), ram: '16MiB', firmware: 'sbi', uart: 'console' }] }));
    checkResume(['--config', config], [5000, 20000, 33333, 50000], []);
  });

  it('without --deterministic (the wall-clock path) hello still resumes where it stopped', () => {
    checkResume([g('hello')], [2500], []);
  });

  it('saved at the guest exit: the resumed VM exits again at once, printing nothing', () => {
    const snap = file('exit.bin');
    const first = cli(['run', '--deterministic', '--snapshot-save', snap, g('htif-fail')]);
    assert.equal(first.status, 3);
    const again = cli(['run', '--deterministic', '--snapshot-load', snap, g('htif-fail')]);
    assert.equal(again.status, 3);
    assert.equal(again.stdout, '');
  });

  it('SIGTERM: the VM is saved, the status is 143, and the snapshot resumes', async () => {
    const snap = file('term.bin');
    const child = spawn(process.execPath, [entry, 'run', '--deterministic', '--snapshot-save', snap, g('echo')], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('ab')) child.kill('SIGTERM');
    });
    let errText = '';
    child.stderr.on('data', (d: Buffer) => void (errText += d.toString()));
    child.stdin.write('ab');
    const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    assert.equal(status, 143, errText);
    assert.match(errText, /terminated by SIGTERM/);
    const s = decodeVmSnapshot(new Uint8Array(readFileSync(snap)));
    assert.equal(s.meta.deterministic, true);
    // The echo guest goes on from where it was: it echoes more input and quits on q.
    const rest = cli(['run', '--deterministic', '--snapshot-load', snap, g('echo')], 'cdq');
    assert.equal(rest.status, 0, rest.stderr);
    assert.equal(rest.stdout, 'cdq');
  });
});

describe('xsvisor run --snapshot-load: refusals', () => {
  const saved = (): string => {
    const snap = file('hello.bin');
    if (!existsSync(snap)) assert.equal(cli(['run', '--deterministic', '--max-insns', '1000', '--snapshot-save', snap, g('hello')]).status, 125);
    return snap;
  };

  /** boards/host-sim.json without its GPIO lines: a board whose guests see something else. */
  const otherBoard = (): string => {
    const path = file('other-board.json');
    const board = JSON.parse(readFileSync(join(root, 'boards', 'host-sim.json'), 'utf8')) as { name: string; gpio?: unknown; devices: string[] };
    board.name = 'other';
    board.devices = board.devices.filter((d) => d !== 'gpio');
    delete board.gpio;
    writeFileSync(path, JSON.stringify(board));
    return path;
  };

  it('another image, RAM size, clock mode or board: 65, naming the difference, no guest output', () => {
    const snap = saved();
    for (const [args, pattern] of [
      [['--deterministic', g('isa-irq')], /mismatch \(image\)/],
      [['--deterministic', '--ram', '64M', g('hello')], /mismatch \(ram\)/],
      [[g('hello')], /mismatch \(deterministic\)/],
      [['--deterministic', '--board', otherBoard(), g('hello')], /mismatch \(board\)/],
    ] as const) {
      const r = cli(['run', '--snapshot-load', snap, ...args]);
      assert.equal(r.status, 65, r.stderr);
      assert.match(r.stderr, pattern);
      assert.match(r.stderr, new RegExp(snap.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.equal(r.stdout, '');
    }
  });

  it('corrupt, truncated, not a snapshot, another version, missing: 65 with the reason', () => {
    const good = new Uint8Array(readFileSync(saved()));
    const flipped = good.slice();
    flipped[flipped.length >> 1] ^= 0x10;
    const version = good.slice();
    version[8] = 9;
    const cases: [string, Uint8Array | null, RegExp][] = [
      ['flipped.bin', flipped, /snapshot corrupt \(checksum\)/],
      ['short.bin', good.subarray(0, good.length - 100), /snapshot truncated/],
      ['text.bin', new TextEncoder().encode('hello, world\n'), /snapshot bad-magic/],
      ['version.bin', version, /snapshot unsupported-version/],
      ['missing.bin', null, /cannot read the snapshot: no such file/],
    ];
    for (const [name, bytes, pattern] of cases) {
      if (bytes !== null) writeFileSync(file(name), bytes);
      const r = cli(['run', '--deterministic', '--snapshot-load', file(name), g('hello')]);
      assert.equal(r.status, 65, `${name}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });

  it('usage: no file: 64; an unwritable save path: 73', () => {
    assert.equal(cli(['run', '--snapshot-save=', g('hello')]).status, 64);
    const r = cli(['run', '--deterministic', '--snapshot-save', join(tmp, 'no', 'such', 'dir', 's.bin'), g('hello')]);
    assert.equal(r.status, 73, r.stderr);
    assert.match(r.stderr, /cannot write the snapshot there: no such directory \(checked before the run\)/);
    // Checked before the run: the guest prints nothing, and a directory is refused too.
    assert.equal(r.stdout, '');
    const d = cli(['run', '--snapshot-save', tmp, g('hello')]);
    assert.equal(d.status, 73, d.stderr);
    assert.match(d.stderr, /is a directory/);
    assert.equal(d.stdout, '');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.includes('.tmp-')), [], 'the check leaves nothing behind');
  });
});
