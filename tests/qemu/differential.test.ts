// differential.test.ts: xsvisor against QEMU, the reference for
// guest-visible behaviour. Every committed guest and a set of seeded random
// programs run under `qemu-system-riscv32` and under the built `xsvisor`
// CLI (bin/xsvisor.js, so `npm run build` first: `npm run test:qemu` does);
// UART output and exit status must match byte for byte.
//
// QEMU is required in CI (a missing binary fails the run there); on a
// developer machine without it the test is skipped with the reason.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './guests.js';
import { qemuAvailable } from './qemu.js';
import { runDifferential, xsvisorCliRunner } from './run-qemu-suite.js';

const haveQemu = qemuAvailable();
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
const skip = haveQemu || inCi ? false : 'qemu-system-riscv32 not installed (Debian package qemu-system-misc)';
const cli = join(REPO_ROOT, 'dist', 'host', 'cli', 'xsvisor.js');

test('xsvisor matches QEMU on every guest and on random programs', { skip }, async () => {
  assert.ok(haveQemu, 'qemu-system-riscv32 is required in CI (apt-get install qemu-system-misc)');
  assert.ok(existsSync(cli), `the CLI is not built (${cli}): run npm run build`);
  const seed = Number(process.env['XSVISOR_DIFF_SEED'] ?? 1);
  const mismatches = await runDifferential(xsvisorCliRunner(join(REPO_ROOT, 'bin', 'xsvisor.js')), {
    randomCount: Number(process.env['XSVISOR_DIFF_RANDOM'] ?? 40),
    seed,
    randomLength: 600,
  });
  const report = mismatches.map((m) => `${m.name} (${m.machine}): ${m.field}: ${m.detail}`).join('\n');
  assert.equal(report, '', `mismatches against QEMU (seed ${seed}):\n${report}`);
});
