/**
 * The QEMU-style options of `xsvisor run`, spawned as users run them:
 * --icount (and its refusals), --deterministic and --icount under
 * --engine xs giving V8's output byte for byte, --firmware sbi, --append
 * and --dtb (the tree the guest got, read back from a snapshot of its
 * RAM), --load and the configuration's load key (likewise), their
 * refusals, and the no-progress stop of one IMAGE (status 71 with the
 * likely fix).
 *
 * The CLI spawned is dist/'s build (cli-entry.ts). The XS comparisons are
 * skipped when the XS engine (built by `npm install`) is missing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVirtDeviceTree } from '../../src/machine/index.js';
import { fdtValueStrings, findFdtNode, parseFdt } from '../../src/fdt/index.js';
import { decodeVmSnapshot } from '../../src/snapshot/index.js';
import { cliEntry, xsEngineMissing } from './cli-entry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const g = (name: string): string => join(root, 'guests', 'bin', `${name}.elf`);
let entry = '';
let tmp = '';

const noXs = xsEngineMissing();

before(() => {
  entry = cliEntry();
  tmp = mkdtempSync(join(tmpdir(), 'xsvisor-qemu-opts-'));
});
after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: root, encoding: 'latin1', timeout: 180_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Guest memory [addr, addr + size) as a snapshot file saved it (pages left out are zero). */
function ramFromSnapshot(file: string, addr: number, size: number): Uint8Array {
  const snap = decodeVmSnapshot(new Uint8Array(readFileSync(file)));
  const out = new Uint8Array(size);
  for (const piece of snap.ram) {
    for (const p of piece.pages) {
      const start = piece.base + p.offset;
      for (let i = 0; i < p.bytes.length; i++) {
        const a = start + i;
        if (a >= addr && a < addr + size) out[a - addr] = p.bytes[i];
      }
    }
  }
  return out;
}

describe('--icount', () => {
  it('refusals: a shift outside 0-10, sleep=on, with --deterministic, --view, --snapshot-save under auto (64)', () => {
    for (const [args, why] of [
      [['--icount', '11'], /--icount: '11' is not a SHIFT 0-10, auto, or shift=SHIFT\|auto\[,sleep=off\]/],
      [['--icount', 'shift=2,sleep=on'], /--icount: 'shift=2,sleep=on' is not/],
      [['--icount', '2', '--deterministic'], /--icount and --deterministic both set the clock: give one/],
      [['--icount', '2', '--view'], /--view does not go with --icount/],
      [['--icount', 'auto', '--snapshot-save', join(tmp, 's')], /--snapshot-save does not go with --icount auto/],
    ] as const) {
      const r = cli(['run', ...args, g('hello')]);
      assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
    }
  });

  it('a configuration with icount, and --icount against its clock', () => {
    const file = join(tmp, 'ic.json');
    writeFileSync(file, JSON.stringify({ board: 'host-sim', icount: 2, vms: [{ name: 'r', image: g('rtos'), uart: 'uart0' }] }));
    const r = cli(['run', '--config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, cli(['run', '--icount', '2', g('rtos')]).stdout);
    const clash = cli(['run', '--config', file, '--icount', '3']);
    assert.equal(clash.status, 64);
    assert.match(clash.stderr, /\$\.icount \(2\) sets another clock than --icount 3: give one/);
  });

  it('a run cut by --snapshot-save and resumed prints what the whole run prints; another clock mode is refused (65)', () => {
    const snap = join(tmp, 'ic.snap');
    const a = cli(['run', '--icount', '2', '--max-insns', '300000', '--snapshot-save', snap, g('rtos')]);
    assert.equal(a.status, 125, a.stderr);
    const b = cli(['run', '--icount', '2', '--snapshot-load', snap, g('rtos')]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(a.stdout + b.stdout, cli(['run', '--icount', '2', g('rtos')]).stdout);
    for (const other of [['--deterministic'], ['--icount', '3']]) {
      const r = cli(['run', ...other, '--snapshot-load', snap, g('rtos')]);
      assert.equal(r.status, 65, r.stderr);
      assert.match(r.stderr, /snapshot bad-state \(clock\): .*nsPerInstruction/);
    }
  });

  it('auto runs the RTOS demo to its end (pass or fail is the host\'s speed: not asserted)', () => {
    const r = cli(['run', '--icount', 'auto', g('rtos')]);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.match(r.stdout, /\n(PASS|FAIL) rtos/);
  });
});

describe('--engine xs with --deterministic and --icount: the output of V8, byte for byte', { skip: noXs }, () => {
  for (const [guest, args, status] of [
    ['isa-irq', ['--deterministic'], 0],
    ['rtos', ['--deterministic'], 1],
    ['rtos', ['--icount', '2'], 0],
    ['hostile-trap-storm', ['--deterministic'], 71],
  ] as const) {
    it(`${guest} ${args.join(' ')}: status ${status}`, () => {
      const v8 = cli(['run', ...args, g(guest)]);
      const xs = cli(['run', '--engine', 'xs', ...args, g(guest)]);
      assert.equal(v8.status, status, v8.stderr);
      assert.equal(xs.status, status, xs.stderr);
      assert.equal(xs.stdout, v8.stdout);
      if (status === 71) assert.equal(xs.stderr, v8.stderr, 'the same fault, found at the same instruction');
    });
  }
  it('--engine xs runs a --config of one VM as V8 does (tests/host/cli-xs-config.test.ts has more)', () => {
    const file = join(tmp, 'x.json');
    writeFileSync(file, JSON.stringify({ board: 'host-sim', vms: [{ name: 'a', image: g('hello') }] }));
    const v8 = cli(['run', '--config', file]);
    const xs = cli(['run', '--engine', 'xs', '--config', file]);
    assert.equal(v8.status, 0, v8.stderr);
    assert.equal(xs.status, 0, xs.stderr);
    assert.equal(xs.stdout, v8.stdout);
    assert.match(xs.stdout, /^Hello from xsvisor guest!$/m);
  });
});

describe('one IMAGE that makes no progress: stopped with the cause and the likely fix (71)', () => {
  it('a text file run as code (xsvisor run README.md)', () => {
    for (const engine of noXs === false ? ['node', 'xs'] : ['node']) {
      const r = cli(['run', '--engine', engine, 'README.md']);
      assert.equal(r.status, 71, r.stderr);
      assert.match(r.stderr, /xsvisor: README\.md: the guest makes no progress, stopped: no progress: \d+ instructions executed and none retired/);
      assert.match(r.stderr, /likely fix: README\.md is not an ELF executable and looks like text/);
    }
  });
  it('an S-mode image booted without firmware: "try --firmware sbi"; with it, it runs', () => {
    for (const extra of [[], ['--deterministic']]) {
      const r = cli(['run', ...extra, g('sbi')]);
      assert.equal(r.status, 71, r.stderr);
      assert.match(r.stderr, /likely fix: an S-mode image\? try --firmware sbi/);
      assert.match(r.stderr, /mtvec 00000000/);
    }
    const ok = cli(['run', '--firmware', 'sbi', g('sbi')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /PASS\n$/);
  });
  it('--help lists the status', () => {
    assert.match(cli(['--help']).stdout, /\n {2}71 {3}IMAGE made no progress/);
  });
});

describe('--append and --dtb (QEMU -append, -dtb)', () => {
  const fdtAt = 0x80e0_0000; // 16 MiB of RAM: QEMU's place for the tree
  const treeIn = (snap: string): ReturnType<typeof parseFdt> => parseFdt(ramFromSnapshot(snap, fdtAt, 0x1_0000));

  it('--append puts the command line in /chosen/bootargs of the generated tree', () => {
    const snap = join(tmp, 'append.snap');
    const r = cli(['run', '--ram', '16M', '--append', 'console=ttyS0 quiet', '--snapshot-save', snap, g('hello')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fdtValueStrings(findFdtNode(treeIn(snap).root, '/chosen')!.properties.get('bootargs')!), ['console=ttyS0 quiet']);
  });

  it('--dtb gives the guest that tree (with --append, its bootargs set), under --deterministic too', () => {
    const dtb = join(tmp, 'my.dtb');
    // A tree this board would not generate: 16 MiB with a model name of its own.
    const blob = buildVirtDeviceTree({ ramSize: 16 << 20, ramBase: 0x8000_0000, gpio: false });
    writeFileSync(dtb, blob);
    for (const extra of [[], ['--deterministic']]) {
      const snap = join(tmp, `dtb${extra.length}.snap`);
      const r = cli(['run', ...extra, '--ram', '16M', '--dtb', dtb, '--append', 'root=/dev/vda', '--snapshot-save', snap, g('hello')]);
      assert.equal(r.status, 0, r.stderr);
      const tree = treeIn(snap);
      assert.equal(findFdtNode(tree.root, '/soc/gpio@10060000'), undefined, 'host-sim generates a GPIO node; the given tree has none');
      assert.deepEqual(fdtValueStrings(findFdtNode(tree.root, '/chosen')!.properties.get('bootargs')!), ['root=/dev/vda']);
    }
  });

  it('a file that is not a device tree: 65 naming it; a missing one: 65', () => {
    const bad = join(tmp, 'bad.dtb');
    writeFileSync(bad, 'this is not a flattened device tree blob at all');
    for (const extra of noXs === false ? [[], ['--deterministic'], ['--engine', 'xs']] : [[], ['--deterministic']]) {
      const r = cli(['run', ...extra, '--dtb', bad, g('hello')]);
      assert.equal(r.status, 65, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /bad\.dtb: not a usable device tree blob: device tree: magic 0x74686973 is not 0xd00dfeed/);
    }
    const missing = cli(['run', '--dtb', join(tmp, 'absent.dtb'), g('hello')]);
    assert.equal(missing.status, 65);
    assert.match(missing.stderr, /absent\.dtb: cannot read the device tree \(--dtb\): no such file/);
  });
});

describe('--load FILE@ADDR (QEMU -device loader,force-raw=on) and the configuration\'s load', () => {
  const data = Buffer.from('ROMFS image bytes \x00\x01\x02\xff', 'latin1');
  let file = '';
  before(() => {
    file = join(tmp, 'romfs.img');
    writeFileSync(file, data);
  });

  it('copies the files into RAM at their addresses (repeatable), as a snapshot of RAM shows', () => {
    const snap = join(tmp, 'load.snap');
    const r = cli(['run', '--load', `${file}@0x80610000`, '--load', `${file}@${0x8070_0001}`, '--snapshot-save', snap, g('hello')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Buffer.from(ramFromSnapshot(snap, 0x8061_0000, data.length)), data);
    assert.deepEqual(Buffer.from(ramFromSnapshot(snap, 0x8070_0001, data.length)), data);
  });

  it('the configuration key load, relative to the configuration file', () => {
    const cfg = join(tmp, 'load.json');
    writeFileSync(cfg, JSON.stringify({ board: 'host-sim', vms: [{ name: 'a', image: g('hello'), uart: 'none', load: [{ file: 'romfs.img', addr: '0x80610000' }] }] }));
    const snap = join(tmp, 'cfg.snap');
    const r = cli(['run', '--config', cfg, '--snapshot-save', snap]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Buffer.from(ramFromSnapshot(snap, 0x8061_0000, data.length)), data);
  });

  it('refusals: bad syntax (64); outside RAM, over the image, over another load, a missing file (65)', () => {
    const bad = cli(['run', '--load', `${file}@somewhere`, g('hello')]);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /--load: '.*romfs\.img@somewhere' is not FILE@ADDR/);
    for (const [args, why] of [
      [['--load', `${file}@0x90000000`], /romfs\.img@0x90000000: \[0x90000000, 0x90000016\) \(22 bytes\) is not inside guest RAM \[0x80000000, 0x88000000\)/],
      [['--load', `${file}@0x80000010`], /romfs\.img@0x80000010: \[0x80000010, 0x80000026\) overlaps .*hello\.elf \(program header \d+\)/],
      [['--load', `${file}@0x80610000`, '--load', `${file}@0x80610010`], /romfs\.img@0x80610010: .* overlaps .*romfs\.img@0x80610000/],
      [['--load', `${join(tmp, 'nothing.img')}@0x80610000`], /nothing\.img: cannot read --load .*: no such file/],
    ] as const) {
      for (const extra of [[], ['--deterministic']]) {
        const r = cli(['run', ...extra, ...args, g('hello')]);
        assert.equal(r.status, 65, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, why);
      }
    }
  });
});
