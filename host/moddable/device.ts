/**
 * A simulated board for the Moddable app on the host: the serial line and
 * pins behind the `embedded:io/serial` and `embedded:io/digital`
 * stand-ins, `trace`, the app's resources (its board file and guest
 * image) and its mc/config, all derived from one board file, as mcconfig
 * derives them on a board. (The app imports its IO classes; the build
 * has no `device` global, so neither has the host.)
 *
 * Used by the Node runner (node.ts) and by the XS bundle (xs-entry.ts).
 */

import type { Board } from '../../src/board/index.js';
import { setHostConfig } from './config.js';
import { hostWire, resetHostWires, type HostWire } from './digital.js';
import { setHostResources } from './resource.js';
import { setHostMicroseconds } from './time.js';
import { attachSerialLine, detachSerialLines, HostSerialLine } from './serial.js';

/** Options of {@link setUpHostBoard}. */
export interface HostBoardOptions {
  /** The board, validated from its file. */
  readonly board: Board;
  /** The board file's text: the app reads and validates it again from its resource, as on a device. */
  readonly boardText: string;
  /** The guest image. */
  readonly guest: Uint8Array;
  /** Its resource name (default `guest.elf`). */
  readonly guestName?: string;
  /** More mc/config settings (e.g. `slice`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** More resources by name (a monitor configuration `vms.json` and its images, as `board:build --config` puts them in flash). */
  readonly resources?: Readonly<Record<string, Uint8Array>>;
  /** Receives what the app traces (default: kept in `log` only). */
  readonly onTrace?: (text: string) => void;
}

/** The simulated board, for the harness to drive and inspect. */
export interface HostBoard {
  readonly board: Board;
  /** The far end of the guest's UART. */
  readonly serial: HostSerialLine | null;
  /** Every line traced, without its newline. */
  readonly log: string[];
  /** The wire of the GPIO line called `name` in the board file. Refuses an unknown name. */
  wire(name: string): HostWire;
}

/**
 * Sets the host up as the board: serial line and wires for its UART and
 * GPIO lines, resources, mc/config and `trace` (replacing any
 * previous set-up). Returns the handles the harness drives.
 */
export function setUpHostBoard(options: HostBoardOptions): HostBoard {
  const { board } = options;
  detachSerialLines();
  resetHostWires();
  let serial: HostSerialLine | null = null;
  if (board.uart0.kind === 'board') {
    serial = attachSerialLine(new HostSerialLine({
      port: board.uart0.uart,
      transmit: board.uart0.tx,
      receive: board.uart0.rx,
      // Moddable's Pico port throws when an empty port is read; its ESP32 port returns undefined.
      emptyRead: board.platform === 'rp2040' ? 'throw' : 'undefined',
    }));
  }
  const pins: Record<string, number> = {};
  for (const line of board.gpioLines) {
    hostWire(line.pin);
    pins[line.name] = line.pin;
  }
  const guestName = options.guestName ?? 'guest.elf';
  // The manifest puts the chosen board file into flash as `board.json`.
  setHostResources({
    'board.json': new TextEncoder().encode(options.boardText),
    [guestName]: options.guest,
    ...options.resources,
  });
  setHostConfig({ platform: board.platform, guest: guestName, ...options.config });
  setHostMicroseconds(board.platform !== 'rp2040');

  const log: string[] = [];
  let partial = '';
  const trace = (...parts: unknown[]): void => {
    const text = parts.map(String).join('');
    options.onTrace?.(text);
    partial += text;
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      log.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      nl = partial.indexOf('\n');
    }
  };
  const g = globalThis as Record<string, unknown>;
  g['trace'] = trace;

  return Object.freeze({
    board,
    serial,
    log,
    wire(name: string): HostWire {
      const pin = pins[name];
      if (pin === undefined) throw new RangeError(`board ${board.name} has no GPIO line called "${name}" (lines: ${Object.keys(pins).join(', ') || 'none'})`);
      return hostWire(pin);
    },
  });
}
