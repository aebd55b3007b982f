/**
 * Kinds of emulated devices.
 *
 * The first group are the ArceOS hypervisor seed's kinds (axdevice_base's
 * `EmuDeviceType`), kept so that its device models map across; the second
 * group are the kinds xsvisor's own devices report. Values are strings so
 * that traces and errors read well.
 */

export const EmuDeviceType = Object.freeze({
  // The seed's kinds.
  Dummy: 'dummy',
  Console: 'console',
  InterruptController: 'interrupt-controller',
  IVCChannel: 'ivc-channel',
  GPPTRedistributor: 'gppt-redistributor',
  GPPTDistributor: 'gppt-distributor',
  GPPTITS: 'gppt-its',
  VirtioBlk: 'virtio-blk',
  VirtioNet: 'virtio-net',
  VirtioConsole: 'virtio-console',
  // xsvisor's kinds.
  Uart: 'uart',
  Gpio: 'gpio',
  Timer: 'timer',
  TestFinisher: 'test-finisher',
  Htif: 'htif',
  VirtioMmioSlot: 'virtio-mmio-slot',
} as const);

/** One of the values of {@link EmuDeviceType}. */
export type EmuDeviceType = (typeof EmuDeviceType)[keyof typeof EmuDeviceType];
