/**
 * Snapshots: the engine-neutral file format of a saved VM (header, tagged
 * sections, CRC-32), its bounds-checked reader and the errors a load
 * refuses with. The VM side (what goes in, how it is put back) is
 * `VirtVm.snapshot()` / `VirtVm.restore()` in src/monitor/vm.ts.
 */
export * from './errors.js';
export * from './crc32.js';
export * from './format.js';
