/**
 * Every option of `xsvisor run` under `--engine xs`: the list the parser
 * knows (host/cli/args.ts RUN_OPTIONS) is walked, and each option must
 * either name the suite that runs it under XS against V8 (which must say
 * the option and the engine), or be refused with a reason README's
 * `--engine xs` paragraph gives. A new option that is neither fails here.
 *
 * The options no other suite runs under XS are run here against V8:
 * `--ram`, `--board` (a path), `--append`, `--dtb`, `--load` and
 * `--no-progress`, whose effects land in the snapshot both engines save
 * (the same bytes: the same RAM, tree and loaded file); `--serial none`;
 * and `--gdb-host` with `--gdb`, a raw RSP exchange giving the same replies.
 * Skipped without the XS engine (in CI it must be there).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_OPTIONS } from '../../host/cli/args.js';
import { buildVirtDeviceTree } from '../../src/machine/index.js';
import { cliEntry, REPO_ROOT, xsEngineMissing, runEngine, type CliResult } from './cli-entry.js';

/** Where each option is run under --engine xs against V8 (a suite in tests/host/, or this one). */
const COVERED: Readonly<Record<string, string>> = Object.freeze({
  '--ram': 'cli-xs-options.test.ts',
  '--max-insns': 'cli-engine-xs.test.ts',
  '--timeout': 'cli-engine-xs.test.ts',
  '--board': 'cli-xs-options.test.ts',
  '--serial': 'cli-xs-modes.test.ts',
  '--engine': 'cli-engine-xs.test.ts',
  '--config': 'cli-xs-config.test.ts',
  '--trace': 'cli-xs-modes.test.ts',
  '--trace-file': 'cli-xs-modes.test.ts',
  '--snapshot-save': 'cli-xs-modes.test.ts',
  '--snapshot-load': 'cli-xs-modes.test.ts',
  '--gdb': 'gdb-multiarch.test.ts',
  '--gdb-host': 'cli-xs-options.test.ts',
  '--gdb-vm': 'gdb-multiarch.test.ts',
  '--wait': 'gdb-multiarch.test.ts',
  '--tier': 'cli-engine-xs.test.ts',
  '--icount': 'cli-qemu-options.test.ts',
  '--firmware': 'cli-xs-modes.test.ts',
  '--append': 'cli-xs-options.test.ts',
  '--dtb': 'cli-xs-options.test.ts',
  '--load': 'cli-xs-options.test.ts',
  '--stats': 'cli-xs-modes.test.ts',
  '--view': 'demo-view.test.ts',
  '--deterministic': 'cli-qemu-options.test.ts',
  '--progress': 'progress.test.ts',
  '--no-progress': 'cli-xs-options.test.ts',
});

/** Options `--engine xs` refuses, each with the reason a board cannot do it (README says the same). None today. */
const REFUSED: Readonly<Record<string, string>> = Object.freeze({});

const g = (name: string): string => join(REPO_ROOT, 'guests', 'bin', `${name}.elf`);
const skip = xsEngineMissing();
let entry = '';
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-xs-options-'));
  if (skip === false) entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('every xsvisor run option under --engine xs', () => {
  it('is run under XS against V8 by a suite that names it, or refused with a reason in README', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const paragraph = /^- `--engine xs`:[^]*?(?=^- `)/m.exec(readme)?.[0] ?? '';
    assert.notEqual(paragraph, '', "README's --engine xs paragraph");
    for (const opt of RUN_OPTIONS) {
      const file = COVERED[opt];
      const reason = REFUSED[opt];
      assert.ok((file === undefined) !== (reason === undefined), `${opt}: neither covered under --engine xs nor refused (or both): add it to COVERED or REFUSED`);
      if (file !== undefined) {
        const path = join(REPO_ROOT, 'tests', 'host', file);
        assert.ok(existsSync(path), `${opt}: ${file} does not exist`);
        const text = readFileSync(path, 'utf8');
        assert.ok(text.includes(`'${opt}`), `${opt}: ${file} does not run it`);
        assert.match(text, /'xs'/, `${opt}: ${file} does not run --engine xs`);
      } else {
        assert.ok(paragraph.includes(`\`${opt}\``), `${opt}: refused under --engine xs but README's paragraph does not say so`);
      }
    }
    for (const opt of [...Object.keys(COVERED), ...Object.keys(REFUSED)]) assert.ok(RUN_OPTIONS.includes(opt), `${opt} is not an option any more`);
  });
});

type Result = CliResult;
type Engine = 'node' | 'xs';

/** `xsvisor run --engine ENGINE ARGS...`, stdin empty (a hang guard of 180_000 ms). */
const run = (engine: Engine, args: string[]): Promise<Result> => runEngine(engine, args, 180_000);

describe('the options no other suite runs under --engine xs, against V8', { skip }, () => {
  it('--ram, --board FILE, --append, --load, --no-progress; then --dtb: the same output and the same snapshot bytes', async () => {
    const data = join(tmp, 'data.bin');
    writeFileSync(data, Buffer.from('xsvisor --load under both engines\n'));
    const dtb = join(tmp, 'my.dtb');
    writeFileSync(dtb, buildVirtDeviceTree({ ramSize: 16 << 20, ramBase: 0x8000_0000, gpio: false }));
    const board = join(REPO_ROOT, 'boards', 'host-sim.json');
    for (const [name, extra] of [
      ['load', ['--ram', '16M', '--board', board, '--append', 'console=ttyS0 quiet', '--load', `${data}@0x80c00000`, '--no-progress']],
      ['dtb', ['--ram', '16M', '--dtb', dtb, '--append', 'root=/dev/vda']],
    ] as const) {
      const snaps = { node: join(tmp, `${name}-node.snap`), xs: join(tmp, `${name}-xs.snap`) };
      const v8 = await run('node', ['--deterministic', ...extra, '--snapshot-save', snaps.node, g('hello')]);
      const xs = await run('xs', ['--deterministic', ...extra, '--snapshot-save', snaps.xs, g('hello')]);
      assert.equal(v8.status, 0, v8.stderr);
      assert.equal(xs.status, 0, xs.stderr);
      assert.equal(xs.stdout, v8.stdout);
      assert.match(xs.stdout, /Hello from xsvisor guest!/);
      const [a, b] = [readFileSync(snaps.node), readFileSync(snaps.xs)];
      assert.ok(a.equals(b), `${name}: the snapshots differ`);
      // What the options put there is in the RAM saved (the snapshot stores it plain).
      const needle = name === 'load' ? 'xsvisor --load under both engines' : 'root=/dev/vda';
      assert.ok(b.includes(Buffer.from(needle)), `${name}: ${needle} is in the guest's RAM`);
    }
  });

  it('--serial none: the guest prints nowhere, the same status', async () => {
    const [v8, xs] = [await run('node', ['--serial', 'none', '--deterministic', g('hello')]), await run('xs', ['--serial', 'none', '--deterministic', g('hello')])];
    assert.equal(v8.status, 0, v8.stderr);
    assert.equal(xs.status, 0, xs.stderr);
    assert.equal(xs.stdout, '');
    assert.equal(v8.stdout, '');
  });

  const replies = new Map<string, string>();
  for (const engine of ['node', 'xs'] as const) {
    it(`${engine}: --gdb 0 --gdb-host 127.0.0.1 --wait: a raw RSP exchange (?, g, k), the same replies`, { timeout: 120_000 }, async () => {
      const child = spawn(process.execPath, [entry, 'run', '--engine', engine, '--gdb', '0', '--gdb-host', '127.0.0.1', '--wait', g('hello')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', (s) => resolve(s)));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          child.stderr.setEncoding('latin1').on('data', (t: string) => {
            stderr += t;
            const m = /gdb listening on 127\.0\.0\.1:(\d+) \(the guest waits for gdb\)/.exec(stderr);
            if (m !== null) resolve(Number(m[1]));
          });
          child.on('close', () => reject(new Error(`ended before listening: ${stderr}`)));
        });
        const sock = connect(port, '127.0.0.1');
        let got = '';
        const waiting: (() => void)[] = [];
        sock.on('data', (b: Buffer) => {
          got += b.toString('latin1');
          for (const w of waiting.splice(0)) w();
        });
        const waitFor = (re: RegExp): Promise<void> => new Promise((resolve) => {
          const check = (): void => {
            if (re.test(got)) resolve();
            else waiting.push(check);
          };
          check();
        });
        sock.write('$?#3f');
        await waitFor(/^\+\$[ST][0-9a-f]{2}[^#]*#[0-9a-f]{2}$/);
        const stop = got;
        got = '';
        sock.write('+$g#67');
        await waitFor(/^\+\$[0-9a-f]{264,}#[0-9a-f]{2}$/);
        // x0 is zero and the pc (the 33rd register) is the ELF entry, 0x80000000, little-endian.
        assert.match(got, /^\+\$00000000/);
        assert.equal(got.slice(2 + 32 * 8, 2 + 33 * 8), '00000080');
        replies.set(engine, stop + got);
        if (engine === 'xs' && replies.has('node')) assert.equal(replies.get('xs'), replies.get('node'));
        sock.write('+$k#6b');
        assert.equal(await exited, 0, stderr);
        // Halted by the connection, as QEMU's stub: SIGINT.
        assert.match(stop, /^\+\$T02/);
        assert.match(stderr, /killed by gdb/);
        sock.destroy();
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});
