import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware } from './host/board/firmware.js';
import { boardCacheDir, findBoardSdk, ROOT } from './host/board/sdk.js';
import { loadBootrom, readFirmware } from './host/board/cli.js';
import { PicoSession } from './host/board/session.js';
import { parseBoard } from './src/board/index.js';
import { echoGuest } from './tests/host/moddable-fixtures.js';
const sdk = await findBoardSdk(process.env, () => {});
const work = join(boardCacheDir(), 'heap');
mkdirSync(work, { recursive: true });
writeFileSync(join(work, 'echo.elf'), echoGuest());
const manifest = join(work, 'manifest.json');
writeFileSync(manifest, JSON.stringify({
  include: [join(ROOT, 'manifest.json'), '$(MODDABLE)/modules/base/instrumentation/manifest.json'],
  modules: { 'src/moddable/bench': join(ROOT, 'src', 'moddable', 'bench') },
  preload: ['src/moddable/bench'], creation: { main: 'src/moddable/bench' },
}, null, '\t'));
const n = Number(process.argv[2]);
const cfg = process.argv[5] ?? join(work, `vms-${n}.json`);
if (!process.argv[5]) writeFileSync(cfg, JSON.stringify({ board: 'pico', vms: Array.from({ length: n }, (_, i) => ({ name: `e${i}`, image: 'echo.elf', ram: '12KiB', uart: 'console' })) }));
const dir = join(ROOT, 'dist', 'board', `heap-${n}`);
const t0 = Date.now();
if (!process.argv[3]) await buildFirmware(sdk, { config: cfg, outDir: dir });
console.log(`built ${(Date.now() - t0) / 1000} s`);
const { uf2, info } = readFirmware(dir);
const board = parseBoard(readFileSync('boards/pico.json', 'utf8'), 'pico');
let done = false;
const s = new PicoSession({ board, uf2, bootrom: await loadBootrom(), stdioUsbOut: info.stdioUsbOut,
  onUsbLine: (l) => { console.log("USB", l); if (l.startsWith("# ") || l.includes("PANIC")) { done = true; } } });
await s.runUntil(() => done, Number(process.argv[4] ?? 8) * 1e9);
console.log(`${(s.stats.simNs / 1e9).toFixed(1)} s sim, ${(s.stats.wallMs / 1000).toFixed(0)} s wall`);
s.close();
