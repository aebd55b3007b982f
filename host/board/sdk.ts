/**
 * The SDKs a board build needs: the user's Moddable SDK (`$MODDABLE`), or
 * the vendored, unmodified SDKs of `$XSVISOR_VENDOR` (Moddable 8.2.3,
 * pico-sdk 2.2.0, pico-extras, picotool) copied to a writable cache and
 * their host tools built there once (command-line tools only: no GTK,
 * picotool without libusb), as the vendor folder's README describes.
 *
 * Owns where things are and the environment mcconfig runs with; it never
 * changes an SDK file.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pico-sdk version Moddable 8.2.3's pico manifest expects (`EXPECTED_PICO_SDK`). */
export const PICO_SDK_VERSION = '2.2.0';

/** Why an SDK cannot be had; `reason` says which part is missing. */
export class BoardSdkError extends Error {
  constructor(
    readonly reason: 'no-sdk' | 'no-vendor' | 'tool-failed' | 'no-toolchain',
    readonly place: string,
    detail: string,
  ) {
    super(`${place}: ${detail}`);
    this.name = 'BoardSdkError';
  }
}

/** An SDK ready for mcconfig. */
export interface BoardSdk {
  /** `user` ($MODDABLE as set up by the user) or `vendor` (the cache built from $XSVISOR_VENDOR). */
  readonly source: 'user' | 'vendor';
  /** The Moddable SDK's root. */
  readonly moddable: string;
  /** The environment to run mcconfig (and make) with. */
  readonly env: NodeJS.ProcessEnv;
}

/** The cache folder: `$XSVISOR_BOARD_CACHE`, else node_modules/.cache/xsvisor-board. */
export function boardCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['XSVISOR_BOARD_CACHE'] || join(ROOT, 'node_modules', '.cache', 'xsvisor-board'));
}

/** The vendor folder named by `$XSVISOR_VENDOR`, or null when unset. Refuses a folder without the SDKs. */
export function vendorDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const v = env['XSVISOR_VENDOR'];
  if (!v) return null;
  const dir = resolve(v);
  for (const part of ['moddable', 'pico-sdk', 'pico-extras', 'picotool', 'rp2040-bootrom/bootrom.mjs']) {
    if (!existsSync(join(dir, part))) throw new BoardSdkError('no-vendor', `$XSVISOR_VENDOR=${v}`, `has no ${part} (expected the vendored SDKs of shared/vendor)`);
  }
  return dir;
}

/** The RP2040 boot ROM module of the vendor folder (rp2040js needs it), or null without `$XSVISOR_VENDOR`. */
export function bootromModule(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = vendorDir(env);
  return dir === null ? null : join(dir, 'rp2040-bootrom', 'bootrom.mjs');
}

/** Runs a command; rejects with its last output lines when it fails. `log` receives a line per step. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string }): Promise<void> {
  return new Promise((resolveRun, reject) => {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const chunks: Buffer[] = [];
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => reject(new BoardSdkError('tool-failed', command, e.message)));
    child.on('close', (code) => {
      const text = Buffer.concat(chunks).toString('utf8');
      writeFileSync(options.logFile, text);
      if (code === 0) resolveRun();
      else reject(new BoardSdkError('tool-failed', `${command} ${args.join(' ')}`, `exit ${code}; last lines (whole log: ${options.logFile}):\n${text.split('\n').slice(-25).join('\n')}`));
    });
  });
}

function hasCommand(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env['PATH'] ?? '').split(':').some((d) => d !== '' && existsSync(join(d, name)));
}

/** The Debian packages a vendored build needs, by the command that shows each is there. */
export const BUILD_PACKAGES = Object.freeze([
  ['cc', 'build-essential'],
  ['make', 'make'],
  ['cmake', 'cmake'],
  ['pkg-config', 'pkg-config'],
  ['arm-none-eabi-gcc', 'gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib'],
] as const);

/** The packages missing for a vendored build (empty when all are there). */
export function missingPackages(env: NodeJS.ProcessEnv = process.env): string[] {
  return BUILD_PACKAGES.filter(([cmd]) => !hasCommand(cmd, env)).map(([, pkg]) => pkg);
}

/** The environment mcconfig's pico build reads (vendor README, step 6), for SDKs under `cache`. */
function picoEnv(cache: string): NodeJS.ProcessEnv {
  return {
    PICO_ROOT: join(cache, 'pico-root'),
    PICO_SDK_DIR: join(cache, 'pico-sdk'),
    PICO_EXTRAS_DIR: join(cache, 'pico-extras'),
    PICO_EXAMPLES_DIR: join(cache, 'pico-root', 'pico-examples'),
    PICO_GCC_ROOT: '/usr',
    UF2CONV: join(cache, 'picotool', 'build', 'picotool'),
    MAKEFLAGS_JOBS: '--jobs 2',
    // A command-line variable for make: the SDK copy is not a git checkout, and the version test needs bash.
    MAKEFLAGS: `SHELL=/bin/bash PICO_SDK_VERSION=${PICO_SDK_VERSION}`,
  };
}

/**
 * Copies the vendored SDKs to the cache (again when the vendor folder's
 * README changes) and builds the host tools that are not built yet:
 * Moddable's command-line tools and picotool side by side, then pioasm.
 * `say` receives a line per step. Resolves with the SDK; rejects with a
 * {@link BoardSdkError} naming the failed step and its log.
 */
export async function prepareVendorSdk(vendor: string, cache: string, say: (line: string) => void = () => {}): Promise<BoardSdk> {
  const stamp = join(cache, 'vendor.sha256');
  const want = createHash('sha256').update(readFileSync(join(vendor, 'README.md'))).update(vendor).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
    say(`copying the vendored SDKs to ${cache}`);
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    for (const part of ['moddable', 'pico-sdk', 'pico-extras', 'picotool']) cpSync(join(vendor, part), join(cache, part), { recursive: true, mode: 0 });
    // Copies keep the read-only modes of shared/: the builds write into moddable/build and */build.
    await run('chmod', ['-R', 'u+w', cache], { logFile: join(cache, 'logs', 'chmod.log') });
    writeFileSync(stamp, want);
  }
  mkdirSync(join(cache, 'pico-root', 'pico-examples'), { recursive: true });
  const moddable = join(cache, 'moddable');
  const bin = join(moddable, 'build', 'bin', 'lin', 'release');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MODDABLE: moddable,
    XS_DIR: join(moddable, 'xs'),
    BUILD_DIR: join(moddable, 'build'),
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    ...picoEnv(cache),
  };
  const logs = join(cache, 'logs');
  const steps: Promise<void>[] = [];
  if (!existsSync(join(bin, 'mcconfig')) || !existsSync(join(bin, 'xsl')) || !existsSync(join(bin, 'mcrez'))) {
    say('building the Moddable command-line tools (about 2 minutes)');
    const lin = join(moddable, 'build', 'makefiles', 'lin');
    const mk = (file: string, log: string): Promise<void> => run('make', ['GOAL=release', '-f', file], { cwd: lin, env: { ...env, MAKEFLAGS: '' }, logFile: join(logs, log) });
    const xsMakefiles = join(moddable, 'xs', 'makefiles', 'lin');
    steps.push(mk(join(xsMakefiles, 'xsc.mk'), 'xsc.log')
      .then(() => mk(join(xsMakefiles, 'xsid.mk'), 'xsid.log'))
      .then(() => mk(join(xsMakefiles, 'xsl.mk'), 'xsl.log'))
      .then(() => mk('tools.mk', 'tools.log')));
  }
  const picotool = join(cache, 'picotool', 'build', 'picotool');
  if (!existsSync(picotool)) {
    say('building picotool (about a minute)');
    const build = join(cache, 'picotool', 'build');
    steps.push(run('cmake', ['-S', join(cache, 'picotool'), '-B', build, '-DPICOTOOL_NO_LIBUSB=1', '-DCMAKE_BUILD_TYPE=Release'],
      { env: { ...env, MAKEFLAGS: '', PICO_SDK_PATH: join(cache, 'pico-sdk') }, logFile: join(logs, 'picotool-cmake.log') })
      .then(() => run('make', ['-C', build], { env: { ...env, MAKEFLAGS: '' }, logFile: join(logs, 'picotool.log') })));
  }
  await Promise.all(steps);
  const pioasm = join(cache, 'pico-sdk', 'build', 'pioasm', 'pioasm');
  if (!existsSync(pioasm)) {
    say('building pioasm');
    const build = join(cache, 'pico-sdk', 'build', 'pioasm');
    await run('cmake', ['-S', join(cache, 'pico-sdk', 'tools', 'pioasm'), '-B', build, `-DPIOASM_VERSION_STRING=${PICO_SDK_VERSION}`, '-DCMAKE_BUILD_TYPE=Release'],
      { env: { ...env, MAKEFLAGS: '' }, logFile: join(logs, 'pioasm-cmake.log') });
    await run('make', ['-C', build], { env: { ...env, MAKEFLAGS: '' }, logFile: join(logs, 'pioasm.log') });
  }
  return { source: 'vendor', moddable, env };
}

/**
 * The SDK to build with: the user's `$MODDABLE` when set (with the Pico
 * SDK the user set up), else the vendored SDKs when `$XSVISOR_VENDOR` is
 * set. Refuses with `no-sdk` when neither is.
 */
export async function findBoardSdk(env: NodeJS.ProcessEnv = process.env, say?: (line: string) => void): Promise<BoardSdk> {
  if (env['MODDABLE']) return { source: 'user', moddable: resolve(env['MODDABLE']), env: { ...env } };
  const vendor = vendorDir(env);
  if (vendor === null) throw new BoardSdkError('no-sdk', '$MODDABLE', 'the Moddable SDK is not set up ($MODDABLE and $XSVISOR_VENDOR are both unset)');
  const missing = missingPackages(env);
  if (missing.length > 0) throw new BoardSdkError('no-toolchain', 'vendored build', `needs Debian packages: apt-get install ${missing.join(' ')}`);
  return prepareVendorSdk(vendor, boardCacheDir(env), say);
}
