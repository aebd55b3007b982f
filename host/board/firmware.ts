/**
 * Builds the Moddable app (manifest.json) for a board with the real
 * mcconfig: the whole UF2 for a Pico; for an ESP32, every stage before
 * ESP-IDF's C compile (tsc, xsc, the xsl preload and mcrez), since ESP-IDF
 * is neither vendored nor served by npm or Debian.
 *
 * Owns the build plan (board file -> platform, guest -> resource), the
 * outputs' place (dist/board/NAME/) and what the build says about itself
 * (build-info.json: preloaded modules, xsl's instance count, sizes).
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { formatSize, parseBoard, type Board } from '../../src/board/index.js';
import { MonitorConfigError, parseMonitorConfig, type MonitorConfig } from '../../src/monitor/index.js';
import { minimumRam, planGuestImage } from '../../src/moddable/image.js';
import { ROOT, run, type BoardSdk } from './sdk.js';

/** Board file platform -> mcconfig platform. */
export const MCCONFIG_PLATFORM = Object.freeze({ rp2040: 'pico', esp32: 'esp32' } as const);

/** The demo guest the manifest builds with by default. */
export const DEFAULT_GUEST = join(ROOT, 'guests', 'bin', 'demo.elf');

/** A board or guest the build refuses, before anything runs. */
export class FirmwareError extends Error {
  constructor(readonly reason: 'no-board' | 'bad-board' | 'not-a-device' | 'no-guest' | 'no-room' | 'bad-config' | 'build-failed', readonly place: string, detail: string) {
    super(`${place}: ${detail}`);
    this.name = 'FirmwareError';
  }
}

/** What to build. */
export interface FirmwareOptions {
  /** A board name in boards/ or a path to a board file (optional with `config`, whose board it must be). */
  readonly board?: string;
  /** The guest image (default: the demo). */
  readonly guest?: string;
  /**
   * A monitor configuration (`xsvisor run --config`'s schema) to put in
   * flash with the images it names; the app then runs its VMs. Its
   * `board` is the board built for (`board` may then be omitted).
   */
  readonly config?: string;
  /** Where outputs go (default dist/board/BOARD). */
  readonly outDir?: string;
  /** The manifest to build (default manifest.json; bench:board builds one that includes it). */
  readonly manifest?: string;
  /** An instrumented release build (mcconfig -i): Moddable's instrumentation counts the XS heap. */
  readonly instrument?: boolean;
  /** Receives a line per step. */
  readonly say?: (line: string) => void;
}

/** What a build made and measured (written as build-info.json). */
export interface FirmwareInfo {
  readonly board: string;
  readonly platform: 'rp2040' | 'esp32';
  readonly sdk: BoardSdk['source'];
  /** `uf2` (a complete Pico firmware) or `xs-stages` (an ESP32 build up to ESP-IDF's compile). */
  readonly kind: 'uf2' | 'xs-stages';
  readonly guest: string;
  /** The guest's resource name in flash. */
  readonly guestResource: string;
  /** With a configuration: its file, and each VM's resource in flash, RAM and the RAM its image needs at least (bytes). */
  readonly config?: { readonly file: string; readonly vms: readonly { readonly name: string; readonly resource: string; readonly ram: number; readonly need: number }[] };
  /** The modules mcconfig told xsl to preload. */
  readonly preloads: readonly string[];
  /** xsl's count of preloaded instances (objects moved to flash). */
  readonly xslInstances: number;
  /** xsl's warnings (objects reachable from functions that are not frozen, ...). */
  readonly xslWarnings: readonly string[];
  /** The outputs, relative to the output folder. */
  readonly files: Readonly<Record<string, string>>;
  /** Pico only: flash and static RAM of the firmware, from the ELF (`arm-none-eabi-size`). */
  readonly sizes?: { readonly flash: number; readonly ram: number };
  /** Pico only: the address of `stdio_usb_out_chars`, where the emulator reads the firmware's stdio. */
  readonly stdioUsbOut?: number;
  /** Why the build stopped where it did (ESP32 without ESP-IDF), or null. */
  readonly stoppedBefore: string | null;
  /** Wall time of the build, ms. */
  readonly ms: number;
}

/** Reads and validates the board file; refuses a host board. */
export function readBoardFile(nameOrPath: string): { name: string; file: string; board: Board } {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = looksLikePath ? resolve(nameOrPath) : join(ROOT, 'boards', `${nameOrPath}.json`);
  if (!existsSync(file)) throw new FirmwareError('no-board', looksLikePath ? nameOrPath : `boards/${nameOrPath}.json`, 'no such board file');
  let board: Board;
  try {
    board = parseBoard(readFileSync(file, 'utf8'), looksLikePath ? nameOrPath : `boards/${nameOrPath}.json`);
  } catch (e) {
    throw new FirmwareError('bad-board', nameOrPath, (e as Error).message);
  }
  if (board.platform === 'host') throw new FirmwareError('not-a-device', nameOrPath, `board ${board.name} is a host board: run it with 'xsvisor run --board ${board.name} IMAGE'`);
  if (board.platform === 'simulator') {
    throw new FirmwareError('not-a-device', nameOrPath, `board ${board.name} is Moddable's simulator: 'npm run flash -- --board ${board.name}' builds the app and opens it in mcsim and xsbug (mcconfig -d -m -p lin)`);
  }
  return { name: basename(file, '.json'), file, board };
}

/** Refuses a guest that is missing, unreadable as an image, or too big for the board's RAM budget. */
export function checkGuestFits(guest: string, board: Board): void {
  if (!existsSync(guest)) throw new FirmwareError('no-guest', guest, 'no such file');
  const plan = planGuestImage(new Uint8Array(readFileSync(guest)), basename(guest));
  const need = minimumRam(plan, { ramSize: board.ramBudget, gpio: board.has('gpio'), virtio: board.has('virtio-mmio') });
  if (need > board.ramBudget) {
    throw new FirmwareError('no-room', guest, `needs ${formatSize(need)} of guest RAM; board ${board.name} offers ${formatSize(board.ramBudget)} (ramBudget)`);
  }
}

/** The makefile variable `name`'s words (a `NAME =\` list of continued lines). */
function makeList(makefile: string, name: string): string[] {
  const m = new RegExp(`^${name} =\\\\\\n((?:\\t.*\\\\?\\n)+)`, 'm').exec(makefile);
  return m === null ? [] : m[1]!.split('\n').map((l) => l.trim().replace(/\\$/, '').trim()).filter((l) => l !== '');
}

/** The preloaded module names of a generated makefile (`-p src/cpu/hart.xsb` -> `src/cpu/hart`). */
export function preloadsOf(makefile: string): string[] {
  return makeList(makefile, 'PRELOADS').filter((w) => w !== '-p').map((w) => w.replace(/^-p\s+/, '').replace(/\.xsb$/, ''));
}

/** xsl's summary in a build log: instances and warnings. */
export function xslReport(log: string): { instances: number; warnings: string[] } {
  const m = /^### (\d+) instances/m.exec(log);
  return {
    instances: m === null ? -1 : Number(m[1]),
    warnings: log.split('\n').filter((l) => l.startsWith('### warning: ')).map((l) => l.slice('### warning: '.length)),
  };
}

/** Flash (text + data) and static RAM (data + bss) of an ARM ELF. */
function elfSizes(elf: string): { flash: number; ram: number } | undefined {
  const r = spawnSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const section = (name: string): number => {
    const m = new RegExp(`^${name.replace('.', '\\.')}\\s+(\\d+)\\s+(\\d+)`, 'm').exec(r.stdout);
    return m === null ? 0 : Number(m[1]);
  };
  const flashSections = ['.boot2', '.text', '.rodata', '.binary_info', '.data', '.ram_vector_table'];
  let flash = 0;
  for (const s of flashSections) flash += section(s);
  let ram = 0;
  for (const s of ['.data', '.bss', '.heap', '.stack_dummy', '.scratch_x', '.scratch_y', '.uninitialized_data', '.ram_vector_table']) ram += section(s);
  return { flash, ram };
}

/** The address of a symbol in an ARM ELF (`arm-none-eabi-nm`), or undefined. */
function symbolAddress(elf: string, name: string): number | undefined {
  const r = spawnSync('arm-none-eabi-nm', [elf], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const m = r.status === 0 ? new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(r.stdout) : null;
  return m === null ? undefined : parseInt(m[1]!, 16);
}

/**
 * Builds the firmware with `sdk`. Resolves with what it made; rejects with
 * a {@link FirmwareError} (bad board or guest, checked before mcconfig
 * runs) or the failing tool's error with its log.
 */
export async function buildFirmware(sdk: BoardSdk, options: FirmwareOptions): Promise<FirmwareInfo> {
  const started = Date.now();
  const say = options.say ?? (() => {});
  const planned = options.config === undefined ? null : planConfigFlash(options.config, options.board);
  const { name, file, board } = planned?.boardFile ?? readBoardFile(options.board ?? '');
  const platform = board.platform as 'rp2040' | 'esp32';
  const guest = resolve(options.guest ?? DEFAULT_GUEST);
  checkGuestFits(guest, board);
  const outDir = resolve(options.outDir ?? join(ROOT, 'dist', 'board', name));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The configuration and its images, staged as flash-NAME: the manifest's `"*": "$(XSVISOR_VMS)"` data entry takes them as NAME.
  const staged = join(outDir, 'flash');
  mkdirSync(staged, { recursive: true });
  if (planned !== null) {
    for (const f of planned.files) copyFileSync(f.from, join(staged, `flash-${f.resource}`));
    writeFileSync(join(staged, 'flash-vms.json'), `${JSON.stringify(planned.flashDoc, null, 2)}\n`);
    say(`configuration ${planned.file}: ${planned.vms.map((v) => `${v.name} (${v.resource}, RAM ${formatSize(v.ram)})`).join(', ')}`);
  }

  const mcPlatform = MCCONFIG_PLATFORM[platform];
  const ext = extname(guest);
  const guestResource = `guest${ext}`;
  // The manifest's data entries take these (its `?=` build variables): the board file becomes board.json, the guest guest<ext>.
  const env: NodeJS.ProcessEnv = {
    ...sdk.env,
    XSVISOR_BOARD: file.slice(0, -'.json'.length),
    XSVISOR_GUEST: guest.slice(0, guest.length - ext.length),
    XSVISOR_VMS: join(staged, 'flash-*'),
  };
  const variant = options.instrument === true ? 'instrument' : 'release';
  const tmp = join(sdk.moddable, 'build', 'tmp', mcPlatform, variant, 'xsvisor');
  const bin = join(sdk.moddable, 'build', 'bin', mcPlatform, variant, 'xsvisor');
  const manifest = options.manifest ?? join(ROOT, 'manifest.json');
  const flags = options.instrument === true ? ['-i'] : [];
  const logFile = join(outDir, 'build.log');
  // Resources of an earlier build with another guest or board must not linger in the app,
  // and xsl runs again (its report is part of what the build says about itself).
  rmSync(join(tmp, 'resources'), { recursive: true, force: true });
  rmSync(join(tmp, 'mc.xs.c'), { force: true });

  let stoppedBefore: string | null = null;
  const files: Record<string, string> = {};
  const fullEsp32 = platform === 'esp32' && sdk.source === 'user' && !!sdk.env['IDF_PATH'];
  if (platform === 'rp2040' || fullEsp32) {
    say(`mcconfig -m ${flags.join(' ')}${flags.length > 0 ? ' ' : ''}-t build -p ${mcPlatform} ${basename(manifest)} guest=${guestResource} (board ${name}, guest ${basename(guest)})`);
    await run('mcconfig', ['-m', ...flags, '-t', 'build', '-p', mcPlatform, manifest, `guest=${guestResource}`], { cwd: ROOT, env, logFile });
    if (platform === 'rp2040') {
      for (const f of ['xs_pico.uf2', 'xs_pico.elf']) {
        copyFileSync(join(bin, f), join(outDir, f.replace('xs_pico', 'xsvisor')));
        files[f.endsWith('.uf2') ? 'uf2' : 'elf'] = f.replace('xs_pico', 'xsvisor');
      }
    }
  } else {
    // ESP-IDF is not installed: mcconfig writes the makefile, and make runs its JavaScript stages only.
    // Its parse-time ESP-IDF checks are satisfied by command-line values that name the absence;
    // SDKCONFIG_H (made by ESP-IDF) is dropped as a prerequisite of the two targets.
    say(`mcconfig -t build -p ${mcPlatform} manifest.json guest=${guestResource} (board ${name}, guest ${basename(guest)}), then make mc.xs.c mc.resources.c`);
    await run('mcconfig', [...flags, '-t', 'build', '-p', mcPlatform, manifest, `guest=${guestResource}`], { cwd: ROOT, env, logFile: join(outDir, 'mcconfig.log') });
    await run('make', ['-f', 'makefile', 'IDF_PATH=/ESP-IDF-not-installed', 'IDF_VERSION=not-installed', 'SDKCONFIG_H=', join(tmp, 'mc.xs.c'), join(tmp, 'mc.resources.c')],
      { cwd: tmp, env: { ...env, MAKEFLAGS: '' }, logFile });
    for (const [key, f] of [['preload', 'mc.xs.c'], ['resources', 'mc.resources.c']] as const) {
      copyFileSync(join(tmp, f), join(outDir, f));
      files[key] = f;
    }
    stoppedBefore = "ESP-IDF's C compile and link: ESP-IDF is not installed (it is not vendored, and neither npm nor Debian serves it). Set IDF_PATH and $MODDABLE to build the whole firmware.";
  }
  const makefile = readFileSync(join(tmp, 'makefile'), 'utf8');
  const xsl = xslReport(readFileSync(logFile, 'utf8'));
  const info: FirmwareInfo = {
    board: name,
    platform,
    sdk: sdk.source,
    kind: platform === 'rp2040' ? 'uf2' : 'xs-stages',
    guest,
    guestResource,
    config: planned === null ? undefined : { file: planned.file, vms: planned.vms },
    preloads: preloadsOf(makefile),
    xslInstances: xsl.instances,
    xslWarnings: xsl.warnings,
    files,
    sizes: platform === 'rp2040' ? elfSizes(join(outDir, 'xsvisor.elf')) : undefined,
    stdioUsbOut: platform === 'rp2040' ? symbolAddress(join(outDir, 'xsvisor.elf'), 'stdio_usb_out_chars') : undefined,
    stoppedBefore,
    ms: Date.now() - started,
  };
  writeFileSync(join(outDir, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
  if (platform === 'rp2040' && !existsSync(join(outDir, 'xsvisor.uf2'))) throw new FirmwareError('build-failed', outDir, 'mcconfig finished but made no UF2');
  return info;
}

/** What a configuration puts in flash. */
interface ConfigFlash {
  readonly file: string;
  readonly boardFile: ReturnType<typeof readBoardFile>;
  /** The configuration as the app reads it: `board` the board's name, each image and load file its resource's name. */
  readonly flashDoc: Record<string, unknown>;
  readonly files: readonly { readonly from: string; readonly resource: string }[];
  readonly vms: readonly { readonly name: string; readonly resource: string; readonly ram: number; readonly need: number }[];
}

/**
 * Reads and validates a monitor configuration for a board build (the
 * same validator as `xsvisor run --config` and the app); returns what goes
 * into flash. Refuses, with a {@link FirmwareError}: a configuration the
 * validator refuses (`bad-config`, every problem with its JSON path, the
 * VMs' RAM beyond the board's ramBudget among them), a host board,
 * `board` naming another board than the configuration's, a missing image
 * (`no-guest`) and an image bigger than its VM's RAM (`no-room`, naming the
 * VM and the bytes).
 */
export function planConfigFlash(configPath: string, boardOption?: string): ConfigFlash {
  const path = resolve(configPath);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new FirmwareError('bad-config', shown, 'no such configuration file');
  const baseDir = dirname(path);
  const text = readFileSync(path, 'utf8');
  let boardFile: ReturnType<typeof readBoardFile> | null = null;
  let config: MonitorConfig;
  try {
    config = parseMonitorConfig(text, shown, (boardName) => {
      const asPath = boardName.includes('/') || boardName.endsWith('.json');
      boardFile = readBoardFile(asPath && !isAbsolute(boardName) ? resolve(baseDir, boardName) : boardName);
      return boardFile.board;
    });
  } catch (e) {
    if (e instanceof MonitorConfigError) throw new FirmwareError('bad-config', shown, `\n${e.message}`);
    throw e;
  }
  const bf = boardFile as ReturnType<typeof readBoardFile> | null;
  if (bf === null) throw new FirmwareError('bad-config', shown, '$.board: no board');
  if (boardOption !== undefined && readBoardFile(boardOption).file !== bf.file) {
    throw new FirmwareError('bad-config', shown, `$.board: the configuration is for board '${bf.board.name}' (${relative(ROOT, bf.file)}), not --board ${boardOption}`);
  }
  const doc = JSON.parse(text) as Record<string, unknown> & { vms: Record<string, unknown>[] };
  const files: { from: string; resource: string }[] = [];
  const vms: { name: string; resource: string; ram: number; need: number }[] = [];
  const flashVms = config.vms.map((vm, i) => {
    const image = isAbsolute(vm.image) ? vm.image : resolve(baseDir, vm.image);
    if (!existsSync(image)) throw new FirmwareError('no-guest', `${shown}: ${vm.path}.image`, `${vm.image}: no such file`);
    const plan = planGuestImage(new Uint8Array(readFileSync(image)), basename(image));
    const need = minimumRam(plan, { ramSize: vm.ramSize, gpio: vm.board.has('gpio'), virtio: vm.board.has('virtio-mmio') });
    if (need > vm.ramSize) {
      throw new FirmwareError('no-room', `${shown}: ${vm.path}.ram`,
        `VM '${vm.name}' (${vm.image}) needs ${need} bytes (${formatSize(need)}) of guest RAM; it is given ${vm.ramSize} bytes (${formatSize(vm.ramSize)})`);
    }
    const resource = `vm-${vm.name}${extname(image)}`;
    files.push({ from: image, resource });
    vms.push({ name: vm.name, resource, ram: vm.ramSize, need });
    const load = vm.loads.map((l, k) => {
      const from = isAbsolute(l.file) ? l.file : resolve(baseDir, l.file);
      if (!existsSync(from)) throw new FirmwareError('no-guest', `${shown}: ${vm.path}.load[${k}].file`, `${l.file}: no such file`);
      const r = `vm-${vm.name}-load${k}${extname(from)}`;
      files.push({ from, resource: r });
      return { file: r, addr: l.addr };
    });
    return { ...doc.vms[i], image: resource, ...(load.length > 0 ? { load } : {}) };
  });
  return { file: shown, boardFile: bf, flashDoc: { ...doc, board: bf.board.name, vms: flashVms }, files, vms };
}
