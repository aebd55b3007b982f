// qemu.test.ts: the QEMU half of differential testing, on its own: every
// committed guest behaves under QEMU as catalogued in guests.ts, random
// programs are deterministic and run to a complete register dump, and the
// noise filter leaves plain output alone. Skipped where QEMU is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listGuests } from './guests.js';
import { qemuAvailable, runQemu, stripTerminalNoise } from './qemu.js';
import { CODE_BASE, generateProgram, parseRandomOutput } from './randprog.js';
import { firstDifference, runDifferential } from './run-qemu-suite.js';

const haveQemu = qemuAvailable();
// In CI a missing QEMU must fail the run, not skip it.
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
const skip = haveQemu || inCi ? false : 'qemu-system-riscv32 not installed (Debian package qemu-system-misc)';

test('terminal noise is stripped, text is kept', () => {
  assert.equal(stripTerminalNoise('\x1b[?7l\x1b[2J\x1b[0mPASS m\n\x1bc'), 'PASS m\n');
  assert.equal(stripTerminalNoise('x01=00000000\nsum=1\n'), 'x01=00000000\nsum=1\n');
});

test('random programs are a pure function of their seed', () => {
  const a = generateProgram({ seed: 42, length: 300 });
  const b = generateProgram({ seed: 42, length: 300 });
  const c = generateProgram({ seed: 43, length: 300 });
  assert.deepEqual(a.image, b.image);
  assert.notDeepEqual(a.image, c.image);
  assert.equal(CODE_BASE, 0x80000000);
  // the body uses compressed instructions unless told not to
  const plain = generateProgram({ seed: 42, length: 300, compressed: false });
  assert.ok(plain.image.length % 4 === 0);
});

test('firstDifference names the first differing line', () => {
  assert.equal(firstDifference('a\nb\n', 'a\nc\n'), 'line 2: qemu "b" / xsvisor "c"');
  assert.equal(firstDifference('a\n', 'a\n'), 'identical');
});

test('every guest image behaves as catalogued under QEMU', { skip }, async () => {
  const guests = listGuests();
  assert.ok(guests.length >= 13, `expected the committed guests, found ${guests.length}`);
  for (const g of guests) {
    const r = await runQemu(g.path, { machine: g.machine });
    assert.equal(r.timedOut, false, `${g.name}: timed out`);
    assert.equal(r.status, g.status, `${g.name}: exit status ${r.status}, output ${JSON.stringify(r.stdout.slice(-200))}`);
    assert.equal(g.checkOutput(r.stdout), null, `${g.name}: ${g.checkOutput(r.stdout)}`);
    assert.equal(r.rawStdout, r.stdout, `${g.name}: QEMU wrote terminal control sequences`);
  }
});

test('random programs run to a full register dump under QEMU', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xsvisor-random-'));
  try {
    for (const seed of [1, 2, 3, 99]) {
      for (const compressed of [true, false]) {
        const p = generateProgram({ seed, length: 500, compressed, atomics: !compressed });
        const path = join(dir, `r${seed}-${compressed}.bin`);
        writeFileSync(path, p.image);
        const r = await runQemu(path);
        assert.equal(r.status, 0, `seed ${seed}: status ${r.status}`);
        const parsed = parseRandomOutput(r.stdout);
        assert.ok(parsed, `seed ${seed}: malformed output ${JSON.stringify(r.stdout.slice(0, 200))}`);
        // running it again gives the same text: the program is deterministic
        const again = await runQemu(path);
        assert.equal(again.stdout, r.stdout);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runDifferential reports agreement and disagreement', { skip }, async () => {
  const guests = listGuests().filter((g) => g.name === 'hello' || g.name === 'htif-fail');
  // QEMU against itself: no mismatches
  const same = await runDifferential(async (path, { machine }) => {
    const r = await runQemu(path, { machine });
    return { stdout: r.stdout, status: r.status ?? -1 };
  }, { guests, randomCount: 2, seed: 7 });
  assert.deepEqual(same, []);
  // a runner that drops the last line and always exits 0
  const wrong = await runDifferential(async (path, { machine }) => {
    const r = await runQemu(path, { machine });
    return { stdout: r.stdout.replace(/[^\n]*\n$/, ''), status: 0 };
  }, { guests, randomCount: 1, seed: 7 });
  assert.deepEqual(wrong.map((m) => [m.name, m.field]), [['hello', 'stdout'], ['htif-fail', 'status'], ['random-7', 'stdout']]);
});
