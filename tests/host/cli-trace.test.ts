/**
 * `xsvisor run --trace LIST [--trace-file FILE]` and the statistics of
 * `--stats`, spawned as users run them (docs/trace.md): deterministic
 * traces are identical run to run; the UART writes in the trace spell the
 * guest's output; the per-device counts of --stats agree with the trace;
 * with --config each line names its VM; bad lists are usage errors.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const g = (name: string): string => join(root, 'guests', 'bin', `${name}.elf`);
let entry = '';
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-trace-'));
  entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: root, input: '', timeout: 60_000, encoding: 'latin1' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The trace lines of a text (stderr or a trace file), VM name included. */
const traceLines = (text: string): string[] => text.split('\n').filter((l) => /^\[ *[0-9]+\] /.test(l));

/**
 * What the guest sent through UART0, rebuilt from the trace alone: the
 * bytes written to offset 0 while LCR.DLAB is clear (with DLAB set,
 * offset 0 is the divisor latch; ns16550a datasheet, register table).
 */
function uartOutput(lines: readonly string[]): string {
  let lcr = 0;
  let out = '';
  for (const l of lines) {
    const m = / mmio uart0 w 0x(1000000[0-7])\/1 = 0x([0-9a-f]+)$/.exec(l);
    if (m === null) continue;
    const reg = parseInt(m[1], 16) - 0x1000_0000;
    const v = parseInt(m[2], 16);
    if (reg === 3) lcr = v;
    else if (reg === 0 && (lcr & 0x80) === 0) out += String.fromCharCode(v);
  }
  return out;
}

describe('xsvisor run --trace', () => {
  it('--trace mmio --deterministic: identical on every run, and the UART writes spell the output', () => {
    const a = cli(['run', '--trace', 'mmio', '--deterministic', g('hello')]);
    const b = cli(['run', '--trace', 'mmio', '--deterministic', g('hello')]);
    assert.equal(a.status, 0, a.stderr);
    assert.ok(a.stdout.includes('Hello from xsvisor guest!'), a.stdout);
    const lines = traceLines(a.stderr);
    assert.ok(lines.length > 20, `${lines.length} trace lines`);
    assert.deepEqual(lines, traceLines(b.stderr), 'the same trace twice');
    assert.equal(a.stderr, b.stderr);
    // Every line is an mmio line of the documented form, counts never going back.
    let last = 0;
    for (const l of lines) {
      const m = /^\[ *([0-9]+)\] mmio ([a-z0-9-]+) ([rw]) 0x[0-9a-f]{8}\/[1248] (= 0x[0-9a-f]+|fault [a-z-]+)$/.exec(l);
      assert.ok(m !== null, `line format: ${l}`);
      assert.ok(Number(m[1]) >= last, `counts in order at ${l}`);
      last = Number(m[1]);
    }
    assert.equal(uartOutput(lines), a.stdout);
  });

  it('the plain (wall-clock) run traces too; --trace-file takes the lines off stderr', () => {
    const file = join(tmp, 'hello.trace');
    const r = cli(['run', '--trace', 'mmio,trap', '--trace-file', file, g('hello')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(traceLines(r.stderr), []);
    const lines = traceLines(readFileSync(file, 'latin1'));
    assert.ok(lines.length > 20);
    assert.equal(uartOutput(lines), r.stdout);
  });

  it('--stats: per-device counts that agree with the trace, run-loop exits, traps and SBI calls', () => {
    const r = cli(['run', '--trace', 'all', '--stats', '--deterministic', g('hello')]);
    assert.equal(r.status, 0, r.stderr);
    const lines = traceLines(r.stderr);
    const n = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
    const reads = n(/ mmio uart0 r /);
    const writes = n(/ mmio uart0 w /);
    assert.match(r.stderr, new RegExp(`^xsvisor: device uart0: ${reads} reads, ${writes} writes, 0 faults$`, 'm'));
    assert.match(r.stderr, /^xsvisor: device test: 0 reads, 1 writes, 0 faults$/m);
    assert.match(r.stderr, /^xsvisor: access faults: none$/m);
    assert.match(r.stderr, /^xsvisor: run exits: budget [0-9]+, wfi [0-9]+, stop 1, fatal 0$/m);
    assert.match(r.stderr, /^xsvisor: traps: /m);
    assert.match(r.stderr, /^xsvisor: sbi calls: none$/m);
    // The statistics follow the trace.
    assert.ok(r.stderr.lastIndexOf('] mmio ') < r.stderr.indexOf('xsvisor: device uart0'));
  });

  it('--stats without --trace prints the counts and no trace', () => {
    const r = cli(['run', '--stats', '--deterministic', g('hello')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(traceLines(r.stderr), []);
    assert.match(r.stderr, /^xsvisor: instructions retired: [0-9]+$/m);
    assert.match(r.stderr, /^xsvisor: device uart0: [0-9]+ reads, [1-9][0-9]* writes, 0 faults$/m);
  });

  it('--config: each line names its VM; SBI calls of an S-mode guest are traced', () => {
    const file = join(tmp, 'two.json');
    writeFileSync(file, JSON.stringify({ board: 'host-sim', deterministic: true, vms: [
      { name: 'hello', image: g('hello'), ram: '16MiB' },
      { name: 'sbi', image: g('sbi'), ram: '16MiB', firmware: 'sbi' },
    ] }));
    const r = cli(['run', '--config', file, '--trace', 'mmio,sbi', '--stats']);
    assert.equal(r.status, 0, r.stderr);
    const lines = traceLines(r.stderr);
    for (const l of lines) assert.match(l, /^\[ *[0-9]+\] (hello|sbi): (mmio|sbi) /);
    assert.ok(lines.some((l) => / sbi: sbi BASE fid=0 /.test(l)), 'the guest asks for the spec version');
    assert.equal(uartOutput(lines.filter((l) => / hello: /.test(l))).split('\n')[0], 'Hello from xsvisor guest!');
    assert.match(r.stderr, /^xsvisor: VM 'sbi': sbi calls: [1-9][0-9]* \(.*BASE [0-9]+/m);
    assert.match(r.stderr, /^xsvisor: VM 'hello': device uart0: /m);
  });

  it('usage errors: unknown categories, --trace-file without --trace', () => {
    const bad = cli(['run', '--trace', 'mmio,irqs', g('hello')]);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /--trace: unknown category 'irqs' \(expected mmio, irq, trap, sbi or all\)/);
    const empty = cli(['run', '--trace', '', g('hello')]);
    assert.equal(empty.status, 64);
    const file = cli(['run', '--trace-file', join(tmp, 'x'), g('hello')]);
    assert.equal(file.status, 64);
    assert.match(file.stderr, /--trace-file needs --trace LIST/);
  });

  it('a trace file that cannot be created: status 73, nothing run', () => {
    const r = cli(['run', '--trace', 'mmio', '--trace-file', join(tmp, 'no', 'such', 'dir', 'f'), g('hello')]);
    assert.equal(r.status, 73);
    assert.match(r.stderr, /--trace-file .*: cannot create it: ENOENT/);
    assert.equal(r.stdout, '');
  });
});
