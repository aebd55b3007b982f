/** The virt machine in one place (one folder deep: XS resolves a single `../`): its memory map, device tree, guest memory, assembly and boot, and the SBI firmware it can boot with. */
export * from './errors.js';
export * from './map.js';
export * from './fdt.js';
export * from './placement.js';
export * from './memory.js';
export * from './board.js';
export * from './sbi.js';
export * from './machine.js';
