/** Device models: CLINT, PLIC, ns16550a UART, SiFive GPIO, test finisher, HTIF, empty virtio-mmio slots; a machine places them. */
export * from './mmio.js';
export * from './exit.js';
export * from './clint.js';
export * from './plic.js';
export * from './ns16550a.js';
export * from './sifive-gpio.js';
export * from './test-finisher.js';
export * from './htif.js';
export * from './virtio-mmio.js';
