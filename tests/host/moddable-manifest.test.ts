/**
 * manifest.json and the board files it builds with, checked without the
 * Moddable SDK:
 * - its shape (Moddable's conventions: base, typings and IO manifests;
 *   esp32 and pico platforms; a "..." fallback with an error);
 * - every core module main.ts reaches is a module and is preloaded;
 * - each platform's default board validates, is for that platform, and
 *   its RAM budget fits the XS heap the manifest creates;
 * - the TypeScript build mcconfig would do: its generated tsconfig (its
 *   defaults, then the manifest's compilerOptions) compiled with the
 *   project's TypeScript, the output laid out where mcconfig's makefile
 *   looks for it, and every import resolvable by XS's rules (module names
 *   are the manifest's keys; `.js` is dropped; `./` and `../` are taken
 *   from the importer's name).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';
import ts from 'typescript';
import { formatSize, parseBoard } from '../../src/board/index.js';
import { minimumRam, planGuestImage } from '../../src/moddable/image.js';
import { ROOT } from '../../host/moddable/node.js';

interface Manifest {
  build: Record<string, string>;
  include: string[];
  creation: Record<string, unknown>;
  config: Record<string, unknown>;
  modules: Record<string, string>;
  preload: string[];
  data: Record<string, string | string[]>;
  typescript: { compiler: string; tsconfig: { compilerOptions: Record<string, unknown> } };
  platforms: Record<string, { config?: Record<string, unknown>; creation?: Record<string, unknown>; error?: string }>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as Manifest;
const PLATFORM_OF = Object.freeze({ esp32: 'esp32', pico: 'rp2040' } as const);

/** What a board costs the XS heap besides guest RAM (measured in xsnap with nothing preloaded; see docs/moddable.md). */
const RESERVE = Object.freeze({ chunk: 32 * 1024, static: 64 * 1024 });

/** The manifest's module map as mcconfig's wildcard rule expands it: module name -> source file. */
function moduleFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [target, source] of Object.entries(manifest.modules)) {
    assert.ok(target.endsWith('/*') && source.startsWith('./') && source.endsWith('/*'), `${target}: one folder per entry`);
    const dir = join(ROOT, source.slice(2, -2));
    for (const f of readdirSync(dir)) {
      if (f.endsWith('.ts') && !f.endsWith('.d.ts')) out.set(target.slice(0, -1) + f.slice(0, -3), join(dir, f));
    }
  }
  return out;
}

/** The relative imports (and re-exports) of a TypeScript or JavaScript source. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1]!);
  return out;
}

/** XS's resolution of `spec` imported from the module called `importer` (xsl and the device's fxFindModule). */
function xsResolve(importer: string, spec: string): string {
  const name = spec.endsWith('.js') ? spec.slice(0, -3) : spec;
  if (name.startsWith('./')) return posix.join(posix.dirname(importer), name.slice(2));
  if (name.startsWith('../')) {
    assert.ok(!name.startsWith('../../'), `${importer} imports ${spec}: XS resolves one '../' only`);
    return posix.join(posix.dirname(posix.dirname(importer)), name.slice(3));
  }
  return name;
}

describe('manifest.json', () => {
  it('follows Moddable conventions: base, typings and IO manifests, esp32 and pico, an error elsewhere', () => {
    assert.deepEqual(manifest.include, [
      '$(MODDABLE)/examples/manifest_base.json',
      '$(MODDABLE)/examples/manifest_typings.json',
      '$(MODDABLE)/modules/io/manifest.json',
    ]);
    assert.deepEqual(Object.keys(manifest.platforms).sort(), ['...', 'esp32', 'pico']);
    assert.match(manifest.platforms['...']!.error ?? '', /esp32 and pico/);
    assert.equal(manifest.creation['main'], 'src/moddable/main');
    assert.equal(manifest.typescript.compiler, '$(XSVISOR)/node_modules/.bin/tsc', "the project's TypeScript (6.x), not whatever is on PATH");
    assert.deepEqual(manifest.data['*'], './boards/*', 'board files are data: the app reads its board from flash');
  });

  it('lists and preloads every module main.ts reaches, and nothing outside src/', () => {
    const files = moduleFiles();
    const names = new Set(files.keys());
    const seen = new Set<string>();
    const walk = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const file = files.get(name);
      assert.ok(file !== undefined, `module ${name} is not in the manifest's modules`);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = xsResolve(name, spec);
        assert.ok(names.has(target), `${name} imports ${spec} (${target}), which the manifest does not build`);
        walk(target);
      }
    };
    walk('src/moddable/main');
    const dirs = new Set([...seen].map((n) => `${posix.dirname(n)}/*`));
    for (const d of dirs) assert.ok(manifest.preload.includes(d), `${d} is not preloaded`);
    assert.ok(seen.size > 30, `main.ts reaches ${seen.size} modules`);
  });

  for (const platform of ['esp32', 'pico'] as const) {
    it(`builds ${platform} with a valid ${PLATFORM_OF[platform]} board whose RAM fits the XS heap`, () => {
      const p = manifest.platforms[platform]!;
      const name = String(p.config?.['board']);
      const board = parseBoard(readFileSync(join(ROOT, 'boards', `${name}.json`), 'utf8'), `boards/${name}.json`);
      assert.equal(board.platform, PLATFORM_OF[platform]);
      assert.equal(p.config?.['platform'], board.platform);
      assert.equal(board.uart0.kind, 'board');
      assert.ok(Number.isSafeInteger(p.config?.['slice']) && (p.config?.['slice'] as number) > 0);
      const creation = p.creation ?? {};
      if (platform === 'esp32') {
        // ESP32: separate chunk and slot heaps; guest RAM is one ArrayBuffer, so one contiguous chunk heap must hold it.
        const chunk = (creation['chunk'] as { initial: number; incremental: number }).initial;
        assert.equal(creation['static'], 0);
        assert.ok(board.ramBudget + RESERVE.chunk <= chunk, `ramBudget ${board.ramBudget} + ${RESERVE.chunk} > chunk ${chunk}`);
      } else {
        // Pico: one static block for everything XS allocates.
        const stat = creation['static'] as number;
        assert.ok(board.ramBudget + RESERVE.static <= stat, `ramBudget ${board.ramBudget} + ${RESERVE.static} > static ${stat}`);
        assert.ok(stat <= 200 * 1024, 'leaves the RP2040 (264 KB) room for the Pico SDK, USB and C stacks');
      }
    });
  }

  it('builds in a guest image that exists (the demo guest)', () => {
    assert.equal(manifest.data['guest'], './guests/bin/demo');
    assert.ok(statSync(join(ROOT, 'guests', 'bin', 'demo.elf')).isFile());
  });

  // The demo is linked with guests/common/link-small.ld (8 KiB of heap and 8 KiB of stack; link.ld reserves 64 KiB
  // each for QEMU), so its image, bss, heap, stack and the device tree above them fit a board's guest RAM.
  it('the demo guest fits the RAM of each default board', () => {
    const image = new Uint8Array(readFileSync(join(ROOT, 'guests', 'bin', 'demo.elf')));
    const plan = planGuestImage(image, 'demo.elf');
    for (const platform of ['esp32', 'pico'] as const) {
      const name = String(manifest.platforms[platform]!.config?.['board']);
      const board = parseBoard(readFileSync(join(ROOT, 'boards', `${name}.json`), 'utf8'), `boards/${name}.json`);
      const need = minimumRam(plan, { ramSize: board.ramBudget, gpio: board.has('gpio'), virtio: board.has('virtio-mmio') });
      assert.ok(need <= board.ramBudget, `demo.elf needs ${formatSize(need)}; ${name} offers ${formatSize(board.ramBudget)}`);
    }
  });

  it("compiles with the project's TypeScript as mcconfig would, into the layout its makefile expects, with imports XS can resolve", () => {
    const files = moduleFiles();
    const out = mkdtempSync(join(tmpdir(), 'xsvisor-mcconfig-'));
    try {
      const typings = join(ROOT, 'node_modules', '@moddable', 'typings');
      const resolveVar = (v: unknown): unknown => (typeof v === 'string' ? v.replace('$(XSVISOR)', ROOT).replace('$(MODDABLE)/xs/includes/xs', join(typings, 'xs')).replace('$(MODDABLE)/typings/global', join(typings, 'global')) : v);
      const ours = Object.fromEntries(Object.entries(manifest.typescript.tsconfig.compilerOptions).map(([k, v]) => [k, Array.isArray(v) ? v.map(resolveVar) : resolveVar(v)]));
      // mcconfig's generated tsconfig: its defaults (SDK 8.2: es2025 target), paths for every module and typing, then the manifest's options.
      const paths: Record<string, string[]> = {};
      for (const [name, file] of files) paths[name] = [file.slice(0, -3)];
      for (const [spec, d] of [['timer', 'timer'], ['time', 'time'], ['Resource', 'Resource'], ['mc/config', 'mc/config'],
        ['embedded:io/serial', 'embedded_io/serial'], ['embedded:io/digital', 'embedded_io/digital'], ['embedded:io/_common', 'embedded_io/_common'],
        ['embedded:provider/builtin', 'embedded_provider/builtin']] as const) paths[spec] = [join(typings, `${d}.d`)];
      const tsconfig = {
        compilerOptions: { baseUrl: './', forceConsistentCasingInFileNames: true, module: 'es2020', outDir: out, paths, lib: ['es2020'], sourceMap: true, target: 'es2025', ...ours },
        files: [...files.values()],
      };
      writeFileSync(join(out, 'tsconfig.json'), JSON.stringify(tsconfig));
      const parsed = ts.getParsedCommandLineOfConfigFile(join(out, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
      assert.ok(parsed !== undefined);
      const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
      const diags = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(diags, []);
      // Write only into the scratch folder, whatever the options say (a wrong outDir must not litter src/).
      const emitted = program.emit(undefined, (file, text) => {
        assert.ok(file.startsWith(out + sep), `tsc would write ${file}, outside ${out}`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      });
      assert.deepEqual(emitted.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);

      // mcconfig looks for each module at MODULES_DIR/<source relative to the sources' common folder>.js.
      const common = join(ROOT, 'src');
      for (const [name, file] of files) {
        const js = join(out, relative(common, file).slice(0, -3) + '.js');
        assert.ok(statSync(js).isFile(), `${name}: ${relative(out, js)} was not emitted`);
        for (const spec of specifiers(readFileSync(js, 'utf8'))) {
          const target = xsResolve(name, spec);
          const moddable = ['timer', 'time', 'Resource', 'mc/config'].includes(target) || target.startsWith('embedded:');
          assert.ok(moddable || files.has(target), `${name} (compiled) imports ${spec}: no module ${target}`);
        }
      }
      assert.match(readFileSync(join(out, 'moddable', 'main.js'), 'utf8'), /export default function main/);
      assert.equal(dirname(join(out, 'moddable', 'main.js')), join(out, 'moddable'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
