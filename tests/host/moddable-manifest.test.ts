/**
 * manifest.json checked without the Moddable SDK, for fast feedback (the
 * real proof is `npm run test:board`: the stock SDK builds it and the Pico
 * firmware boots in rp2040js):
 * - its shape (Moddable's conventions: base manifest, the two IO classes
 *   the app imports, esp32 and pico platforms, a "..." fallback with an
 *   error; the board file and the guest chosen by build variables);
 * - it names and preloads exactly the modules main.ts reaches, by name:
 *   mcconfig's wildcard preload entries match only `.js` files;
 * - no preloaded module makes a RegExp in its body (stock SDK 8.2.3
 *   corrupts RegExps made at preload time);
 * - each platform's default board validates and the demo guest fits it;
 * - the TypeScript build mcconfig would do, with its generated tsconfig,
 *   into the layout its makefile expects, every import resolvable by XS's
 *   rules (`.js` dropped; `./` and one `../` taken from the importer).
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
import { appModules } from '../../scripts/app-modules.mjs';

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
const PLATFORM_OF = Object.freeze({ esp32: 'esp32', pico: 'rp2040', lin: 'simulator' } as const);

/** The manifest's module map: module name -> source file. */
function moduleFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [target, source] of Object.entries(manifest.modules)) {
    assert.ok(!target.includes('*') && source === `./${target}`, `${target}: one module per entry, named after its file`);
    out.set(target, join(ROOT, `${source.slice(2)}.ts`));
  }
  return out;
}

/** The default board of each platform (the manifest's `XSVISOR_BOARD ?=`). */
function defaultBoard(platform: 'esp32' | 'pico' | 'lin'): string {
  const path = String((manifest.platforms[platform] as { build?: Record<string, string> }).build?.['XSVISOR_BOARD ?=']);
  assert.match(path, /^\.\/boards\/[a-z0-9-]+$/);
  return path.slice('./boards/'.length);
}

/** The relative imports (and re-exports) of a TypeScript or JavaScript source. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1]!);
  return out;
}

/** XS's resolution of `spec` imported from the module called `importer` (xsl and the device's fxFindModule). */
/** True unless every import of `spec` in `text` is `import type` / `export type` (erased by tsc). */
function isRuntimeImport(text: string, spec: string): boolean {
  const re = new RegExp(`\\b(import|export)\\s+(type\\s+)?[^'";]*?\\s+from\\s+['"]${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]`, 'g');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) if (m[2] === undefined) return true;
  return false;
}

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
  it('follows Moddable conventions: the base manifest, the two IO classes the app uses, esp32 and pico, an error elsewhere', () => {
    assert.deepEqual(manifest.include, [
      '$(MODDABLE)/examples/manifest_base.json',
      '$(MODDABLE)/modules/io/digital/manifest.json',
      '$(MODDABLE)/modules/io/serial/manifest.json',
    ], 'not modules/io/manifest.json, which brings every IO class, and Wi-Fi, SNTP and audio on ESP32');
    assert.deepEqual(Object.keys(manifest.platforms).sort(), ['...', 'esp32', 'lin', 'pico']);
    assert.match(manifest.platforms['...']!.error ?? '', /esp32, pico and the Moddable simulator/);
    // The simulator has no embedded:io/digital (Moddable's lin IO): the app's simulated pins stand in.
    assert.deepEqual((manifest.platforms['lin'] as { modules?: unknown }).modules, { 'embedded:io/digital': './src/moddable/sim-digital' });
    assert.equal(manifest.creation['main'], 'src/moddable/main');
    assert.equal(manifest.typescript.compiler, '$(XSVISOR)/node_modules/.bin/tsc', "the project's TypeScript (6.x), not whatever is on PATH");
    // One board file and one guest in flash; and what board:build --config stages as flash-NAME (nothing by default: no boards/flash-* file).
    assert.deepEqual(manifest.data, { board: '$(XSVISOR_BOARD)', guest: '$(XSVISOR_GUEST)', '*': '$(XSVISOR_VMS)' });
    assert.equal((manifest.build as Record<string, string>)['XSVISOR_VMS ?='], './boards/flash-*');
    assert.deepEqual(readdirSync(join(ROOT, 'boards')).filter((f) => f.startsWith('flash-')), []);
    assert.equal(manifest.build['XSVISOR_GUEST ?='], './guests/bin/demo');
  });

  it('names and preloads exactly the modules main.ts reaches, one by one', () => {
    const closure = appModules(ROOT) as string[];
    assert.deepEqual(Object.keys(manifest.modules).sort(), closure);
    assert.deepEqual([...manifest.preload].sort(), closure);
    assert.ok(closure.every((m) => m.startsWith('src/') && !m.startsWith('src/debug/')), 'nothing outside the core and the app');
    const files = moduleFiles();
    for (const [name, file] of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = xsResolve(name, spec);
        assert.ok(files.has(target) || !isRuntimeImport(readFileSync(file, 'utf8'), spec), `${name} imports ${spec} (${target}), which the manifest does not build`);
      }
    }
  });

  it('makes no RegExp in the body of a preloaded module (stock SDK 8.2.3 corrupts them at the first collection)', () => {
    const offenders: string[] = [];
    for (const [name, file] of moduleFiles()) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
      const visit = (node: ts.Node, inFunction: boolean): void => {
        const fn = inFunction || ts.isFunctionLike(node);
        const isRegExp = node.kind === ts.SyntaxKind.RegularExpressionLiteral
          || (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp');
        if (isRegExp && !fn) offenders.push(`${name}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        ts.forEachChild(node, (child) => visit(child, fn));
      };
      visit(source, false);
    }
    assert.deepEqual(offenders, []);
  });

  for (const platform of ['esp32', 'pico', 'lin'] as const) {
    it(`builds ${platform} with a valid ${PLATFORM_OF[platform]} board by default, and the demo guest fits it`, () => {
      const p = manifest.platforms[platform]!;
      const name = defaultBoard(platform);
      const board = parseBoard(readFileSync(join(ROOT, 'boards', `${name}.json`), 'utf8'), `boards/${name}.json`);
      assert.equal(board.platform, PLATFORM_OF[platform]);
      assert.equal(p.config?.['platform'], board.platform);
      assert.equal(board.uart0.kind, 'board');
      assert.ok(Number.isSafeInteger(p.config?.['slice']) && (p.config?.['slice'] as number) > 0);
      const plan = planGuestImage(new Uint8Array(readFileSync(join(ROOT, 'guests', 'bin', 'demo.elf'))), 'demo.elf');
      const need = minimumRam(plan, { ramSize: board.ramBudget, gpio: board.has('gpio'), virtio: board.has('virtio-mmio') });
      assert.ok(need <= board.ramBudget, `demo.elf needs ${formatSize(need)}; ${name} offers ${formatSize(board.ramBudget)}`);
    });
  }

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
        ['embedded:io/serial', 'embedded_io/serial'], ['embedded:io/digital', 'embedded_io/digital'], ['embedded:io/_common', 'embedded_io/_common']] as const) paths[spec] = [join(typings, `${d}.d`)];
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
