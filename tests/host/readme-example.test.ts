/** The README's device example is the one tests/core/readme-example.test.ts runs: the same imports and class, line for line. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The import list and the `Scratch` class of a text, with the module path left out. */
function example(text: string, where: string): { imports: string; cls: string } {
  const imports = /import \{\n([^}]*)\} from '[^']+';/.exec(text);
  const cls = /\nclass Scratch [\s\S]*?\n\}\n/.exec(text);
  assert.ok(imports !== null && cls !== null, `${where}: the example's imports and class Scratch`);
  return { imports: imports[1]!, cls: cls[0] };
}

describe('README example', () => {
  it('is the code the core suite runs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /A device, defined and registered:\n\n```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(block !== null, 'README.md: the device example');
    const test = readFileSync(join(ROOT, 'tests/core/readme-example.test.ts'), 'utf8');
    assert.deepEqual(example(block[1]!, 'README.md'), example(test, 'tests/core/readme-example.test.ts'));
  });
});
