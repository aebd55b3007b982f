/**
 * The virt VM's device tree, decoded with the engine-neutral reader:
 * every node and property the guest relies on (QEMU 7.2's virt layout),
 * and the placement rule (QEMU's riscv_load_fdt, checked against 7.2).
 */
import { describe, it, assert } from '../harness/index.js';
import { VIRT_RISCV_ISA, buildVirtDeviceTree, fdtPlacement, virtDeviceTree } from '../../src/machine/index.js';
import {
  FdtError,
  fdtValueCells,
  fdtValueStrings,
  findFdtNode,
  parseFdt,
  type FdtParsedNode,
} from '../../src/fdt/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function tree(options: Parameters<typeof buildVirtDeviceTree>[0] = { ramSize: 128 * MiB }) {
  const root = parseFdt(buildVirtDeviceTree(options)).root;
  const node = (path: string): FdtParsedNode => {
    const n = findFdtNode(root, path);
    assert.ok(n !== undefined, `node ${path}`);
    return n;
  };
  const cells = (path: string, prop: string): number[] => fdtValueCells(node(path).properties.get(prop)!);
  const strs = (path: string, prop: string): string[] => fdtValueStrings(node(path).properties.get(prop)!);
  const has = (path: string, prop: string): boolean => node(path).properties.has(prop);
  return { root, node, cells, strs, has };
}

describe('virt device tree', () => {
  it('root, memory and chosen', () => {
    const t = tree({ ramSize: 128 * MiB, bootargs: 'console=ttyS0 earlycon' });
    assert.deepEqual(t.cells('/', '#address-cells'), [2]);
    assert.deepEqual(t.cells('/', '#size-cells'), [2]);
    assert.deepEqual(t.strs('/', 'compatible'), ['riscv-virtio']);
    assert.deepEqual(t.strs('/', 'model'), ['riscv-virtio,qemu']);
    assert.deepEqual(t.strs('/memory@80000000', 'device_type'), ['memory']);
    assert.deepEqual(t.cells('/memory@80000000', 'reg'), [0, 0x8000_0000, 0, 0x0800_0000]);
    assert.deepEqual(t.strs('/chosen', 'stdout-path'), ['/soc/serial@10000000']);
    assert.deepEqual(t.strs('/chosen', 'bootargs'), ['console=ttyS0 earlycon']);
    assert.ok(!tree().has('/chosen', 'bootargs'), 'no bootargs unless given');
  });

  it('cpus: timebase 10 MHz, cpu@0 rv32imac with its interrupt controller', () => {
    const t = tree();
    assert.deepEqual(t.cells('/cpus', 'timebase-frequency'), [10_000_000]);
    assert.deepEqual(t.cells('/cpus', '#address-cells'), [1]);
    assert.deepEqual(t.cells('/cpus', '#size-cells'), [0]);
    assert.deepEqual(t.strs('/cpus/cpu@0', 'compatible'), ['riscv']);
    assert.deepEqual(t.strs('/cpus/cpu@0', 'riscv,isa'), [VIRT_RISCV_ISA]);
    assert.equal(VIRT_RISCV_ISA, 'rv32imac_zicsr_zifencei_zihintpause');
    assert.deepEqual(t.strs('/cpus/cpu@0', 'device_type'), ['cpu']);
    assert.deepEqual(t.strs('/cpus/cpu@0', 'status'), ['okay']);
    assert.deepEqual(t.cells('/cpus/cpu@0', 'reg'), [0]);
    assert.deepEqual(t.strs('/cpus/cpu@0', 'mmu-type'), ['riscv,sv32'], 'Sv32, as QEMU says');
    assert.deepEqual(t.strs('/cpus/cpu@0/interrupt-controller', 'compatible'), ['riscv,cpu-intc']);
    assert.ok(t.has('/cpus/cpu@0/interrupt-controller', 'interrupt-controller'));
    assert.deepEqual(t.cells('/cpus/cpu@0/interrupt-controller', '#interrupt-cells'), [1]);
    assert.deepEqual(t.cells('/cpus/cpu-map/cluster0/core0', 'cpu'), t.cells('/cpus/cpu@0', 'phandle'));
    assert.ok(!tree({ ramSize: MiB, mmuType: null }).has('/cpus/cpu@0', 'mmu-type'), 'mmuType: null leaves it out');
  });

  it('phandles as QEMU numbers them: cpu 1, intc 2, plic 3, test 4', () => {
    const t = tree();
    assert.deepEqual(t.cells('/cpus/cpu@0', 'phandle'), [1]);
    assert.deepEqual(t.cells('/cpus/cpu@0/interrupt-controller', 'phandle'), [2]);
    assert.deepEqual(t.cells('/soc/plic@c000000', 'phandle'), [3]);
    assert.deepEqual(t.cells('/soc/test@100000', 'phandle'), [4]);
  });

  it('soc: clint, plic, uart, test finisher', () => {
    const t = tree();
    assert.deepEqual(t.strs('/soc', 'compatible'), ['simple-bus']);
    assert.ok(t.has('/soc', 'ranges'));
    assert.deepEqual(t.strs('/soc/clint@2000000', 'compatible'), ['sifive,clint0', 'riscv,clint0']);
    assert.deepEqual(t.cells('/soc/clint@2000000', 'reg'), [0, 0x0200_0000, 0, 0x1_0000]);
    assert.deepEqual(t.cells('/soc/clint@2000000', 'interrupts-extended'), [2, 3, 2, 7]);
    assert.deepEqual(t.strs('/soc/plic@c000000', 'compatible'), ['sifive,plic-1.0.0', 'riscv,plic0']);
    assert.deepEqual(t.cells('/soc/plic@c000000', 'reg'), [0, 0x0c00_0000, 0, 0x60_0000]);
    assert.deepEqual(t.cells('/soc/plic@c000000', 'riscv,ndev'), [95]);
    assert.deepEqual(t.cells('/soc/plic@c000000', 'interrupts-extended'), [2, 11, 2, 9]);
    assert.ok(t.has('/soc/plic@c000000', 'interrupt-controller'));
    assert.deepEqual(t.cells('/soc/plic@c000000', '#interrupt-cells'), [1]);
    assert.deepEqual(t.cells('/soc/plic@c000000', '#address-cells'), [0]);
    assert.deepEqual(t.strs('/soc/serial@10000000', 'compatible'), ['ns16550a']);
    assert.deepEqual(t.cells('/soc/serial@10000000', 'reg'), [0, 0x1000_0000, 0, 0x100]);
    assert.deepEqual(t.cells('/soc/serial@10000000', 'clock-frequency'), [3_686_400]);
    assert.deepEqual(t.cells('/soc/serial@10000000', 'interrupts'), [10]);
    assert.deepEqual(t.cells('/soc/serial@10000000', 'interrupt-parent'), [3]);
    assert.deepEqual(t.strs('/soc/test@100000', 'compatible'), ['sifive,test1', 'sifive,test0', 'syscon']);
    assert.deepEqual(t.cells('/soc/test@100000', 'reg'), [0, 0x10_0000, 0, 0x1000]);
  });

  it('poweroff and reboot write 0x5555 and 0x7777 to the finisher', () => {
    const t = tree();
    assert.deepEqual(t.strs('/poweroff', 'compatible'), ['syscon-poweroff']);
    assert.deepEqual(t.cells('/poweroff', 'regmap'), [4]);
    assert.deepEqual(t.cells('/poweroff', 'offset'), [0]);
    assert.deepEqual(t.cells('/poweroff', 'value'), [0x5555]);
    assert.deepEqual(t.strs('/reboot', 'compatible'), ['syscon-reboot']);
    assert.deepEqual(t.cells('/reboot', 'value'), [0x7777]);
  });

  it('gpio: sifive,gpio0 with interrupts 64..95', () => {
    const t = tree();
    const g = '/soc/gpio@10060000';
    assert.deepEqual(t.strs(g, 'compatible'), ['sifive,gpio0']);
    assert.deepEqual(t.cells(g, 'reg'), [0, 0x1006_0000, 0, 0x1000]);
    assert.deepEqual(t.cells(g, 'interrupts'), Array.from({ length: 32 }, (_, n) => 64 + n));
    assert.deepEqual(t.cells(g, 'interrupt-parent'), [3]);
    assert.ok(t.has(g, 'gpio-controller'));
    assert.ok(t.has(g, 'interrupt-controller'));
    assert.deepEqual(t.cells(g, '#gpio-cells'), [2]);
    assert.deepEqual(t.cells(g, '#interrupt-cells'), [2]);
    assert.equal(findFdtNode(tree({ ramSize: MiB, gpio: false }).root, g), undefined);
  });

  it('virtio_mmio slots 1..8 in QEMU\'s descending order, interrupts 1..8', () => {
    const t = tree();
    const names = t.node('/soc').children.map((c) => c.name).filter((n) => n.startsWith('virtio_mmio'));
    assert.deepEqual(names, [8, 7, 6, 5, 4, 3, 2, 1].map((i) => `virtio_mmio@1000${i}000`));
    for (let i = 0; i < 8; i++) {
      const p = `/soc/virtio_mmio@${(0x1000_1000 + 0x1000 * i).toString(16)}`;
      assert.deepEqual(t.strs(p, 'compatible'), ['virtio,mmio']);
      assert.deepEqual(t.cells(p, 'interrupts'), [1 + i]);
      assert.deepEqual(t.cells(p, 'reg'), [0, 0x1000_1000 + 0x1000 * i, 0, 0x1000]);
    }
    assert.equal(tree({ ramSize: MiB, virtioSlots: 0 }).node('/soc').children.filter((c) => c.name.startsWith('virtio')).length, 0);
  });

  it('memory above 4 GiB uses both cells; bad sizes are refused', () => {
    const t = tree({ ramSize: 5 * GiB });
    assert.deepEqual(t.cells('/memory@80000000', 'reg'), [0, 0x8000_0000, 1, 0x4000_0000]);
    assert.throws(() => buildVirtDeviceTree({ ramSize: 0 }), FdtError);
    assert.throws(() => buildVirtDeviceTree({ ramSize: MiB, virtioSlots: 9 }), FdtError);
  });

  it('the builder can be extended before serialising', () => {
    const fdt = virtDeviceTree({ ramSize: MiB });
    fdt.node('/chosen')!.setCells('linux,initrd-start', 0x8100_0000);
    const root = parseFdt(fdt.toBlob()).root;
    assert.deepEqual(fdtValueCells(findFdtNode(root, '/chosen')!.properties.get('linux,initrd-start')!), [0x8100_0000]);
  });
});

describe('device tree placement', () => {
  const blob = 0x107e; // the size QEMU 7.2's packed virt tree has

  it('matches QEMU 7.2 (a1 at entry) for the sizes checked', () => {
    assert.equal(fdtPlacement(0x8000_0000, 128 * MiB, blob), 0x87e0_0000);
    assert.equal(fdtPlacement(0x8000_0000, 16 * MiB, blob), 0x80e0_0000);
    assert.equal(fdtPlacement(0x8000_0000, 3 * MiB, blob), 0x8020_0000);
    assert.equal(fdtPlacement(0x8000_0000, 2 * GiB, blob), 0xbfe0_0000, 'capped at 3 GiB');
    assert.equal(fdtPlacement(0x8000_0000, 3 * GiB, blob), 0xbfe0_0000);
    assert.equal(fdtPlacement(0x8000_0000, 128 * MiB, MiB), 0x87e0_0000, 'with 7.2\'s unpacked 1 MiB size');
  });

  it('above 3 GiB the cap does not apply', () => {
    assert.equal(fdtPlacement(0xc000_0000, 64 * MiB, blob), 0xc3e0_0000);
  });

  it('on little RAM takes the highest 4 KiB-aligned place', () => {
    assert.equal(fdtPlacement(0x8000_0000, 256 * 1024, blob), 0x8003_e000);
    assert.equal(fdtPlacement(0x8000_0000, 64 * 1024, 4096), 0x8000_f000);
    assert.equal(fdtPlacement(0x8000_0000, 2 * MiB, blob), 0x801f_e000, 'QEMU would pick the RAM base');
  });

  it('refuses a tree that does not fit', () => {
    assert.throws(() => fdtPlacement(0x8000_0000, 4096, 8192), FdtError, (e: FdtError) => e.reason === 'no-room');
    assert.throws(() => fdtPlacement(0x8000_0000, 4096, 0), FdtError);
    assert.throws(() => fdtPlacement(0x8000_0000, -1, 10), FdtError);
  });
});
