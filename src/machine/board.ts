/** The board a virt VM gets when none is given. */

import { validateBoard, type Board } from '../board/index.js';

/**
 * The board used when none is given: every device of the virt machine,
 * UART0 on the host's terminal, no GPIO lines wired, RAM up to 2 GiB.
 */
export function defaultVirtBoard(): Board {
  return validateBoard(
    {
      name: 'virt',
      description: 'built-in: the whole virt machine, nothing wired',
      platform: 'host',
      ramBudget: 2 * 1024 * 1024 * 1024,
      devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'virtio-mmio', 'htif'],
      uart0: { serial: 'stdio' },
      gpio: { lines: [] },
    },
    '(built-in virt board)',
  );
}
