/** The virt machine's devices (CLINT, PLIC, ns16550a UART, SiFive GPIO, test finisher, HTIF, empty virtio-mmio slots) and its map. */
export * from './virt-map.js';
export * from './exit.js';
export * from './clint.js';
export * from './plic.js';
export * from './ns16550a.js';
export * from './sifive-gpio.js';
export * from './test-finisher.js';
export * from './htif.js';
export * from './virtio-mmio.js';
