/**
 * `xsvisor run --config FILE --engine xs`: the monitor of several VMs in
 * the XS worker, against the same command under `--engine node` (V8),
 * spawned as users run them. With `--deterministic`, the configurations of
 * monitor-cli.test.ts (three VMs on the shared console with pins, a failing
 * VM, a garbage VM restarted by its fault rule) give V8's stdout, stderr,
 * trace and status byte for byte (`--stats` but its wall-time and MIPS
 * lines). VMs on their own TCP ports (one held until its client connects)
 * answer as under V8; on a terminal (a pty), Ctrl-A 2 moves the shared
 * console's input as under V8, the output the same bytes; a one-VM
 * configuration's snapshot saved under XS resumes under V8.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts). Skipped when the XS
 * engine is missing (in CI a missing engine fails); the terminal case
 * needs python3's pty module (in CI too).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, REPO_ROOT, xsEngineMissing, runEngine, type CliResult } from './cli-entry.js';
import { freePort, until } from './waits.js';

const g = (name: string): string => join(REPO_ROOT, 'guests', 'bin', `${name}.elf`);
let entry = '';
let tmp = '';
const skip = xsEngineMissing();
const hasPty = spawnSync('python3', ['-c', 'import pty, termios, select'], { stdio: 'ignore' }).status === 0;
const skipPty = skip !== false ? skip : hasPty || process.env['CI'] === 'true' ? false : 'python3 (pty, termios) is not installed';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-xs-config-'));
  if (skip === false) entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

type Result = CliResult;
type Engine = 'node' | 'xs';

function config(name: string, doc: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** `xsvisor run --engine ENGINE ARGS...`, stdin empty. */
const run = (engine: Engine, args: string[]): Promise<Result> => runEngine(engine, args);

/** Runs ARGS under both engines; asserts the same status, stdout and stderr (wall time and MIPS aside); returns V8's. */
async function same(args: string[], expected: number): Promise<Result> {
  const v8 = await run('node', args);
  const xs = await run('xs', args);
  assert.equal(v8.status, expected, v8.stderr);
  assert.equal(xs.status, expected, xs.stderr);
  assert.equal(xs.stdout, v8.stdout);
  const timeless = (s: string): string => s.replace(/^xsvisor: (wall time|MIPS): .*\n/gm, '');
  assert.equal(timeless(xs.stderr), timeless(v8.stderr));
  return v8;
}

describe('--config under --engine xs, against V8 (--deterministic)', { skip }, () => {
  it('three VMs on the shared console, one with pins: the same tagged lines, exits and status 0', async () => {
    const file = config('ok.json', { board: 'host-sim', vms: [
      { name: 'hello', image: g('hello'), ram: '16MiB' },
      { name: 'isa', image: g('isa-rv32i'), ram: '16MiB', pins: { 0: 'led' } },
      { name: 'sbi', image: g('sbi'), ram: '16MiB', firmware: 'sbi' },
    ] });
    const r = await same(['--deterministic', '--config', file], 0);
    // Checked against the guests' own words, not only against V8.
    assert.match(r.stdout, /^\[hello\] Hello from xsvisor guest!$/m);
    assert.match(r.stdout, /^\[isa\] PASS rv32i$/m);
    assert.match(r.stdout, /^\[sbi\] sbi: done, 0 failed: PASS$/m);
    assert.match(r.stderr, /VM 'sbi' exited with status 0/);
  });

  it('a failing VM (HTIF, no UART) gives the status; a garbage VM is restarted by its fault rule, then stopped: --stats and --trace the same', async () => {
    writeFileSync(join(tmp, 'junk.bin'), Buffer.alloc(64, 0xff));
    const file = config('fault.json', { board: 'host-sim', vms: [
      { name: 'junk', image: 'junk.bin', ram: '1MiB', onFault: 'restart' },
      { name: 'hello', image: g('hello') },
      { name: 'f', image: g('htif-fail'), uart: 'none' },
    ] });
    const traces = { node: join(tmp, 'node.trace'), xs: join(tmp, 'xs.trace') };
    const v8 = await run('node', ['--deterministic', '--stats', '--trace', 'trap', '--trace-file', traces.node, '--config', file]);
    const xs = await run('xs', ['--deterministic', '--stats', '--trace', 'trap', '--trace-file', traces.xs, '--config', file]);
    assert.equal(v8.status, 70, v8.stderr);
    assert.equal(xs.status, 70, xs.stderr);
    assert.equal(xs.stdout, v8.stdout);
    const timeless = (s: string): string => s.replace(/^xsvisor: (wall time|MIPS): .*\n/gm, '');
    assert.equal(timeless(xs.stderr), timeless(v8.stderr));
    assert.match(xs.stderr, /VM 'junk' restarted after a fault \(restart 3\): no progress/);
    assert.match(xs.stderr, /VM 'junk' stopped by a fault: no progress/);
    assert.match(xs.stderr, /VM 'f' exited with status 3/);
    assert.match(xs.stderr, /^xsvisor: VM 'hello': device uart0: \d+ reads, \d+ writes, 0 faults$/m);
    const trace = readFileSync(traces.xs, 'latin1');
    assert.ok(trace.length > 0 && trace === readFileSync(traces.node, 'latin1'), 'the same trace lines');
    assert.match(trace, /^\[ *\d+\] junk: trap exc 1 /m);
  });

  it('refusals: a snapshot of several VMs (64), an image that is not one (65), the same messages', async () => {
    const two = config('two.json', { board: 'host-sim', vms: [{ name: 'a', image: g('hello') }, { name: 'b', image: g('hello') }] });
    await same(['--snapshot-save', join(tmp, 'two.bin'), '--config', two], 64);
    writeFileSync(join(tmp, 'empty.bin'), Buffer.alloc(0));
    const bad = config('bad.json', { board: 'host-sim', vms: [{ name: 'a', image: g('hello') }, { name: 'e', image: 'empty.bin' }] });
    const r = await same(['--config', bad], 65);
    assert.match(r.stderr, /bad\.json: \$\.vms\[1\]: VM 'e': /);
  });

  it('a one-VM configuration saved under XS at an instruction count resumes under V8 as the whole run', async () => {
    const one = config('one.json', { board: 'host-sim', vms: [{ name: 'irq', image: g('isa-irq') }] });
    const whole = await run('node', ['--deterministic', '--stats', '--config', one]);
    assert.equal(whole.status, 0, whole.stderr);
    const insns = Number(/instructions retired: (\d+)/.exec(whole.stderr)![1]);
    const snap = join(tmp, 'one.bin');
    const first = await run('xs', ['--deterministic', '--max-insns', String(Math.floor(insns / 2)), '--snapshot-save', snap, '--config', one]);
    assert.equal(first.status, 125, first.stderr);
    const rest = await run('node', ['--deterministic', '--snapshot-load', snap, '--config', one]);
    assert.equal(rest.status, 0, rest.stderr);
    assert.equal(first.stdout + rest.stdout, whole.stdout);
  });
});

/** Hang guard of the TCP case's waits: an XS worker on a loaded machine is slow to start. */
const XS_WAIT_MS = 120_000;

describe('--config under --engine xs: VMs on their own TCP ports', { skip }, () => {
  for (const engine of ['node', 'xs'] as const) {
    it(`${engine}: a VM held until its client connects, one on tcp:PORT,nowait, one on the console: each answers its own port`, async () => {
      const [p1, p2] = [await freePort(), await freePort()];
      const file = config(`tcp-${engine}.json`, { board: 'host-sim', vms: [
        { name: 'held', image: g('demo'), uart: `tcp:${p1}`, pins: { 0: 'led', 1: 'button' } },
        { name: 'free', image: g('demo'), uart: `tcp:${p2},nowait` },
        { name: 'hello', image: g('hello'), uart: 'console' },
      ] });
      const child = spawn(process.execPath, [entry, 'run', '--engine', engine, '--timeout', '240', '--config', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      const checks: (() => void)[] = [];
      const fire = (): void => checks.forEach((c) => c());
      child.stderr.setEncoding('latin1').on('data', (t: string) => {
        stderr += t;
        fire();
      });
      child.stdout.setEncoding('latin1').on('data', (t: string) => {
        stdout += t;
        fire();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
      const socks: Socket[] = [];
      const got = ['', ''];
      const open = (port: number, i: number): Socket => {
        const s = connect(port, '127.0.0.1');
        s.setEncoding('latin1').on('data', (t: string) => {
          got[i] += t;
          fire();
        });
        socks.push(s);
        return s;
      };
      try {
        await until((c) => checks.push(c), () => stderr.includes('waiting for a client'), 'banner of the held port', XS_WAIT_MS);
        // The others run meanwhile: hello ends before the held VM has a client.
        await until((c) => checks.push(c), () => stderr.includes("VM 'hello' exited with status 0"), 'hello beside the held VM', XS_WAIT_MS);
        const free = open(p2, 1);
        // Its banner may have gone out before the client came (a nowait port drops it, as QEMU's): ask for a prompt.
        free.write('\r');
        await until((c) => checks.push(c), () => got[1].endsWith('demo> '), 'the free VM\'s prompt', XS_WAIT_MS);
        const held = open(p1, 0);
        await until((c) => checks.push(c), () => got[0].endsWith('demo> '), 'the held VM\'s prompt', XS_WAIT_MS);
        held.write('led on\r');
        await until((c) => checks.push(c), () => /led on\r?\n[^]*demo> $/.test(got[0]), 'the held VM\'s answer', XS_WAIT_MS);
        assert.doesNotMatch(got[1], /led on/, 'input reaches its own VM only');
        free.write('poweroff\r');
        held.write('poweroff\r');
        assert.equal(await exited, 0, stderr);
        assert.match(stderr, /VM 'held' exited with status 0/);
        assert.match(stderr, /VM 'free' exited with status 0/);
        assert.match(stdout, /^Hello from xsvisor guest!$/m);
      } finally {
        for (const s of socks) s.destroy();
        child.kill('SIGKILL');
      }
    });
  }
});

/**
 * Runs `argv` with stdin and stdout on a pty (stderr on a pipe), following
 * `steps`: wait for a regex in the output (or on stderr), or send bytes; then waits for the
 * end. python3's pty module is the terminal (no other tool is needed).
 */
function onPty(argv: string[], steps: ({ expect: string } | { expectErr: string } | { send: string })[]): Result {
  const script = `
import json, os, pty, re, select, subprocess, sys, time
argv, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
master, slave = pty.openpty()
p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=subprocess.PIPE, cwd=${JSON.stringify(REPO_ROOT)})
os.close(slave)
out, err, deadline = b'', b'', time.time() + 120
def pump(t):
    global out, err
    r, _, _ = select.select([master, p.stderr], [], [], t)
    if master in r:
        try: out += os.read(master, 4096)
        except OSError: pass
    if p.stderr in r:
        err += os.read(p.stderr.fileno(), 4096)
for s in steps:
    if 'send' in s:
        os.write(master, s['send'].encode('latin1'))
        continue
    while not re.search(s.get('expect', s.get('expectErr', '')).encode('latin1'), out if 'expect' in s else err, re.M):
        if time.time() > deadline or p.poll() is not None: break
        pump(0.2)
while p.poll() is None and time.time() < deadline: pump(0.2)
if p.poll() is None: p.kill()
for _ in range(20): pump(0.05)
print(json.dumps({'status': p.wait(), 'stdout': out.decode('latin1'), 'stderr': err.decode('latin1')}))
`;
  const r = spawnSync('python3', ['-c', script, JSON.stringify(argv), JSON.stringify(steps)], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Result;
}

describe('--config under --engine xs: the shared console on a terminal', { skip: skipPty }, () => {
  it('Ctrl-A 2 moves the input to the second VM; the tagged output is V8\'s, byte for byte', () => {
    const file = config('pty.json', { board: 'host-sim', vms: [
      { name: 'a', image: g('demo'), uart: 'console' },
      { name: 'b', image: g('demo'), uart: 'console' },
    ] });
    const results = (['node', 'xs'] as const).map((engine) => onPty([process.execPath, entry, 'run', '--engine', engine, '--timeout', '240', '--config', file], [
      { expect: '^\\[a\\] xsvisor demo: UART0 input' },
      { expect: '^\\[b\\] xsvisor demo: UART0 input' },
      { send: 'help\r' },
      { expect: '^\\[a\\] .*poweroff' },
      // The focus moved (said on stderr) before the command is typed.
      { send: '\x012' },
      { expectErr: "now goes to VM 'b'" },
      { send: 'led on\r' },
      { expect: '^\\[b\\] .*led on' },
      { send: 'poweroff\r' },
      { expect: "^\\[b\\] .*poweroff" },
      { send: '\x011' },
      { expectErr: "now goes to VM 'a'" },
      { send: 'poweroff\r' },
    ]));
    const [v8, xs] = results;
    assert.equal(v8.status, 0, v8.stderr + v8.stdout);
    assert.equal(xs.status, 0, xs.stderr + xs.stdout);
    assert.match(xs.stderr, /console input now goes to VM 'b'/);
    assert.match(xs.stderr, /console input now goes to VM 'a'/);
    assert.match(xs.stdout, /^\[b\] demo> led on/m);
    assert.doesNotMatch(xs.stdout, /^\[a\] demo> led on/m);
    assert.equal(xs.stdout, v8.stdout);
  });
});
