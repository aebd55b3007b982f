/**
 * Malformed inputs from files, as users would feed them: real guest images
 * (guests/bin) truncated at every offset and with random bytes changed
 * (fast-check), the real board files with random JSON mutations, and a
 * few malformed files through the CLI.
 *
 * Every image is loaded or refused with an ImageError naming the image and
 * the place (RAM untouched); through VirtVm a refused image opens no port
 * (a counting serial factory). Board files give a BoardError or a
 * BoardFileError naming the file. Through the CLI, each malformed file
 * gives exit status 65 and a message naming the file. No other exception
 * escapes. The engine-neutral generators live in
 * tests/core/malformed-elf.test.ts and tests/core/malformed-config.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { BoardError } from '../../src/board/index.js';
import { ImageError, loadImage } from '../../src/loader/index.js';
import { VirtVm, VmConfigError } from '../../src/monitor/index.js';
import { ManualClock } from '../../src/ports/sim/index.js';
import { type SerialPortFactory } from '../../src/ports/index.js';
import { BoardFileError, loadBoardPath } from '../../host/board-file.js';
import { cliEntry } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'guests', 'bin');
let entry = '';
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-malformed-'));
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

const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 1024 * 1024;
const image = (name: string): Uint8Array => new Uint8Array(readFileSync(join(bin, `${name}.elf`)));

/** Loads into fresh RAM: 'loaded' or the ImageError's reason; checks the refusal's form and that RAM is untouched. */
function tryLoad(bytes: Uint8Array, ram: Uint8Array, name: string): string {
  try {
    const img = loadImage({ image: bytes, ram: { base: RAM_BASE, bytes: ram }, name });
    for (const s of img.segments) assert.ok(s.paddr >= RAM_BASE && s.paddr + s.memsz <= RAM_BASE + RAM_SIZE);
    return 'loaded';
  } catch (e) {
    if (!(e instanceof ImageError)) throw new Error(`not an ImageError: ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(e.message.startsWith(`${name}: ${e.place}`), e.message);
    return e.reason;
  }
}

/** A serial port factory that counts opens and closes. */
function countingSerial() {
  const c = { opens: 0, closes: 0 };
  const open: SerialPortFactory = () => {
    c.opens++;
    let live = true;
    return { read: () => undefined, write: () => {}, close: () => { if (live) { live = false; c.closes++; } } };
  };
  return { c, open };
}

describe('real images, truncated and corrupted', () => {
  for (const name of ['hello', 'hostile-probe', 'sbi']) {
    it(`${name}.elf truncated at every offset: refused with an ImageError, RAM untouched`, () => {
      const full = image(name);
      const ram = new Uint8Array(RAM_SIZE);
      const reasons = new Map<string, number>();
      // Prefixes of 1-3 bytes lack the 4-byte ELF magic: by the loader's contract they are raw images, and load.
      for (let n = 4; n < full.length; n++) {
        const r = tryLoad(full.subarray(0, n), ram, `${name}-${n}.elf`);
        reasons.set(r, (reasons.get(r) ?? 0) + 1);
        // A refused image writes nothing (checked now and then: RAM is 1 MiB).
        if (r !== 'loaded' && n % 997 === 0) assert.ok(ram.every((b) => b === 0), `nothing written at ${n}`);
        if (r === 'loaded') ram.fill(0);
      }
      // Every prefix misses something the file says it has: the segments, or the section headers at its end.
      assert.equal(reasons.get('loaded') ?? 0, 0, `some prefixes loaded: ${JSON.stringify([...reasons])}`);
      assert.ok(reasons.has('truncated-header') && reasons.has('truncated-segment'), JSON.stringify([...reasons]));
      assert.equal(tryLoad(full.subarray(0, 0), ram, 'e.elf'), 'empty');
      for (let n = 1; n < 4; n++) assert.equal(tryLoad(full.subarray(0, n), ram, 'r.bin'), 'loaded');
    });
  }

  it('hello.elf with 1-8 random bytes changed (fast-check, 1000 runs): loaded or refused, never another exception; VirtVm opens no port for a refused one', () => {
    const full = image('hello');
    let refused = 0;
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: full.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.boolean(), (changes, headerOnly) => {
        const bytes = full.slice();
        // Half the runs hit the ELF header and the program headers after it, where a change matters most.
        for (const [at, v] of changes) bytes[headerOnly ? at % 180 : at] = v;
        const { c, open } = countingSerial();
        let vm: VirtVm | null = null;
        try {
          vm = new VirtVm({ image: bytes, imageName: 'hello-x.elf', ramSize: 16 * 1024 * 1024, clock: new ManualClock(), serial: open });
        } catch (e) {
          if (!(e instanceof ImageError) && !(e instanceof VmConfigError)) throw new Error(`unexpected ${e instanceof Error ? e.stack : String(e)}`);
          assert.ok(e.message.includes('hello-x.elf: '), e.message);
          assert.deepEqual(c, { opens: 0, closes: 0 });
          refused++;
          return;
        }
        vm.close();
        assert.deepEqual(c, { opens: 1, closes: 1 });
      }), { numRuns: 1000, seed: 1234 });
    assert.ok(refused > 100, `${refused} refused`);
  });
});

describe('real board files, mutated', () => {
  const boards = readdirSync(join(root, 'boards')).filter((f) => f.endsWith('.json')).sort();

  it('every board file, with random JSON mutations written to disk: a BoardError naming the file, or a valid board', () => {
    assert.ok(boards.length >= 3);
    const dir = join(tmp, 'boards');
    mkdirSync(dir);
    let n = 0;
    let refused = 0;
    for (const f of boards) {
      const doc = JSON.parse(readFileSync(join(root, 'boards', f), 'utf8')) as Record<string, unknown>;
      const keys = Object.keys(doc);
      fc.assert(fc.property(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (key, value, drop) => {
        const copy: Record<string, unknown> = { ...doc };
        if (drop) delete copy[key];
        else copy[key] = value;
        const path = join(dir, `${n++}-${f}`);
        writeFileSync(path, JSON.stringify(copy));
        try {
          loadBoardPath(path);
        } catch (e) {
          if (!(e instanceof BoardError)) throw new Error(`unexpected ${e instanceof Error ? e.stack : String(e)}`);
          assert.ok(e.message.startsWith(`${path}: $`), e.message);
          refused++;
        }
      }), { numRuns: 150, seed: 77 });
    }
    assert.ok(refused > n / 2, `${refused} of ${n} refused`);
  });

  it('a board path that is missing, a directory or not UTF-8 JSON: BoardFileError or BoardError naming it', () => {
    assert.throws(() => loadBoardPath(join(tmp, 'nope.json')), (e: unknown) => e instanceof BoardFileError && /nope\.json: no such board file/.test(e.message));
    assert.throws(() => loadBoardPath(tmp), (e: unknown) => e instanceof BoardFileError && e.message.includes('is a directory'));
    const bad = join(tmp, 'bin.json');
    writeFileSync(bad, Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
    assert.throws(() => loadBoardPath(bad), (e: unknown) => e instanceof BoardError && e.message.startsWith(`${bad}: $: is not valid JSON`));
  });
});

describe('malformed files through the CLI: status 65, the file named', () => {
  it('a truncated ELF, an empty file, a raw image larger than RAM, a non-RISC-V ELF', () => {
    const trunc = join(tmp, 'trunc.elf');
    writeFileSync(trunc, image('hello').subarray(0, 200));
    let r = cli(['run', trunc]);
    assert.equal(r.status, 65, r.stderr);
    assert.match(r.stderr, /^xsvisor: .*trunc\.elf: .*(program header|segment|section|ELF header)/m);

    const empty = join(tmp, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    r = cli(['run', empty]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /empty\.bin: image: the file is empty/);

    const big = join(tmp, 'big.bin');
    writeFileSync(big, new Uint8Array(2 * 1024 * 1024 + 4).fill(0x13));
    r = cli(['run', '--ram', '1M', big]);
    assert.equal(r.status, 65, r.stderr);
    assert.match(r.stderr, /big\.bin: /);

    const x86 = join(tmp, 'x86.elf');
    const bytes = image('hello');
    bytes[18] = 62; // EM_X86_64
    writeFileSync(x86, bytes);
    r = cli(['run', x86]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /x86\.elf: ELF header.*: /);
  });

  it('a malformed board file and a malformed configuration', () => {
    const board = join(tmp, 'bad-board.json');
    writeFileSync(board, '{"name": "x", "platform": "host", "ramBudget": "1GiB", "devices": [');
    let r = cli(['run', '--board', board, join(bin, 'hello.elf')]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /bad-board\.json: \$: is not valid JSON: expected a value, found the end of the text at line 1, column 68/);

    // Several problems in a board file: one line each, every one tagged.
    writeFileSync(board, JSON.stringify({ name: 'x', platform: 'host', ramBudget: '1GiB', devices: ['clint', 'plic', 'uart0', 'test-finisher'], uart0: { serial: 'tcp:0' }, extra: 1 }));
    r = cli(['run', '--board', board, join(bin, 'hello.elf')]);
    assert.equal(r.status, 65);
    const lines = r.stderr.trimEnd().split('\n');
    assert.ok(lines.length >= 2, r.stderr);
    for (const line of lines) assert.match(line, /^xsvisor: .*bad-board\.json: \$\.(extra|uart0\.serial): /);

    const conf = join(tmp, 'bad.json');
    writeFileSync(conf, JSON.stringify({ board: 'host-sim', vms: [{ name: '1bad', image: 'x.elf', ram: -5, bogus: true }] }));
    r = cli(['run', '--config', conf]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /bad\.json: \$\.vms\[0\]\.name: /);
    assert.match(r.stderr, /bad\.json: \$\.vms\[0\]\.bogus: /);

    const trunc = join(tmp, 't.elf');
    writeFileSync(trunc, image('hello').subarray(0, 100));
    const conf2 = join(tmp, 'img.json');
    writeFileSync(conf2, JSON.stringify({ board: 'host-sim', vms: [{ name: 'a', image: 't.elf' }] }));
    r = cli(['run', '--config', conf2]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /img\.json: \$\.vms\[0\]/);
    assert.match(r.stderr, /t\.elf/);
  });
});
