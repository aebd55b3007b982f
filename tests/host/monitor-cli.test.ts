/**
 * `xsvisor run --config FILE` and `--deterministic`, spawned as users run
 * them: several VMs with tagged console lines, exit statuses (all 0, a
 * failing guest, a VM stopped by a fault), configuration errors naming the
 * file, the JSON path and the conflict, usage errors, image paths relative
 * to the configuration file, and identical output on repeated
 * deterministic runs.
 *
 * The CLI spawned is dist/'s build (cli-entry.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'guests', 'bin');
let entry = '';
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-monitor-cli-'));
  entry = cliEntry();
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: root, input, timeout: 120_000, encoding: 'latin1' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function config(name: string, doc: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(doc, null, 2));
  return path;
}

const g = (name: string): string => join(bin, `${name}.elf`);

describe('xsvisor run --config', () => {
  it('runs several VMs; shared-console lines are tagged; status 0 when every VM exits 0', () => {
    const file = config('ok.json', { board: 'host-sim', vms: [
      { name: 'hello', image: g('hello'), ram: '16MiB' },
      { name: 'isa', image: g('isa-rv32i'), ram: '16MiB', pins: { 0: 'led' } },
      { name: 'sbi', image: g('sbi'), ram: '16MiB', firmware: 'sbi' },
    ] });
    const r = cli(['run', '--config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\[hello\] Hello from xsvisor guest!$/m);
    assert.match(r.stdout, /^\[isa\] PASS rv32i$/m);
    assert.match(r.stdout, /^\[sbi\] sbi: done, 0 failed: PASS$/m);
    for (const line of r.stdout.split('\n').filter((l) => l !== '')) assert.match(line, /^\[(hello|isa|sbi)\] /);
    assert.match(r.stderr, /VM 'hello' exited with status 0/);
  });

  it('image paths are relative to the configuration file; one VM on the console is not tagged', () => {
    copyFileSync(g('hello'), join(tmp, 'mine.elf'));
    const file = config('rel.json', { board: 'host-sim', vms: [{ name: 'only', image: 'mine.elf' }] });
    const r = cli(['run', '--config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Hello from xsvisor guest!$/m);
  });

  it('the first VM (in configuration order) that fails gives the status', () => {
    const file = config('fail.json', { board: 'host-sim', vms: [
      { name: 'hello', image: g('hello') },
      { name: 'f', image: g('htif-fail'), uart: 'none' },
    ] });
    const r = cli(['run', '--config', file]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /VM 'f' exited with status 3/);
  });

  it('a VM stopped by a fault: reason and register dump on stderr, the others complete, status 70', () => {
    writeFileSync(join(tmp, 'junk.bin'), Buffer.alloc(64, 0xff));
    const file = config('fault.json', { board: 'host-sim', vms: [
      { name: 'junk', image: 'junk.bin', ram: '1MiB' },
      { name: 'hello', image: g('hello') },
    ] });
    const r = cli(['run', '--config', file]);
    assert.equal(r.status, 70, r.stderr);
    assert.match(r.stderr, /VM 'junk' stopped by a fault: no progress/);
    assert.match(r.stderr, /xsvisor: {3}pc [0-9a-f]{8} {2}priv M/);
    assert.match(r.stderr, /mcause [0-9a-f]{8} {2}mepc/);
    assert.match(r.stdout, /^\[hello\] bye$/m);
  });

  it('refuses a bad configuration before anything boots: file, JSON path and conflict (status 65)', () => {
    const file = config('bad.json', { board: 'host-sim', vms: [
      { name: 'a', image: g('hello'), uart: 'uart0', pins: { 0: 'led' } },
      { name: 'b', image: g('hello'), uart: 'uart0', pins: { 3: 'led' }, ram: '2GiB' },
    ] });
    const r = cli(['run', '--config', file]);
    assert.equal(r.status, 65);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bad\.json: \$\.vms\[1\]\.uart: "uart0" .* already given to VM 'a' at \$\.vms\[0\]\.uart/);
    assert.match(r.stderr, /bad\.json: \$\.vms\[1\]\.pins\.3: pin "led" is already given to VM 'a' at \$\.vms\[0\]\.pins\.0/);
    assert.match(r.stderr, /bad\.json: \$\.vms\[1\]\.ram: /);
  });

  it('an image that cannot be read or used is named by its path in the configuration', () => {
    const missing = config('missing.json', { board: 'host-sim', vms: [{ name: 'a', image: 'nope.elf' }] });
    const r = cli(['run', '--config', missing]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /missing\.json: \$\.vms\[0\]\.image: nope\.elf: cannot read the image: no such file/);
    const board = config('board.json', { board: 'no-such-board', vms: [{ name: 'a', image: g('hello') }] });
    const b = cli(['run', '--config', board]);
    assert.equal(b.status, 65);
    assert.match(b.stderr, /board\.json: \$\.board: board "no-such-board" cannot be used: .*no such board file/);
    const unreadable = cli(['run', '--config', join(tmp, 'absent.json')]);
    assert.equal(unreadable.status, 65);
    assert.match(unreadable.stderr, /absent\.json: cannot read the configuration: no such file/);
  });

  it('usage errors: --config with IMAGE, --ram, --board or --view', () => {
    const file = config('u.json', { board: 'host-sim', vms: [{ name: 'a', image: g('hello') }] });
    for (const extra of [[g('hello')], ['--ram', '1M'], ['--board', 'host-sim'], ['--view']]) {
      const r = cli(['run', '--config', file, ...extra]);
      assert.equal(r.status, 64, `${extra.join(' ')}: ${r.stderr}`);
    }
  });
});

describe('xsvisor run --deterministic', () => {
  it('one image: the same stdout and status every run', () => {
    const a = cli(['run', '--deterministic', g('isa-irq')]);
    const b = cli(['run', '--deterministic', g('isa-irq')]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /PASS irq/);
  });

  it('a configuration: byte-identical output twice, --deterministic or "deterministic": true', () => {
    const vms = [
      { name: 'hello', image: g('hello') },
      { name: 'irq', image: g('isa-irq') },
      { name: 'sbi', image: g('sbi'), firmware: 'sbi' },
    ];
    const flagged = config('det.json', { board: 'host-sim', vms });
    const inFile = config('det2.json', { board: 'host-sim', deterministic: true, vms });
    const runs = [cli(['run', '--deterministic', '--config', flagged]), cli(['run', '--deterministic', '--config', flagged]), cli(['run', '--config', inFile])];
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    assert.equal(runs[0].stdout, runs[1].stdout);
    assert.equal(runs[0].stdout, runs[2].stdout);
  });
});
