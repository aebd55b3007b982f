/**
 * The `xsvisor` command, spawned as users run it: help and version, usage
 * errors, guests from guests/bin (when built) and hand-assembled ones,
 * piped stdin, --timeout, --max-insns, bad images and board files, and
 * bin/xsvisor.js without dist/.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts: `npm test` builds it
 * first; run `npm run build` before running this suite alone).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBoard } from '../../src/board/index.js';
import { cliEntry } from './cli-entry.js';
import { freePort } from './waits.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const guests = join(root, 'guests', 'bin');
const hello = join(guests, 'hello.elf');
let entry = '';
let tmp = '';

const EXIT = { USAGE: 64, BAD_INPUT: 65, INTERNAL: 70, TIMEOUT: 124, MAX_INSNS: 125 };

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-cli-'));
  entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input: string | Buffer = '', timeoutMs = 60_000): Result {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: root, input, timeout: timeoutMs, encoding: 'latin1' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ------------------------------------------------------------------ hand-assembled raw guests

const iT = (op: number, rd: number, f3: number, rs1: number, imm: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const sT = (f3: number, rs1: number, rs2: number, imm: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const bT = (f3: number, rs1: number, rs2: number, off: number): number =>
  ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63) >>> 0;
const lui = (rd: number, imm20: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0;
const T0 = 5, T1 = 6, T3 = 28, T4 = 29, T5 = 30, T6 = 31;

function raw(words: number[]): string {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
  const path = join(tmp, `guest-${words.length}-${words[0]}-${words[words.length - 1]}.bin`);
  writeFileSync(path, b);
  return path;
}

/** Echoes UART input (polling) until it sees 'q', then passes. */
function echoGuest(): string {
  return raw([
    lui(T3, 0x10000), // 0x00 t3 = UART
    iT(0x03, T4, 4, T3, 5), // 0x04 loop: lbu t4, LSR
    iT(0x13, T4, 7, T4, 1), // 0x08 andi t4, 1
    bT(0, T4, 0, -8), // 0x0c beqz t4, loop
    iT(0x03, T0, 4, T3, 0), // 0x10 lbu t0, RBR
    sT(0, T3, T0, 0), // 0x14 sb t0, THR
    iT(0x13, T1, 0, 0, 0x71), // 0x18 li t1, 'q'
    bT(1, T0, T1, -0x18), // 0x1c bne t0, t1, loop
    lui(T5, 0x100), // 0x20 t5 = finisher
    lui(T6, 5), // 0x24
    iT(0x13, T6, 0, T6, 0x555), // 0x28 t6 = 0x5555
    sT(2, T5, T6, 0), // 0x2c sw t6, (t5)
    0x0000006f, // 0x30 j .
  ]);
}

/** Spins forever. */
function spinGuest(): string {
  return raw([0x0000006f]);
}

// ------------------------------------------------------------------ tests

describe('xsvisor: help, version, usage', () => {
  it('--help prints the usage and the exit statuses on stdout, status 0', () => {
    for (const args of [['--help'], ['-h'], ['run', '--help']]) {
      const r = cli(args);
      assert.equal(r.status, 0, args.join(' '));
      assert.match(r.stdout, /^Usage: xsvisor run \[OPTIONS\] IMAGE/);
      assert.match(r.stdout, /--max-insns N/);
      assert.match(r.stdout, /--view +serve a live view of the board/);
      assert.match(r.stdout, /124 +--timeout expired/);
      assert.equal(r.stderr, '');
    }
  });
  it('--version prints the version from package.json', () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    const r = cli(['--version']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `xsvisor ${version}\n`);
  });
  it('no arguments, unknown commands and options, bad values: status 64 and a hint', () => {
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [['boot', 'x.elf'], /unknown command 'boot'/],
      [['run', '--fast', 'x.elf'], /unknown option '--fast'/],
      [['run'], /no IMAGE given/],
      [['run', 'a.elf', 'b.elf'], /one IMAGE expected/],
      [['run', '--ram', 'lots', 'x.elf'], /--ram: 'lots' is not a size/],
      [['run', '--ram', '1000', 'x.elf'], /multiple of 4 KiB/],
      [['run', '--max-insns', '-5', 'x.elf'], /--max-insns/],
      [['run', '--timeout', 'soon', 'x.elf'], /--timeout/],
      [['run', '--timeout'], /needs a value/],
      [['run', '--board', 'a b', 'x.elf'], /--board/],
      [['run', '--serial', 'tcp:70000', 'x.elf'], /--serial: 'tcp:70000' is not/],
      [['run', '--serial', 'com1', 'x.elf'], /--serial/],
      [['run', '--ram', '2G', hello], /does not fit board 'host-sim'/],
    ];
    for (const [args, pattern] of cases) {
      const r = cli(args);
      assert.equal(r.status, EXIT.USAGE, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.match(r.stderr, /Try 'xsvisor --help'/);
      assert.equal(r.stdout, '');
    }
  });
});

describe('xsvisor run: guests', () => {
  it('hello.elf prints its greeting and exits 0, with stdin piped', { skip: !existsSync(hello) && 'guests/bin/hello.elf not built' }, () => {
    const r = cli(['run', hello], 'ignored input\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      'Hello from xsvisor guest!\nhart 0\ndevice tree magic ok\nfib(20) = 6765\n' +
        'signed -42, hex 0x00c0ffee, char x, string ok\nbye\n',
    );
    assert.equal(r.stderr, '');
  });
  it('--ram sizes in every syntax run the same guest', { skip: !existsSync(hello) && 'no hello.elf' }, () => {
    for (const size of ['64M', '128MiB', '0x4000000', '16777216']) {
      const r = cli(['run', '--ram', size, hello]);
      assert.equal(r.status, 0, `${size}: ${r.stderr}`);
      assert.match(r.stdout, /device tree magic ok/);
    }
  });
  it('--stats reports instructions retired, wall time and MIPS on stderr', { skip: !existsSync(hello) && 'no hello.elf' }, () => {
    const r = cli(['run', '--stats', hello]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /instructions retired: \d+\n.*wall time: [0-9.]+ s\n.*MIPS: [0-9.]+\n/s);
    assert.match(r.stdout, /bye\n$/, 'stats stay off stdout');
  });
  it('HTIF guests report pass and fail through tohost', { skip: !existsSync(join(guests, 'htif-fail.elf')) && 'no HTIF guests' }, () => {
    assert.equal(cli(['run', join(guests, 'htif-pass.elf')]).status, 0);
    const fail = cli(['run', join(guests, 'htif-fail.elf')]);
    assert.notEqual(fail.status, 0);
    assert.ok(fail.status! < 64, `a guest status, not one of xsvisor's: ${fail.status}`);
  });
  it('piped stdin reaches the guest byte for byte, and its output comes back unchanged', () => {
    const bytes = Buffer.from([0x61, 0x00, 0x01, 0x0d, 0x0a, 0x03, 0xff, 0x78, 0x71]); // includes Ctrl-A x: no escapes off a terminal
    const r = spawnSync(process.execPath, [entry, 'run', echoGuest()], { cwd: root, input: bytes, timeout: 30_000 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual([...r.stdout], [...bytes]);
  });
  it('when stdin ends the guest gets no more input and runs on (here until --timeout)', () => {
    const r = cli(['run', '--timeout', '1', echoGuest()], 'ab');
    assert.equal(r.status, EXIT.TIMEOUT);
    assert.equal(r.stdout, 'ab');
    assert.match(r.stderr, /timed out after 1 s/);
  });
});

describe('xsvisor run: --serial', () => {
  it('none: the guest runs, its output goes nowhere', { skip: !existsSync(hello) && 'no hello.elf' }, () => {
    const r = cli(['run', '--serial', 'none', hello]);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '');
  });
  it('tcp:PORT: UART0 is a TCP server; a client talks to the guest', async () => {
    const port = await freePort();
    const run = spawnCli(['run', '--serial', `tcp:${port}`, '--timeout', '30', echoGuest()]);
    await run.saw(new RegExp(`waiting for a client on 127\\.0\\.0\\.1:${port}`));
    const received = await talk(port, 'ping q');
    assert.equal(await run.exited, 0, run.stderr());
    assert.equal(received, 'ping q');
  });
  it('tcp:PORT waits for its client: the guest and --timeout start when it connects, and it gets the first bytes', { skip: !existsSync(hello) && 'no hello.elf' }, async () => {
    const port = await freePort();
    // --timeout 0.2 would end the run long before the client comes if it counted from the start.
    const run = spawnCli(['run', '--serial', `tcp:${port}`, '--timeout', '0.2', hello]);
    await run.saw(/waiting for a client/);
    // A marker: a run with the same --timeout, started after the banner, has timed out; a timer armed at the start would have too.
    const marker = spawnCli(['run', '--serial', 'none', '--timeout', '0.2', echoGuest()]);
    assert.equal(await marker.exited, 124, marker.stderr());
    const received = await talk(port, '');
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(received, /^Hello from xsvisor guest!\r?\n[^]*bye\r?\n$/);
  });
  it('tcp:PORT,nowait: the guest starts at once, its output discarded while nobody listens', { skip: !existsSync(hello) && 'no hello.elf' }, async () => {
    const port = await freePort();
    const run = spawnCli(['run', '--serial', `tcp:${port},nowait`, hello]);
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), new RegExp(`listening on tcp:127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(run.stderr(), /waiting for a client/);
  });
  it('a signal while waiting for the client ends the run as it would the guest (SIGTERM: 143)', async () => {
    const port = await freePort();
    const run = spawnCli(['run', '--serial', `tcp:${port}`, echoGuest()]);
    await run.saw(/waiting for a client/);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 143, run.stderr());
    assert.match(run.stderr(), /terminated by SIGTERM/);
  });
  it('--config: each TCP VM waits for its own client; the others run meanwhile', { skip: !existsSync(hello) && 'no hello.elf' }, async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const file = join(tmp, 'two-tcp.json');
    writeFileSync(file, JSON.stringify({ board: 'host-sim', vms: [
      { name: 'a', image: hello, ram: '16MiB', uart: `tcp:${pa}` },
      { name: 'b', image: hello, ram: '16MiB', uart: `tcp:${pb}` },
      { name: 'c', image: hello, ram: '16MiB', uart: 'none' },
    ] }));
    const run = spawnCli(['run', '--config', file]);
    await run.saw(new RegExp(`VM 'b' UART0: waiting for a client on 127\\.0\\.0\\.1:${pb}`));
    await run.saw(/VM 'c' exited with status 0/);
    // A VM's port stays open until the whole run ends: read up to the guest's last line.
    const a = await talk(pa, '', /bye\r?\n$/);
    await run.saw(/VM 'a' exited with status 0/);
    assert.doesNotMatch(run.stderr(), /VM 'b' exited/);
    const b = await talk(pb, '');
    assert.equal(await run.exited, 0, run.stderr());
    for (const got of [a, b]) assert.match(got, /^Hello from xsvisor guest![^]*bye\r?\n$/);
  });
});

/** Connects to the guest's port, writes `text`, and resolves with all it received once the run closes the connection (or, given `until`, once that matches). */
function talk(port: number, text: string, until?: RegExp): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let got = '';
    const sock = connect(port, '127.0.0.1', () => {
      if (text !== '') sock.write(text);
    });
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (until?.test(got)) sock.destroy();
    });
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
  });
}

/** The CLI as a child whose stderr can be awaited line by line. */
function spawnCli(args: string[]): { child: ReturnType<typeof spawn>; exited: Promise<number | null>; stderr(): string; saw(re: RegExp): Promise<void> } {
  const child = spawn(process.execPath, [entry, ...args], { cwd: root });
  let stderr = '';
  const watchers: { re: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (d) => {
    stderr += d;
    for (const w of watchers.splice(0)) {
      if (w.re.test(stderr)) w.resolve();
      else watchers.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? null : -1))));
  return {
    child,
    exited,
    stderr: () => stderr,
    saw: (re) => new Promise<void>((resolve, reject) => {
      if (re.test(stderr)) return resolve();
      watchers.push({ re, resolve });
      void exited.then(() => setImmediate(() => (re.test(stderr) ? resolve() : reject(new Error(`the CLI ended without printing ${re}: ${stderr}`)))));
    }),
  };
}

describe('xsvisor run: limits', () => {
  it('--timeout gives 124', () => {
    const r = cli(['run', '--timeout', '0.5', spinGuest()]);
    assert.equal(r.status, EXIT.TIMEOUT, r.stderr);
    assert.match(r.stderr, /timed out after 0\.5 s \(--timeout\)/);
  });
  it('--max-insns gives 125', () => {
    const r = cli(['run', '--max-insns', '100000', spinGuest()]);
    assert.equal(r.status, EXIT.MAX_INSNS, r.stderr);
    assert.match(r.stderr, /stopped after 100000 instructions \(--max-insns\)/);
  });
  it('--max-insns lets a guest finish when it is enough', { skip: !existsSync(hello) && 'no hello.elf' }, () => {
    assert.equal(cli(['run', '--max-insns', '10000000', hello]).status, 0);
  });
});

describe('xsvisor run: bad images and board files', () => {
  it('a missing image: 65, naming the file', () => {
    const r = cli(['run', join(tmp, 'nothing.elf')]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /nothing\.elf: cannot read the image: no such file/);
  });
  it('a truncated or foreign ELF: 65, naming the file, the place and the problem', () => {
    const cut = join(tmp, 'cut.elf');
    writeFileSync(cut, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0]));
    let r = cli(['run', cut]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /^xsvisor: .*cut\.elf: ELF header \(file offset 0xa\): the file is 10 bytes, shorter than the 52-byte ELF32 header\n$/);
    const x86 = join(tmp, 'x86.elf');
    const b = Buffer.alloc(64);
    b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    writeFileSync(x86, b);
    r = cli(['run', x86]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /x86\.elf: ELF header \(file offset 0x4\): EI_CLASS is ELFCLASS64/);
    assert.equal(r.stdout, '');
  });
  it('a raw image larger than --ram: 65', () => {
    const big = join(tmp, 'big.bin');
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x13));
    const r = cli(['run', '--ram', '1M', big]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /big\.bin: raw image.*do not fit in RAM/);
  });
  it('an unknown board: 65, listing the boards', () => {
    const r = cli(['run', '--board', 'nope', spinGuest()]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /boards\/nope\.json: no such board file \(boards: .*host-sim/);
  });
  it('an invalid board file: 65, naming the file and each JSON path', () => {
    const file = join(tmp, 'bad-board.json');
    const doc = JSON.parse(readFileSync(join(root, 'boards', 'host-sim.json'), 'utf8'));
    doc.gpio.lines[1].pin = 99;
    doc.colour = 'red';
    writeFileSync(file, JSON.stringify(doc));
    const r = cli(['run', '--board', file, spinGuest()]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /bad-board\.json: \$\.colour: unknown key/);
    assert.match(r.stderr, /bad-board\.json: \$\.gpio\.lines\[1\]\.pin: must be an integer 0-63, not 99/);
  });
  it('a board for another platform: 65', () => {
    const file = join(tmp, 'esp.json');
    writeFileSync(file, JSON.stringify({ name: 'esp', platform: 'esp32', ramBudget: '256KiB',
      devices: ['clint', 'plic', 'uart0', 'test-finisher'], uart0: { uart: 0, tx: 1, rx: 3 } }));
    const r = cli(['run', '--board', file, spinGuest()]);
    assert.equal(r.status, EXIT.BAD_INPUT);
    assert.match(r.stderr, /is for esp32/);
  });
});

describe('boards/host-sim.json and bin/xsvisor.js', () => {
  it('host-sim is valid: 128 MiB or more, UART0 on stdio, led output and button input', () => {
    const board = parseBoard(readFileSync(join(root, 'boards', 'host-sim.json'), 'utf8'), 'boards/host-sim.json');
    assert.equal(board.name, 'host-sim');
    assert.ok(board.ramBudget >= 128 * 1024 * 1024);
    assert.deepEqual(board.uart0, { kind: 'host', serial: { kind: 'stdio' } });
    assert.deepEqual(board.gpioLines.map((l) => [l.line, l.name, l.direction]), [[0, 'led', 'output'], [1, 'button', 'input']]);
  });
  it('bin/xsvisor.js without dist/ tells the user to run npm run build (status 70)', () => {
    const pkg = join(tmp, 'pkg');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    copyFileSync(join(root, 'bin', 'xsvisor.js'), join(pkg, 'bin', 'xsvisor.js'));
    writeFileSync(join(pkg, 'package.json'), '{"type":"module"}');
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'xsvisor.js'), '--version'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, EXIT.INTERNAL);
    assert.match(r.stderr, /npm run build/);
  });
  it('bin/xsvisor.js runs the compiled CLI when dist/ is built', { skip: !existsSync(join(root, 'dist', 'host', 'cli', 'xsvisor.js')) && 'dist/ not built' }, () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'xsvisor.js'), '--version'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^xsvisor \d+\.\d+\.\d+/);
  });
});
