// boot.test.ts: the boot benchmark's kernel (guests/boot) against QEMU. QEMU
// runs boot-qemu.elf (the kernel behind our M-mode SBI shim: Debian has no
// rv32 OpenSBI); xsvisor runs boot.elf under its built-in SBI
// (--firmware sbi) and boot-qemu.elf as QEMU does. All three must print the
// same lines and exit 0, and QEMU's run must show the mix the kernel is
// built for (npm run bench:boot measures its speed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GUESTS_BIN, REPO_ROOT } from './guests.js';
import { qemuAvailable, runQemu } from './qemu.js';

const haveQemu = qemuAvailable();
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
const skip = haveQemu || inCi ? false : 'qemu-system-riscv32 not installed (Debian package qemu-system-misc)';
const cli = join(REPO_ROOT, 'bin', 'xsvisor.js');

function xsvisor(args: string[]): Promise<{ stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    // A hang guard only: the run takes seconds.
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status) => {
      clearTimeout(timer);
      if (status !== 0) process.stderr.write(Buffer.concat(err));
      resolve({ stdout: Buffer.concat(out).toString('latin1'), status });
    });
  });
}

test('the boot benchmark prints what QEMU prints, under --firmware sbi and behind the guest shim', { skip }, async () => {
  assert.ok(haveQemu, 'qemu-system-riscv32 is required in CI (apt-get install qemu-system-misc)');
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'host', 'cli', 'xsvisor.js')), 'the CLI is not built: run npm run build');
  const q = await runQemu(join(GUESTS_BIN, 'boot-qemu.elf'), { timeoutMs: 120_000 });
  assert.equal(q.timedOut, false, q.timeoutReason);
  assert.equal(q.status, 0, `QEMU: status ${q.status}, output ${JSON.stringify(q.stdout.slice(-500))}`);
  // The mix the kernel is built for, as QEMU ran it.
  const mix = /^xsboot: 16 processes, 1 killed, (\d+) page faults \(0 in the kernel\), (\d+) system calls, 10000 timer ticks$/m.exec(q.stdout);
  assert.ok(mix, `no summary line in ${JSON.stringify(q.stdout.slice(-500))}`);
  assert.ok(Number(mix[1]) >= 100_000 && Number(mix[2]) >= 100_000, mix[0]);
  assert.match(q.stdout, /^xsboot: pages free 1024 of 1024$/m);
  assert.match(q.stdout, /^\[pid 7\] segfault at 00000000 \(cause 15\), killed$/m);
  for (const args of [['--firmware', 'sbi', join(GUESTS_BIN, 'boot.elf')], [join(GUESTS_BIN, 'boot-qemu.elf')]]) {
    const x = await xsvisor(args);
    assert.equal(x.status, 0, `xsvisor ${args.join(' ')}: status ${x.status}`);
    assert.equal(x.stdout, q.stdout, `xsvisor ${args.join(' ')} differs from QEMU`);
  }
});
