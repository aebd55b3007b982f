/**
 * What a session runs, read and checked before anything opens: the board,
 * each VM's image, data images and device tree, its UART and clock. One
 * IMAGE (`run IMAGE`) and a configuration (`run --config FILE`) both become
 * a {@link SessionPlan}; every refusal is said on stderr and answered with
 * the exit status (README "Exit status").
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BoardError, formatSize, type Board, type HostSerial } from '../../src/board/index.js';
import { DEFAULT_ROUND_SLICE, DEFAULT_SLICE_INSTRUCTIONS, MonitorConfigError, parseMonitorConfig, type DataImage, type MonitorConfig, type VmConfig } from '../../src/monitor/index.js';
import { BoardFileError, loadBoardFile, loadBoardPath } from '../board-file.js';
import { EXIT } from '../exit-status.js';
import { DEFAULT_RAM, isBoardPath, type RunOptions } from '../run-options.js';

/** Where one VM's UART0 goes. */
export type PlannedUart =
  | { readonly kind: 'host'; readonly serial: HostSerial }
  /** The board's UART0, shared with the other `console` VMs through a tagging console. */
  | { readonly kind: 'console' }
  | { readonly kind: 'none' };

/** One VM of the session, its inputs read. */
export interface PlannedVm {
  readonly name: string;
  /** The image as named on the command line or in the configuration, and its bytes. */
  readonly imageName: string;
  readonly image: Uint8Array;
  readonly ramSize: number;
  /** The board as this VM sees it (a configuration renumbers the GPIO lines it was given). */
  readonly board: Board;
  readonly firmware: 'none' | 'sbi';
  readonly loads: readonly DataImage[];
  /** One IMAGE only: `--append`, and `--dtb`'s bytes and name. */
  readonly bootargs: string | null;
  readonly dtb: { readonly name: string; readonly bytes: Uint8Array } | null;
  readonly uart: PlannedUart;
  readonly onFault: 'stop' | 'restart';
  /** Put before a message about this VM that the VM's constructor refused ('' for one IMAGE). */
  readonly where: string;
}

/** A checked session. */
export interface SessionPlan {
  /** One IMAGE without --config: messages speak of "the guest", not of VMs by name. */
  readonly single: boolean;
  /** The configuration file, or `(command line)`. */
  readonly file: string;
  /** The board whose pins the VMs share, its file as shown in messages, and its path on disk. */
  readonly board: Board;
  readonly boardFile: string;
  readonly boardPath: string;
  /** Put before a message about the board's pins. */
  readonly pinsWhere: string;
  /** Every VM's clock: the host's, or counted from instructions (`--deterministic`, `--icount`). */
  readonly clock: 'wall' | 'deterministic' | number | 'auto';
  /** Instructions per VM per round. */
  readonly slice: number;
  readonly vms: readonly PlannedVm[];
  /** `--config`: the configuration's text, and its board's file (path on disk, name for messages), for an engine that parses them again (XS); null for one IMAGE. */
  readonly config: { readonly text: string; readonly boardPath: string; readonly boardFile: string } | null;
}

/** Says `xsvisor: TEXT` on stderr. */
export type Say = (text: string) => void;

const HINT = "Try 'xsvisor --help' for more information.\n";

/** Why a file could not be read, in a few words. */
export function whyUnreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(e);
}

function readBytes(path: string): Uint8Array {
  const buf = readFileSync(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Takes the run's options; returns the plan, or the exit status after
 * saying why not (65 for unreadable or invalid inputs, 64 for a --ram
 * beyond the board's budget or a clock the configuration contradicts).
 */
export function readPlan(o: RunOptions, packageRoot: string, err: Say, hint: (text: string) => void): SessionPlan | number {
  return o.config === null ? planImage(o, packageRoot, err, hint) : planConfig(o, o.config, packageRoot, err);
}

function planImage(o: RunOptions, packageRoot: string, err: Say, hint: (text: string) => void): SessionPlan | number {
  let board: Board;
  try {
    board = isBoardPath(o.board) ? loadBoardPath(o.board) : loadBoardFile(packageRoot, o.board);
  } catch (e) {
    if (!(e instanceof BoardFileError || e instanceof BoardError)) throw e;
    err(e.message);
    return EXIT.BAD_INPUT;
  }
  const boardFile = isBoardPath(o.board) ? o.board : `boards/${o.board}.json`;
  if (board.platform !== 'host' || board.uart0.kind !== 'host') {
    err(`${boardFile}: $.platform: board '${board.name}' is for ${board.platform}; this command runs "host" boards only`);
    return EXIT.BAD_INPUT;
  }
  const serial = o.serial ?? board.uart0.serial;
  const ram = o.ram ?? DEFAULT_RAM;
  if (ram > board.ramBudget) {
    err(`--ram ${formatSize(ram)} does not fit board '${board.name}' (ramBudget ${formatSize(board.ramBudget)})`);
    hint(HINT);
    return EXIT.USAGE;
  }
  const problems: string[] = [];
  const read = (path: string, what: string): Uint8Array => {
    try {
      return readBytes(path);
    } catch (e) {
      problems.push(`${path}: cannot read ${what}: ${whyUnreadable(e)}`);
      return new Uint8Array(0);
    }
  };
  // One problem at a time, in the order given: the image, the tree, the data images.
  const image = read(o.image, 'the image');
  if (problems.length > 0) return said(problems, err);
  const dtb = o.dtb === null ? null : { name: o.dtb, bytes: read(o.dtb, 'the device tree (--dtb)') };
  if (problems.length > 0) return said(problems, err);
  const loads: DataImage[] = [];
  for (const l of o.loads) {
    const bytes = read(l.file, `--load ${l.file}@0x${l.addr.toString(16)}`);
    if (problems.length > 0) return said(problems, err);
    loads.push({ name: l.file, addr: l.addr, bytes });
  }
  return {
    single: true,
    file: '(command line)',
    board,
    boardFile,
    boardPath: isBoardPath(o.board) ? o.board : join(packageRoot, boardFile),
    pinsWhere: `${boardFile}: `,
    clock: o.deterministic ? 'deterministic' : o.icount ?? 'wall',
    // The wall clock's slice is the driver's (about 1 ms on V8); an instruction clock's is the monitor's round.
    slice: o.deterministic || o.icount !== null ? DEFAULT_ROUND_SLICE : DEFAULT_SLICE_INSTRUCTIONS,
    vms: [{
      name: 'vm', imageName: o.image, image, ramSize: ram, board, firmware: o.firmware, loads,
      bootargs: o.append, dtb, uart: serial.kind === 'none' ? { kind: 'none' } : { kind: 'host', serial }, onFault: 'stop', where: '',
    }],
    config: null,
  };
}

function said(problems: readonly string[], err: Say): number {
  err(problems.join('\nxsvisor: '));
  return EXIT.BAD_INPUT;
}

function planConfig(o: RunOptions, file: string, packageRoot: string, err: Say): SessionPlan | number {
  const baseDir = dirname(resolve(file));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    err(`${file}: cannot read the configuration: ${whyUnreadable(e)}`);
    return EXIT.BAD_INPUT;
  }
  let boardAt = { boardPath: '', boardFile: '' };
  const loadBoard = (name: string): Board => {
    try {
      const path = isAbsolute(name) ? name : relative(process.cwd(), resolve(baseDir, name));
      boardAt = isBoardPath(name) ? { boardPath: path, boardFile: path } : { boardPath: join(packageRoot, 'boards', `${name}.json`), boardFile: `boards/${name}.json` };
      return isBoardPath(name) ? loadBoardPath(path) : loadBoardFile(packageRoot, name);
    } catch (e) {
      if (e instanceof BoardFileError || e instanceof BoardError) throw new Error(e.message.split('\n').join('; '));
      throw e;
    }
  };
  let config: MonitorConfig;
  try {
    config = parseMonitorConfig(text, file, loadBoard);
  } catch (e) {
    if (!(e instanceof MonitorConfigError)) throw e;
    err(e.message.split('\n').join('\nxsvisor: '));
    return EXIT.BAD_INPUT;
  }
  if (config.board.platform !== 'host' || config.board.uart0.kind !== 'host') {
    err(`${file}: $.board: board '${config.board.name}' is for ${config.board.platform}; this command runs "host" boards only`);
    return EXIT.BAD_INPUT;
  }
  // The command line may repeat the configuration's clock, not contradict it.
  const cliIcount = o.icount;
  const clash = (cliIcount !== null && (config.deterministic || (config.icount !== null && config.icount !== cliIcount))) ||
    (o.deterministic && config.icount !== null);
  if (clash) {
    err(`${file}: ${config.icount !== null ? `$.icount (${config.icount})` : '$.deterministic'} sets another clock than ${o.deterministic ? '--deterministic' : `--icount ${cliIcount}`}: give one`);
    return EXIT.USAGE;
  }
  const icount = cliIcount ?? config.icount;
  const problems: string[] = [];
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const images = config.vms.map((vm) => {
    try {
      return readBytes(at(vm.image));
    } catch (e) {
      problems.push(`${file}: ${vm.path}.image: ${vm.image}: cannot read the image: ${whyUnreadable(e)}`);
      return new Uint8Array(0);
    }
  });
  const loads = config.vms.map((vm) => vm.loads.flatMap((l, i): DataImage[] => {
    try {
      return [{ name: l.file, addr: l.addr, bytes: readBytes(at(l.file)) }];
    } catch (e) {
      problems.push(`${file}: ${vm.path}.load[${i}].file: ${l.file}: cannot read it: ${whyUnreadable(e)}`);
      return [];
    }
  }));
  if (problems.length > 0) return said(problems, err);
  const boardSerial = config.board.uart0.serial;
  return {
    single: false,
    file,
    board: config.board,
    boardFile: file,
    boardPath: file,
    pinsWhere: `${file}: $.board: `,
    clock: o.deterministic || config.deterministic ? 'deterministic' : icount ?? 'wall',
    slice: config.slice,
    vms: config.vms.map((vm, i) => ({
      name: vm.name, imageName: vm.image, image: images[i], ramSize: vm.ramSize, board: vm.board, firmware: vm.firmware,
      loads: loads[i], bootargs: null, dtb: null, uart: uartOf(vm, boardSerial), onFault: vm.onFault, where: `${file}: ${vm.path}: VM '${vm.name}': `,
    })),
    config: { text, ...boardAt },
  };
}

function uartOf(vm: VmConfig, boardSerial: HostSerial): PlannedUart {
  const u = vm.uart;
  if (u.kind === 'console') return boardSerial.kind === 'none' ? { kind: 'none' } : { kind: 'console' };
  const serial = u.kind === 'none' ? null : u.kind === 'host' ? u.serial : u.wiring.kind === 'host' ? u.wiring.serial : null;
  return serial === null || serial.kind === 'none' ? { kind: 'none' } : { kind: 'host', serial };
}
