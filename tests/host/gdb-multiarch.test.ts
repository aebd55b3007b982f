/**
 * `xsvisor run --gdb PORT --wait` debugged by Debian's gdb-multiarch, the
 * independent reference: gdb must accept the target description, find
 * main by its breakpoint, step, read registers and locals, see a hardware
 * watchpoint fire with the old and new values, and see the guest exit
 * with its status; the same under `--engine xs` (the stub in the XS
 * worker, its bytes relayed), whose gdb transcript must be V8's.
 *
 * Host-only: spawns the built CLI (bin/xsvisor.js, so run `npm run build`
 * first; XSVISOR_BIN overrides the path) and gdb-multiarch. Without
 * gdb-multiarch the suite is skipped with a message, except when the CI
 * environment variable is set: there a missing tool fails.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xsEngineMissing } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = process.env['XSVISOR_BIN'] ?? join(root, 'bin', 'xsvisor.js');
const image = join(root, 'guests', 'bin', 'gdbdemo.elf');

const hasGdb = (() => {
  const r = spawnSync('gdb-multiarch', ['--version'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
})();
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
const skip = !hasGdb && !inCi ? 'gdb-multiarch is not installed (apt-get install gdb-multiarch); set CI to make this a failure' : false;
/** Both engines when the XS engine is built (in CI it must be). */
const engines = xsEngineMissing() === false ? (['node', 'xs'] as const) : (['node'] as const);
/** Each engine's gdb output of the first session, ports masked, to compare. */
const transcripts = new Map<string, string>();

/** Starts the CLI; resolves with the process, the port it printed, and a promise of its exit status and stderr. */
async function startStub(args: string[]): Promise<{ child: ChildProcess; port: number; ended: Promise<{ status: number | null; stderr: string; stdout: string }> }> {
  const child = spawn(process.execPath, [bin, 'run', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
  const ended = new Promise<{ status: number | null; stderr: string; stdout: string }>((resolve) => {
    child.on('close', (status) => resolve({ status, stderr, stdout }));
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = /xsvisor: gdb listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m !== null) resolve(Number(m[1]));
    });
    child.on('close', () => reject(new Error(`xsvisor ended before listening: ${stderr}`)));
  });
  return { child, port, ended };
}

/** Runs gdb-multiarch in batch mode with the commands; resolves with its output. */
function gdb(port: number, commands: string[]): Promise<{ status: number | null; out: string }> {
  const args = ['-batch', '-nx', '-ex', 'set architecture riscv:rv32', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  args.push(image);
  // From guests/, where the debug info's relative source paths resolve.
  const child = spawn('gdb-multiarch', args, { cwd: join(root, 'guests'), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, out })));
}

describe('gdb-multiarch against xsvisor run --gdb', { skip }, () => {
  it('is found: gdb-multiarch must be installed when CI is set', () => {
    assert.ok(hasGdb, 'gdb-multiarch is required in CI (Debian package gdb-multiarch)');
  });

  for (const engine of engines) {
    it(`${engine}: breaks, steps, reads registers and locals, watches a global, and sees the exit status`, { timeout: 180_000 }, async () => {
      assert.ok(existsSync(image), 'guests/bin/gdbdemo.elf is built');
      const stub = await startStub(['--engine', engine, '--gdb', '0', '--wait', image]);
      const r = await gdb(stub.port, [
        'info registers pc',
        'break main',
        'continue',
        'stepi',
        'next',
        'next',
        'info registers pc',
        'print sum',
        'print/x $sp',
        'watch counter',
        'continue',
        'continue',
        'delete',
        'continue',
      ]);
      const end = await stub.ended;
      const out = r.out;
      transcripts.set(engine, out.replace(/127\.0\.0\.1:\d+/g, 'PORT'));
      // The guest halted at its ELF entry, before the first instruction.
      assert.match(out, /pc\s+0x80000000\s/);
      assert.match(out, /Breakpoint 1 at 0x[0-9a-f]+: file gdbdemo\/gdbdemo\.c, line \d+\./);
      assert.match(out, /Breakpoint 1, main \(\) at gdbdemo\/gdbdemo\.c:\d+/);
      assert.match(out, /pc\s+0x8000[0-9a-f]{4}\s+0x8000[0-9a-f]{4} <main\+\d+>/);
      assert.match(out, /\$1 = 0\n/);
      assert.match(out, /\$2 = 0x8[0-9a-f]{7}\n/);
      assert.match(out, /Hardware watchpoint 2: counter/);
      // stepi ran `sum = 0`, the two nexts `i = 1` and `counter = 1`: the watchpoint sees the next two stores.
      assert.match(out, /\n19\t\s+counter = i;\n20\t/);
      assert.match(out, /Old value = 1\nNew value = 2\n/);
      assert.match(out, /Old value = 2\nNew value = 3\n/);
      assert.match(out, /\[Inferior 1 \(Remote target\) exited with code 03\]/);
      assert.doesNotMatch(out, /Remote connection closed|Remote failure|Ignoring packet error/);
      assert.equal(r.status, 0, out);
      assert.equal(end.status, 3, end.stderr);
      assert.match(end.stdout, /gdbdemo: sum 55/);
      assert.match(end.stderr, /xsvisor: gdb connected from 127\.0\.0\.1/);
    });

    it(`${engine}: attaches to a running guest (halting it), detaches, and the guest runs on`, { timeout: 180_000 }, async () => {
      // echo.elf waits for UART input in WFI: it never ends by itself.
      const stub = await startStub(['--engine', engine, '--gdb', '0', '--serial', 'none', join(root, 'guests', 'bin', 'echo.elf')]);
      const r = await gdb(stub.port, ['info registers priv', 'print $pc == $pc', 'detach']);
      assert.match(r.out, /priv\s+0x3\s+prv:3 \[Machine\]/);
      assert.match(r.out, /\$1 = 1\n/);
      assert.match(r.out, /\[Inferior 1 \(Remote target\) detached\]/);
      assert.equal(r.status, 0, r.out);
      stub.child.kill('SIGTERM');
      const end = await stub.ended;
      assert.equal(end.status, 128 + 15, end.stderr);
      assert.match(end.stderr, /xsvisor: gdb detached\n/);
    });

    it(`${engine}: debugs the VM --gdb-vm names in a --config run while the other runs`, { timeout: 180_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'xsvisor-gdb-'));
      try {
        const config = join(dir, 'two.json');
        writeFileSync(config, JSON.stringify({
          board: 'host-sim',
          vms: [
            { name: 'alpha', image: join(root, 'guests', 'bin', 'hello.elf'), ram: '16M', uart: 'console' },
            { name: 'beta', image, ram: '16M', uart: 'console' },
          ],
        }));
        const stub = await startStub(['--engine', engine, '--config', config, '--gdb', '0', '--wait', '--gdb-vm', 'beta']);
        const r = await gdb(stub.port, ['break square', 'continue', 'print x', 'delete', 'continue']);
        const end = await stub.ended;
        assert.match(r.out, /Breakpoint 1, square \(x=1\)/);
        assert.match(r.out, /exited with code 03/);
        assert.match(end.stderr, /gdb listening on 127\.0\.0\.1:\d+ for VM 'beta'/);
        assert.match(end.stderr, /VM 'alpha' exited with status 0/);
        assert.match(end.stdout, /\[alpha\] bye/);
        assert.match(end.stdout, /\[beta\] gdbdemo: sum 55/);
        assert.equal(end.status, 3, end.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${engine}: kill from gdb ends the run with status 0`, { timeout: 180_000 }, async () => {
      const stub = await startStub(['--engine', engine, '--gdb', '0', '--wait', image]);
      const r = await gdb(stub.port, ['break square', 'continue', 'print x', 'kill']);
      const end = await stub.ended;
      assert.match(r.out, /Breakpoint 1, square \(x=1\) at gdbdemo\/gdbdemo\.c:\d+/);
      assert.match(r.out, /\$1 = 1\n/);
      assert.match(r.out, /\[Inferior 1 \(Remote target\) killed\]/);
      assert.equal(end.status, 0, end.stderr);
      assert.match(end.stderr, /xsvisor: killed by gdb/);
    });
  }

  it('the gdb transcript under --engine xs is V8\'s', { skip: engines.length < 2 ? 'no XS engine' : false }, () => {
    assert.equal(transcripts.get('xs'), transcripts.get('node'));
  });
});
