/**
 * The virt device tree decoded by the reference tool, dtc
 * (`dtc -I dtb -O dts`), and compared with QEMU 7.2's own `virt` tree.
 *
 * Host-only: spawns dtc (Debian's device-tree-compiler) and, when present,
 * qemu-system-riscv32. Without dtc the suite is skipped with a message,
 * except when the CI environment variable is set: there a missing tool
 * fails. Without QEMU only the comparison is skipped.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildVirtDeviceTree } from '../../src/machine/index.js';
import { findFdtNode, parseFdt, type FdtParsedNode } from '../../src/fdt/index.js';

const MiB = 1024 * 1024;

function available(tool: string, args: string[]): boolean {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

const hasDtc = available('dtc', ['--version']);
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
const dtcSkip = !hasDtc && !inCi ? 'dtc is not installed (apt-get install device-tree-compiler); set CI to make this a failure' : false;

function dtc(blob: Uint8Array): { dts: string; warnings: string } {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', '-'], { input: blob, encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  assert.equal(r.status, 0, `dtc failed: ${r.stderr}`);
  return { dts: r.stdout, warnings: r.stderr };
}

/** The text of the node block that starts with `header {` (one level, by brace counting). */
function block(dts: string, header: string): string {
  const start = dts.indexOf(`${header} {`);
  assert.ok(start >= 0, `dtc shows ${header}`);
  let depth = 0;
  for (let i = dts.indexOf('{', start); i < dts.length; i++) {
    if (dts[i] === '{') depth++;
    else if (dts[i] === '}' && --depth === 0) return dts.slice(start, i + 1);
  }
  throw new Error(`unbalanced block ${header}`);
}

describe('virt device tree through dtc', { skip: dtcSkip }, () => {
  it('is found: dtc must be installed when CI is set', () => {
    assert.ok(hasDtc, 'dtc is required in CI (Debian package device-tree-compiler)');
  });

  const blob = buildVirtDeviceTree({ ramSize: 128 * MiB, bootargs: 'console=ttyS0' });
  const { dts, warnings } = hasDtc ? dtc(blob) : { dts: '', warnings: '' };

  it('decodes without errors; the only warning is the one QEMU\'s tree has too', () => {
    assert.match(dts, /^\/dts-v1\/;/);
    const lines = warnings.split('\n').filter((l) => l.trim() !== '');
    assert.deepEqual(lines.filter((l) => !l.includes('/cpus/cpu@0/interrupt-controller: Missing #address-cells')), []);
  });

  it('root, chosen, memory', () => {
    assert.match(dts, /#address-cells = <0x02>;\n\t#size-cells = <0x02>;\n\tcompatible = "riscv-virtio";\n\tmodel = "riscv-virtio,qemu";/);
    const chosen = block(dts, 'chosen');
    assert.match(chosen, /stdout-path = "\/soc\/serial@10000000";/);
    assert.match(chosen, /bootargs = "console=ttyS0";/);
    const mem = block(dts, 'memory@80000000');
    assert.match(mem, /device_type = "memory";/);
    assert.match(mem, /reg = <0x00 0x80000000 0x00 0x8000000>;/);
  });

  it('cpus and the hart\'s interrupt controller', () => {
    const cpus = block(dts, 'cpus');
    assert.match(cpus, /timebase-frequency = <0x989680>;/);
    const cpu = block(cpus, 'cpu@0');
    assert.match(cpu, /compatible = "riscv";/);
    assert.match(cpu, /riscv,isa = "rv32imac_zicsr_zifencei_zihintpause";/);
    assert.match(cpu, /device_type = "cpu";/);
    assert.match(cpu, /phandle = <0x01>;/);
    assert.match(cpu, /mmu-type = "riscv,sv32";/);
    const intc = block(cpu, 'interrupt-controller');
    assert.match(intc, /compatible = "riscv,cpu-intc";/);
    assert.match(intc, /interrupt-controller;/);
    assert.match(intc, /phandle = <0x02>;/);
  });

  it('clint, plic, uart, test finisher, poweroff and reboot', () => {
    const clint = block(dts, 'clint@2000000');
    assert.match(clint, /compatible = "sifive,clint0\\0riscv,clint0";/);
    assert.match(clint, /interrupts-extended = <0x02 0x03 0x02 0x07>;/);
    assert.match(clint, /reg = <0x00 0x2000000 0x00 0x10000>;/);
    const plic = block(dts, 'plic@c000000');
    assert.match(plic, /compatible = "sifive,plic-1.0.0\\0riscv,plic0";/);
    assert.match(plic, /riscv,ndev = <0x5f>;/);
    assert.match(plic, /interrupts-extended = <0x02 0x0b 0x02 0x09>;/);
    assert.match(plic, /reg = <0x00 0xc000000 0x00 0x600000>;/);
    assert.match(plic, /phandle = <0x03>;/);
    const uart = block(dts, 'serial@10000000');
    assert.match(uart, /compatible = "ns16550a";/);
    assert.match(uart, /interrupts = <0x0a>;/);
    assert.match(uart, /interrupt-parent = <0x03>;/);
    assert.match(uart, /clock-frequency = "\\08@";/, '3686400 = 0x00384000, which dtc shows as a string');
    const test = block(dts, 'test@100000');
    assert.match(test, /compatible = "sifive,test1\\0sifive,test0\\0syscon";/);
    assert.match(block(dts, 'poweroff'), /value = <0x5555>;[\s\S]*regmap = <0x04>;[\s\S]*compatible = "syscon-poweroff";/);
    assert.match(block(dts, 'reboot'), /value = <0x7777>;[\s\S]*regmap = <0x04>;[\s\S]*compatible = "syscon-reboot";/);
  });

  it('gpio and the eight virtio_mmio slots', () => {
    const gpio = block(dts, 'gpio@10060000');
    assert.match(gpio, /compatible = "sifive,gpio0";/);
    assert.match(gpio, /interrupts = <0x40 0x41 [0-9a-fx ]*0x5f>;/);
    assert.match(gpio, /gpio-controller;/);
    assert.match(gpio, /#gpio-cells = <0x02>;/);
    for (let i = 1; i <= 8; i++) {
      const slot = block(dts, `virtio_mmio@1000${i}000`);
      assert.match(slot, new RegExp(`interrupts = <0x0${i}>;`));
      assert.match(slot, /compatible = "virtio,mmio";/);
    }
  });

  it('compiles back to the same blob (dts -> dtb round trip keeps every node)', () => {
    const r = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-'], { input: dts });
    assert.equal(r.status, 0, String(r.stderr));
    const again = parseFdt(new Uint8Array(r.stdout));
    const ours = parseFdt(blob);
    const paths = (n: FdtParsedNode, at: string, out: string[]): string[] => {
      out.push(at);
      for (const c of n.children) paths(c, at === '/' ? `/${c.name}` : `${at}/${c.name}`, out);
      return out;
    };
    assert.deepEqual(paths(again.root, '/', []), paths(ours.root, '/', []));
  });
});

const hasQemu = available('qemu-system-riscv32', ['--version']);

describe('virt device tree against QEMU\'s own', { skip: hasQemu || process.env.CI ? false : 'qemu-system-riscv32 is not installed' }, () => {
  it('every node QEMU has and xsvisor emulates carries the same properties, with the documented exceptions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-fdt-'));
    try {
      const file = join(dir, 'virt.dtb');
      const cpu = 'rv32,f=false,d=false,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false';
      const r = spawnSync('qemu-system-riscv32', ['-M', `virt,dumpdtb=${file}`, '-bios', 'none', '-cpu', cpu, '-m', '128M', '-display', 'none'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const theirs = parseFdt(new Uint8Array(readFileSync(file))).root;
      const ours = parseFdt(buildVirtDeviceTree({ ramSize: 128 * MiB })).root;
      // Deliberate differences (see src/machine/fdt.ts).
      const exceptions = new Set(['/soc/plic@c000000:riscv,ndev', '/chosen:rng-seed']);
      const notEmulated = /^\/(pmu|fw-cfg@|flash@|platform-bus@|soc\/rtc@|soc\/pci@)/;
      const compare = (theirNode: FdtParsedNode, path: string): void => {
        if (notEmulated.test(path)) return;
        const mine = findFdtNode(ours, path);
        assert.ok(mine !== undefined, `xsvisor's tree has ${path}`);
        for (const [name, value] of theirNode.properties) {
          if (exceptions.has(`${path}:${name}`)) continue;
          const v = mine.properties.get(name);
          assert.ok(v !== undefined, `${path} has ${name}`);
          assert.deepEqual(Array.from(v), Array.from(value), `${path}:${name}`);
        }
        for (const c of theirNode.children) compare(c, path === '/' ? `/${c.name}` : `${path}/${c.name}`);
      };
      compare(theirs, '/');
      assert.deepEqual(Array.from(findFdtNode(theirs, '/soc/plic@c000000')!.properties.get('riscv,ndev')!), [0, 0, 0, 0x60], 'QEMU 7.2 writes 96');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
