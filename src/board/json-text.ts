/**
 * JSON text for files people write (boards, configurations, scenarios):
 * JSON.parse, and when it refuses, where and why, as a line and column.
 *
 * Engines word and place JSON.parse's errors differently (V8 gives a
 * character offset or nothing, XS a line), so the place is found here by
 * a scan of the grammar (RFC 8259 section 2), the same on every engine.
 */

/** What {@link parseJsonText} returns. */
export type JsonTextResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly line: number; readonly column: number; readonly problem: string };

/**
 * Parses `text` as JSON. On success returns the value; otherwise the
 * 1-based line and column of the first byte that breaks the grammar and
 * what was expected there. Never throws.
 */
export function parseJsonText(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const { at, problem } = findJsonError(text);
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return { ok: false, line, column: at - before.lastIndexOf('\n'), problem };
  }
}

/** `problem at line L, column C`, for a failed {@link parseJsonText}. */
export function describeJsonError(r: { readonly line: number; readonly column: number; readonly problem: string }): string {
  return `${r.problem} at line ${r.line}, column ${r.column}`;
}

class JsonSyntax {
  constructor(readonly at: number, readonly problem: string) {}
}

/** The offset and reason of the first grammar error in `text` (which JSON.parse refused). */
function findJsonError(text: string): { at: number; problem: string } {
  let i = 0;
  const show = (): string => (i >= text.length ? 'the end of the text' : `'${text[i]}'`);
  const fail = (expected: string): never => {
    throw new JsonSyntax(i, `expected ${expected}, found ${show()}`);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) fail(`'${word}'`);
  };
  const digits = (): void => {
    if (!(text[i] >= '0' && text[i] <= '9')) fail('a digit');
    while (text[i] >= '0' && text[i] <= '9') i++;
  };
  const string = (): void => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail("'\"' to end the string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw new JsonSyntax(i, 'a control character (a raw line break?) inside a string');
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('a hex digit of a \\u escape');
          continue;
        }
        if (e === undefined || '"\\/bfnrt'.indexOf(e) < 0) fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === '}' ? 'another member after the comma (a trailing comma is not JSON)' : "a member name in '\"'");
        string();
        ws();
        if (text[i] !== ':') fail("':'");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') fail('another element after the comma (a trailing comma is not JSON)');
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) {
      if (c === '-') i++;
      if (text[i] === '0') i++;
      else digits();
      if (text[i] === '.') {
        i++;
        digits();
      }
      if (text[i] === 'e' || text[i] === 'E') {
        i++;
        if (text[i] === '+' || text[i] === '-') i++;
        digits();
      }
      return;
    }
    fail('a value');
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of the text after the value');
  } catch (e) {
    if (e instanceof JsonSyntax) return { at: e.at, problem: e.problem };
    throw e;
  }
  // JSON.parse refused what the scan accepts (a lone surrogate, say): no better place than the start.
  return { at: 0, problem: 'not JSON' };
}
