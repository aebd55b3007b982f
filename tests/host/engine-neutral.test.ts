/**
 * The core under src/ (all but src/moddable/) must run unchanged in XS: no
 * Node modules, no Node or browser globals, nothing but ECMAScript and typed
 * arrays. tsconfig.core.json proves the types (it has no Node typings); this
 * test scans the sources for what types cannot catch (e.g. `globalThis.process`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const srcDir = join(root, 'src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (relative(srcDir, p) === 'moddable') continue;
      out.push(...sources(p));
    } else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Patterns that mean a host dependency, with why each is refused. */
const FORBIDDEN: [RegExp, string][] = [
  [/\bfrom\s+['"](node:[^'"]+|fs|path|os|child_process|net|tty|stream|events|buffer|util|crypto|worker_threads|url)['"]/, 'imports a Node module'],
  [/\bimport\s*\(\s*['"]node:/, 'imports a Node module dynamically'],
  [/\brequire\s*\(/, 'uses require()'],
  [/\bprocess\s*\./, 'uses process'],
  [/\bBuffer\b/, 'uses Buffer'],
  [/\bconsole\s*\./, 'uses console'],
  [/\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|queueMicrotask)\s*\(/, 'uses a host timer'],
  [/\b(performance|window|document|navigator|fetch)\s*[.(]/, 'uses a host global'],
  [/\b(TextEncoder|TextDecoder)\b/, 'uses TextEncoder/TextDecoder (not in XS by default)'],
];

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('engine-neutral core', () => {
  it('src/ uses no Node modules or host globals', () => {
    const files = sources(srcDir);
    assert.ok(files.length > 5, 'found the sources');
    const problems: string[] = [];
    for (const file of files) {
      const lines = stripComments(readFileSync(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const [re, why] of FORBIDDEN) {
          if (re.test(line)) problems.push(`${relative(root, file)}:${i + 1}: ${why}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(problems, []);
  });

  it('the scan would catch a violation', () => {
    const sample = "import { readFileSync } from 'node:fs';\nconst x = Buffer.from('a');\nprocess.exit(1);";
    const hits = FORBIDDEN.filter(([re]) => sample.split('\n').some((l) => re.test(l)));
    assert.equal(hits.length, 3);
  });
});
