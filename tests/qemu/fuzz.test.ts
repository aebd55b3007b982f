// fuzz.test.ts: a QEMU-compared sample of the hart fuzzer (docs/robustness.md, attack 1).
// A few hundred random instruction words per mode (M, S, U; S and U also
// through Sv32) run one at a
// time under qemu-system-riscv32 7.2 and on a VirtVm; the (mcause, mtval,
// mepc) each one leaves must agree, apart from the deliberate differences
// fuzz-image.ts lists (each cites the spec). The long run is `npm run fuzz`.
//
// QEMU is required in CI; elsewhere the test is skipped without it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFuzzImage, compareFuzzLogs, exclusionReason, parseFuzzLog, runXsvisorInProcess, type Mode } from './fuzz-image.js';
import { qemuAvailable, runQemu } from './qemu.js';

const haveQemu = qemuAvailable();
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
const skip = haveQemu || inCi ? false : 'qemu-system-riscv32 not installed (Debian package qemu-system-misc)';
const SEED = Number(process.env['XSVISOR_FUZZ_SEED'] ?? 9);
const WORDS = Number(process.env['XSVISOR_FUZZ_WORDS'] ?? 400);

test('the generator leaves out only what it must, and is deterministic', () => {
  const a = buildFuzzImage({ mode: 'M', seed: 3, count: 300 });
  const b = buildFuzzImage({ mode: 'M', seed: 3, count: 300 });
  assert.deepEqual(a.image, b.image);
  assert.equal(a.words.length, 300);
  for (const w of a.words) assert.equal(exclusionReason(w, 'M'), null);
  assert.equal(exclusionReason(0x10500073, 'U'), 'wfi');
  assert.equal(exclusionReason(0x0000006f, 'S'), 'self-jump'); // jal x0, 0
  assert.equal(exclusionReason(0x30529073, 'M'), 'mtvec-write'); // csrw mtvec, t0
  assert.equal(exclusionReason(0x30502573, 'M'), null); // csrr a0, mtvec: a read
  assert.equal(exclusionReason(0x3a029073, 'S'), null); // pmpcfg0 from S traps in both: kept
  assert.equal(exclusionReason(0x7a129073, 'M'), 'trigger-write'); // csrw tdata1, t0
  assert.equal(exclusionReason(0x7a102573, 'M'), null); // csrr a0, tdata1: a read
});

const CONFIGS: readonly [Mode, boolean][] = [['M', false], ['S', false], ['U', false], ['S', true], ['U', true]];

for (const [mode, paging] of CONFIGS) {
  test(`${WORDS} random words in ${mode}-mode${paging ? ' through Sv32' : ''}: the same trap (cause, tval, epc) as QEMU 7.2`, { skip }, async () => {
    assert.ok(haveQemu, 'qemu-system-riscv32 is required in CI (apt-get install qemu-system-misc)');
    const img = buildFuzzImage({ mode, seed: SEED, count: WORDS, paging });
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-fuzz-'));
    try {
      const path = join(dir, `fuzz-${mode}${paging ? '-sv32' : ''}.bin`);
      writeFileSync(path, img.image);
      const q = await runQemu(path, { timeoutMs: 60_000 });
      const ql = parseFuzzLog(q.stdout, WORDS);
      assert.ok(ql !== null, `QEMU gave no complete log (status ${q.status}${q.timedOut ? `, timed out: ${q.timeoutReason}` : ''}): ${JSON.stringify(q.stdout)}`);
      const x = runXsvisorInProcess(img.image);
      const xl = parseFuzzLog(x.stdout, WORDS);
      assert.ok(xl !== null, `xsvisor gave no complete log (status ${x.status}): ${JSON.stringify(x.stdout)}`);
      assert.equal(x.status, 0);
      const r = compareFuzzLogs(img, ql, xl);
      assert.equal(r.compared, WORDS);
      assert.equal(r.mismatches.join('\n'), '', `seed ${SEED}`);
      // the sample must reach traps, not only retire
      assert.ok((r.trapsByCause[2] ?? 0) > WORDS / 4, `illegal-instruction traps: ${r.trapsByCause[2]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
