#!/usr/bin/env node
/**
 * `npm run flash -- --board NAME`: builds the Moddable app (manifest.json)
 * for the board described by boards/NAME.json and flashes it, by running
 * Moddable's `mcconfig -d -m -p PLATFORM manifest.json` with the board
 * file and the guest given to the manifest as build variables.
 *
 * The board file picks the platform (esp32 -> `esp32`, rp2040 -> `pico`)
 * and goes into flash as the app's `board.json`. `--guest PATH` flashes
 * another guest image than the manifest's demo. Without $MODDABLE, it says
 * how to set the Moddable SDK up and exits non-zero. `--dry-run` prints
 * what it would run (and writes nothing), and warns when the guest will
 * not fit the board's guest RAM.
 *
 * Exit status: 0 done (or dry run), 64 usage or board problem, 69 the
 * Moddable SDK is missing, otherwise mcconfig's status.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Exit statuses (sysexits.h names). */
export const EXIT = Object.freeze({ OK: 0, USAGE: 64, UNAVAILABLE: 69 });

/** Board file platform -> mcconfig platform, and the xs-dev device that sets its toolchain up. */
export const PLATFORMS = Object.freeze({
  esp32: Object.freeze({ mcconfig: 'esp32', xsdev: 'esp32' }),
  rp2040: Object.freeze({ mcconfig: 'pico', xsdev: 'pico' }),
  // Moddable's simulator: mcconfig -d -m -p lin builds the app as a library and opens it in mcsim, with xsbug.
  simulator: Object.freeze({ mcconfig: 'lin', xsdev: 'lin' }),
});

/** A command line or board the script refuses; `status` is the exit status to use. */
export class FlashError extends Error {
  constructor(message, status = EXIT.USAGE) {
    super(message);
    this.name = 'FlashError';
    this.status = status;
  }
}

export const USAGE = `usage: npm run flash -- --board NAME [--guest PATH] [--port DEVICE] [--log] [--dry-run]

  --board NAME   the board file boards/NAME.json (${boardNames().filter((n) => n !== 'host-sim').join(', ')})
  --guest PATH   the guest image to flash (default: the manifest's, guests/bin/demo.elf)
  --port DEVICE  the serial device of the board (else mcconfig finds it)
  --log          show the app's trace in this terminal (mcconfig -l, xsbug-log) instead of the xsbug window
  --dry-run      print the mcconfig command instead of running it
`;

/** Board names in boards/, sorted. */
export function boardNames(root = ROOT) {
  try {
    return readdirSync(join(root, 'boards')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/** Parses the arguments after `--`; refuses unknown options and a missing board with a FlashError. */
export function parseFlashArgs(argv) {
  const options = { board: null, guest: null, port: null, log: false, dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new FlashError(`${a} needs a value\n\n${USAGE}`);
      return v;
    };
    if (a === '--board') options.board = value();
    else if (a.startsWith('--board=')) options.board = a.slice(8);
    else if (a === '--guest') options.guest = value();
    else if (a.startsWith('--guest=')) options.guest = a.slice(8);
    else if (a === '--port') options.port = value();
    else if (a.startsWith('--port=')) options.port = a.slice(7);
    else if (a === '--log') options.log = true;
    else if (a === '--dry-run' || a === '-n') options.dryRun = true;
    else if (a === '--help' || a === '-h') options.help = true;
    else throw new FlashError(`unknown argument '${a}'\n\n${USAGE}`);
  }
  if (!options.help && options.board === null) throw new FlashError(`which board? (--board NAME)\n\n${USAGE}`);
  return options;
}

/**
 * Reads boards/NAME.json far enough to pick the platform (the app
 * validates the whole file on the device, with the core's validator).
 * Refuses a missing file, bad JSON and a host board with a FlashError.
 */
export function readBoard(name, root = ROOT) {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new FlashError(`'${name}' is not a board name`);
  const file = join(root, 'boards', `${name}.json`);
  if (!existsSync(file)) throw new FlashError(`boards/${name}.json: no such board (boards: ${boardNames(root).join(', ')})`);
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FlashError(`boards/${name}.json: not valid JSON (${e.message})`);
  }
  const target = PLATFORMS[doc?.platform];
  if (target === undefined) {
    throw new FlashError(doc?.platform === 'host'
      ? `boards/${name}.json is a host board: run it with 'xsvisor run --board ${name} IMAGE', there is nothing to flash`
      : `boards/${name}.json: platform ${JSON.stringify(doc?.platform)} cannot be flashed (esp32, rp2040 or simulator)`);
  }
  return { name, file, platform: doc.platform, target };
}

/** What to tell a user without the Moddable SDK. */
export function setupHelp(board) {
  return [
    `flash: the Moddable SDK is not set up: $MODDABLE is not set.`,
    `Set it up once, for example with xs-dev (https://github.com/HipsterBrown/xs-dev):`,
    `  npm install --global xs-dev`,
    `  xs-dev setup                            # the Moddable SDK and its tools; sets MODDABLE and PATH in your shell profile`,
    `  xs-dev setup --device ${board.target.xsdev.padEnd(17)} # the ${board.target.xsdev === 'esp32' ? 'ESP-IDF' : 'Pico SDK and ARM toolchain'} for ${board.name}`,
    `then open a new shell and run again:`,
    `  npm run flash -- --board ${board.name}`,
    `(Or follow the Moddable SDK's own guide and export MODDABLE=/path/to/moddable.) See docs/moddable.md.`,
    '',
  ].join('\n');
}

/**
 * Works out the mcconfig run: `{ command, args, cwd, env, extraEnv }`.
 * The manifest takes the board file and the guest image from the build
 * variables XSVISOR_BOARD and XSVISOR_GUEST (its `?=` defaults: the
 * platform's board, the demo guest), so exactly one of each goes into
 * flash; `guest=guest<ext>` tells the app the guest's resource name.
 * Refuses a guest file that does not exist.
 */
export function planFlash(options, board, env, root = ROOT) {
  const extra = { XSVISOR_BOARD: board.file.slice(0, -'.json'.length) };
  let guestResource = 'guest.elf';
  if (options.guest !== null) {
    const guest = resolve(options.guest);
    if (!existsSync(guest)) throw new FlashError(`--guest ${options.guest}: no such file`);
    const ext = extname(guest);
    extra.XSVISOR_GUEST = guest.slice(0, guest.length - ext.length);
    guestResource = `guest${ext}`;
  }
  const args = ['-d', '-m', '-p', board.target.mcconfig, 'manifest.json', `guest=${guestResource}`];
  if (options.log) args.splice(2, 0, '-l');
  // ESP-IDF's flasher reads the port from UPLOAD_PORT (documentation/devices/esp32.md); the Pico is found over USB.
  if (options.port !== null) extra.UPLOAD_PORT = options.port;
  return { command: 'mcconfig', args, cwd: root, env: { ...env, ...extra }, extraEnv: extra };
}

/** The plan as one shell line. */
export function describePlan(plan) {
  const env = Object.entries(plan.extraEnv).map(([k, v]) => `${k}=${v} `).join('');
  return `cd ${plan.cwd} && ${env}${plan.command} ${plan.args.join(' ')}`;
}

/**
 * Will the guest fit the board? The RAM it needs, reckoned by the app's
 * own code (src/moddable/image.ts: planGuestImage, minimumRam), against the
 * board's ramBudget. Uses the build in dist/; resolves null when it is not
 * built. `guest` is a path; `boardFile` the board file's path.
 */
export async function guestFit(guest, boardFile, root = ROOT) {
  const dist = join(root, 'dist', 'src');
  if (!existsSync(join(dist, 'moddable', 'image.js'))) return null;
  const mod = (path) => import(pathToFileURL(join(dist, path)).href);
  const [{ parseBoard, formatSize }, { planGuestImage, minimumRam }] = await Promise.all([mod('board/index.js'), mod('moddable/image.js')]);
  const board = parseBoard(readFileSync(boardFile, 'utf8'), relative(root, boardFile));
  const plan = planGuestImage(new Uint8Array(readFileSync(guest)), guest);
  const need = minimumRam(plan, { ramSize: board.ramBudget, gpio: board.has('gpio'), virtio: board.has('virtio-mmio') });
  return { need, budget: board.ramBudget, high: plan.highAddr, fits: need <= board.ramBudget, show: formatSize };
}

/** Runs the command line; resolves with the exit status. `out`/`err` take text. */
export async function flash(argv, { env = process.env, out = (s) => process.stdout.write(s), err = (s) => process.stderr.write(s), root = ROOT } = {}) {
  let options;
  let board;
  try {
    options = parseFlashArgs(argv);
    if (options.help) {
      out(USAGE);
      return EXIT.OK;
    }
    board = readBoard(options.board, root);
    const plan = planFlash(options, board, env, root);
    if (options.dryRun) {
      out(`${describePlan(plan)}\n`);
      if (!env.MODDABLE) err('flash: note: $MODDABLE is not set, so this would fail now (see docs/moddable.md)\n');
      const guest = options.guest ?? join(root, 'guests', 'bin', 'demo.elf');
      const fit = await guestFit(guest, board.file, root);
      if (fit === null) err("flash: note: the core is not built (npm run build), so whether the guest fits the board's RAM was not checked\n");
      else if (!fit.fits) {
        err(`flash: warning: ${relative(root, resolve(guest))} needs ${fit.show(fit.need)} of guest RAM (its image up to 0x${fit.high.toString(16)} ` +
          `and the device tree above it); board ${board.name} offers ${fit.show(fit.budget)} (ramBudget), so it will not start there\n`);
      }
      return EXIT.OK;
    }
    if (!env.MODDABLE) {
      err(setupHelp(board));
      return EXIT.UNAVAILABLE;
    }
    out(`${describePlan(plan)}\n`);
    return await new Promise((resolveStatus) => {
      const child = spawn(plan.command, plan.args, { cwd: plan.cwd, env: plan.env, stdio: 'inherit' });
      child.on('error', (e) => {
        err(e.code === 'ENOENT'
          ? `flash: mcconfig is not on PATH. MODDABLE is ${env.MODDABLE}; add $MODDABLE/build/bin/${process.platform === 'darwin' ? 'mac' : 'lin'}/release to PATH (xs-dev setup does this).\n`
          : `flash: cannot run mcconfig: ${e.message}\n`);
        resolveStatus(EXIT.UNAVAILABLE);
      });
      child.on('exit', (code, signal) => resolveStatus(code ?? (signal ? 128 + 15 : 1)));
    });
  } catch (e) {
    if (!(e instanceof FlashError)) throw e;
    err(`flash: ${e.message}\n`);
    return e.status;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  flash(process.argv.slice(2)).then((status) => process.exit(status), (e) => {
    process.stderr.write(`flash: internal error: ${e?.stack ?? e}\n`);
    process.exit(70);
  });
}
