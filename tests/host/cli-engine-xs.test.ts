/**
 * `xsvisor run --engine xs`, spawned as users run it, against
 * `--engine node` on the same guests: the same stdout and exit status for
 * hello.elf, ISA guests and an HTIF failure; piped stdin reaching the
 * guest (echo.elf); the same refusals (bad image, --max-insns,
 * --timeout); and the options XS cannot honour refused with a usage error.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts). Skipped when the XS
 * engine (xsnap-worker, built by `npm install`) is missing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry, xsEngineMissing } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'guests', 'bin');
let entry = '';

const skip = xsEngineMissing();

before(() => {
  if (skip === false) entry = cliEntry();
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `input` is written to its stdin, which then ends. */
function cli(args: string[], input = '', timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('latin1').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input, 'latin1');
  });
}

/** The same command under both engines. */
async function both(args: string[], input = ''): Promise<{ node: Result; xs: Result }> {
  const [node, xs] = await Promise.all([cli(['run', '--engine', 'node', ...args], input), cli(['run', '--engine', 'xs', ...args], input)]);
  return { node, xs };
}

const guest = (name: string): string => join(bin, name);
const has = (name: string): boolean => existsSync(guest(name));

describe('xsvisor run --engine xs', { skip }, () => {
  for (const name of ['hello.elf', 'isa-rv32i.elf', 'isa-c.elf', 'isa-irq.elf', 'htif-fail.elf']) {
    it(`runs ${name} with the stdout and status of --engine node`, { skip: !has(name) && `guests/bin/${name} not built` }, async () => {
      const { node, xs } = await both([guest(name)]);
      assert.equal(xs.stdout, node.stdout);
      assert.equal(xs.status, node.status);
      assert.equal(xs.stderr, node.stderr);
      if (name === 'htif-fail.elf') assert.equal(xs.status, 3);
      else assert.equal(xs.status, 0);
    });
  }

  it('runs the ISA guests in the JIT tier inside XS with the interpreter\'s output and status', { skip: !has('isa-m.elf') && 'guests/bin/isa-m.elf not built' }, async () => {
    for (const name of ['isa-rv32i.elf', 'isa-m.elf', 'isa-irq.elf']) {
      const [interp, jit] = await Promise.all([
        cli(['run', '--engine', 'xs', '--tier', 'interp', guest(name)]),
        cli(['run', '--engine', 'xs', '--tier', 'jit', guest(name)]),
      ]);
      assert.equal(interp.status, 0, `${name}: ${interp.stderr}`);
      assert.equal(jit.status, 0, `${name}: ${jit.stderr}`);
      assert.equal(jit.stdout, interp.stdout, name);
      assert.match(jit.stdout, /^PASS /m);
    }
  });

  it('pipes stdin to the guest: echo.elf echoes it and exits on q', { skip: !has('echo.elf') && 'guests/bin/echo.elf not built' }, async () => {
    // Under 256 bytes: the guest's receive ring holds 256 and drops the rest of a burst (under either engine).
    const typed = 'Hello, XS!\n' + 'x'.repeat(200) + '\nq';
    const { node, xs } = await both([guest('echo.elf')], typed);
    assert.equal(xs.status, 0, xs.stderr);
    assert.equal(xs.stdout, typed);
    assert.equal(xs.stdout, node.stdout);
  });

  it('ends with the same statuses: --max-insns (125), --timeout on an idle guest (124), a bad image (65)', { skip: !has('mips.elf') && 'guests/bin/mips.elf not built' }, async () => {
    const limit = await both(['--max-insns', '200000', guest('mips.elf')]);
    assert.equal(limit.xs.status, 125);
    assert.equal(limit.xs.stderr, limit.node.stderr);
    assert.equal(limit.xs.stdout, limit.node.stdout);
    if (has('echo.elf')) {
      const idle = await cli(['run', '--engine', 'xs', '--timeout', '0.5', guest('echo.elf')]);
      assert.equal(idle.status, 124);
      assert.match(idle.stderr, /timed out after 0\.5 s/);
    }
    const bad = await both(['--ram', '4K', guest('hello.elf')]);
    assert.equal(bad.xs.status, 65);
    assert.equal(bad.xs.stderr, bad.node.stderr);
  });

  it('prints --stats from the run in XS', async () => {
    const r = await cli(['run', '--engine', 'xs', '--stats', guest('hello.elf')]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /instructions retired: \d+\n.*wall time: [0-9.]+ s\n.*MIPS: [0-9.]+\n/);
  });

  it('refuses an unknown engine with a usage error', async () => {
    const other = await cli(['run', '--engine', 'spidermonkey', guest('hello.elf')]);
    assert.equal(other.status, 64);
    assert.match(other.stderr, /--engine: 'spidermonkey' is not node or xs/);
  });
});
