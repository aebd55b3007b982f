/**
 * HIL scenario files: reading and validating them (the format is in
 * docs/hil.md).
 *
 * Owns the whole check of a scenario before a port is opened: JSON syntax
 * (with line and column), the top-level keys, every step's action and
 * options, value ranges, and each `expect` pattern compiled once. Every
 * problem found is reported at once in one {@link ScenarioError}, a line
 * each naming the file, the JSON path and the problem, e.g. `smoke.json:
 * $.steps[2].timeout: must be a number of seconds in (0, 3600]`. Unknown
 * keys are refused, so a misspelt option is never silently ignored.
 */

import { readFileSync, statSync } from 'node:fs';
import { describeJsonError, parseJsonText } from '../../src/board/json-text.js';
import { ScenarioError } from './errors.js';

/** Timeout of an `expect` step that gives none and sits in a scenario that gives none (seconds). */
export const DEFAULT_STEP_TIMEOUT = 10;
/** Longest timeout or delay a scenario may ask for (seconds): anything longer is a typo. */
export const MAX_SECONDS = 3600;
/** How long a `dtr`/`rts` reset holds the line low when the step says nothing (seconds). */
export const DEFAULT_RESET_PULSE = 0.1;
/** Most steps in one scenario. */
export const MAX_STEPS = 10_000;
/** Longest `send` text, `log` label or step name (characters). */
export const MAX_TEXT = 64 * 1024;
/** Longest `expect` pattern (characters). */
export const MAX_PATTERN = 4096;
/** Largest scenario file read (bytes). */
export const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

/** The ways a `reset` step resets the board. */
export type ResetMethod = 'dtr' | 'rts' | 'monitor';
/** The reset methods, in the order the docs give them. */
export const RESET_METHODS: readonly ResetMethod[] = Object.freeze(['dtr', 'rts', 'monitor'] as const);

/** Regular-expression flags an `expect` may use; `g` and `y` would make matching stateful. */
const ALLOWED_FLAGS = 'imsu';

/** One step of a scenario; `name` is the step's own name or null. */
export type ScenarioStep =
  | { readonly kind: 'send'; readonly name: string | null; readonly text: string; readonly delay: number }
  | { readonly kind: 'expect'; readonly name: string | null; readonly pattern: RegExp; readonly timeout: number }
  | { readonly kind: 'reset'; readonly name: string | null; readonly method: ResetMethod; readonly pulse: number }
  | { readonly kind: 'log'; readonly name: string | null; readonly label: string };

/** A validated scenario. */
export interface Scenario {
  /** The file it came from, as named (for messages and reports). */
  readonly file: string;
  /** The scenario's `name`: the TAP plan's comment, the JUnit suite's name. */
  readonly name: string;
  /** The default `expect` timeout in seconds. */
  readonly timeout: number;
  readonly steps: readonly ScenarioStep[];
}

const TOP_KEYS = Object.freeze(['name', 'timeout', 'steps']);
const ACTIONS = Object.freeze(['send', 'expect', 'reset', 'log'] as const);
const STEP_KEYS: Readonly<Record<(typeof ACTIONS)[number], readonly string[]>> = Object.freeze({
  send: Object.freeze(['send', 'delay', 'name']),
  expect: Object.freeze(['expect', 'timeout', 'flags', 'name']),
  reset: Object.freeze(['reset', 'pulse', 'name']),
  log: Object.freeze(['log', 'name']),
});

/**
 * Reads and validates a scenario file. Returns the {@link Scenario};
 * throws a {@link ScenarioError} (path `$` for an unreadable file or bad
 * JSON) for anything wrong.
 */
export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_SCENARIO_BYTES) throw new ScenarioError({ file, path: '$', problem: `the file is ${size} bytes; a scenario may have at most ${MAX_SCENARIO_BYTES}` });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e);
    throw new ScenarioError({ file, path: '$', problem: `cannot read the scenario: ${why}` });
  }
  return parseScenario(text, file);
}

/**
 * Validates a scenario given as JSON text; `file` names it in errors.
 * Returns the {@link Scenario}; throws a {@link ScenarioError}.
 */
export function parseScenario(text: string, file: string): Scenario {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new ScenarioError({ file, path: '$', problem: `not valid JSON: ${describeJsonError(parsed)}` });
  const doc = parsed.value;
  // Every problem is reported at once, as for --config: each check that fails notes its problem and
  // gives up on that value only (STOP), so the rest of the scenario is still checked.
  const problems: { path: string; problem: string }[] = [];
  const note = (path: string, problem: string): void => {
    problems.push({ path, problem });
  };
  const bad = (path: string, problem: string): never => {
    note(path, problem);
    throw STOP;
  };
  const checked = <T>(check: () => T): T | null => {
    try {
      return check();
    } catch (e) {
      if (e === STOP) return null;
      throw e;
    }
  };
  if (!isObject(doc)) throw new ScenarioError({ file, path: '$', problem: `must be an object with "name" and "steps", not ${kindOf(doc)}` });
  const top = doc as Record<string, unknown>;
  refuseUnknownKeys(top, TOP_KEYS, '$', note);

  const name = checked(() => {
    if (!('name' in top)) bad('$', 'has no "name"');
    return nonEmptyString(top.name, '$.name', bad);
  });
  const timeout = checked(() => (top.timeout === undefined ? DEFAULT_STEP_TIMEOUT : seconds(top.timeout, '$.timeout', false, bad))) ?? DEFAULT_STEP_TIMEOUT;

  const rawSteps = checked(() => {
    if (!('steps' in top)) bad('$', 'has no "steps"');
    if (!Array.isArray(top.steps)) bad('$.steps', `must be an array of steps, not ${kindOf(top.steps)}`);
    const list = top.steps as unknown[];
    if (list.length === 0) bad('$.steps', 'is empty: a scenario needs at least one step');
    if (list.length > MAX_STEPS) bad('$.steps', `has ${list.length} steps; at most ${MAX_STEPS}`);
    return list;
  }) ?? [];

  const steps = rawSteps.map((raw, i) => checked(() => parseStep(raw, `$.steps[${i}]`, timeout, bad, note)));
  if (problems.length > 0) throw new ScenarioError({ file, problems });
  return Object.freeze({ file, name: name as string, timeout, steps: Object.freeze(steps as ScenarioStep[]) });
}

/** Thrown by a failed check after it noted its problem; caught where checking goes on with the next value. */
const STOP: unique symbol = Symbol('scenario check failed');

function parseStep(raw: unknown, path: string, defaultTimeout: number, bad: (path: string, problem: string) => never, note: (path: string, problem: string) => void): ScenarioStep {
  if (!isObject(raw)) return bad(path, `must be an object such as {"send": "..."}, not ${kindOf(raw)}`);
  const step = raw as Record<string, unknown>;
  const actions = ACTIONS.filter((a) => a in step);
  if (actions.length === 0) {
    const keys = Object.keys(step);
    return bad(path, `has no action: one of "send", "expect", "reset" or "log" is needed${keys.length > 0 ? ` (found ${keys.map((k) => JSON.stringify(k)).join(', ')})` : ''}`);
  }
  if (actions.length > 1) return bad(path, `has both ${JSON.stringify(actions[0])} and ${JSON.stringify(actions[1])}: a step does one thing`);
  const action = actions[0];
  refuseUnknownKeys(step, STEP_KEYS[action], path, note, ` for a "${action}" step`);
  const name = step.name === undefined ? null : nonEmptyString(step.name, `${path}.name`, bad);

  switch (action) {
    case 'send': {
      if (typeof step.send !== 'string') return bad(`${path}.send`, `must be a string (use \\r, \\n, \\u0003 for control characters), not ${kindOf(step.send)}`);
      if (step.send.length === 0) return bad(`${path}.send`, 'is empty: there is nothing to send');
      if (step.send.length > MAX_TEXT) return bad(`${path}.send`, `is ${step.send.length} characters long; at most ${MAX_TEXT}`);
      const delay = step.delay === undefined ? 0 : seconds(step.delay, `${path}.delay`, true, bad);
      return Object.freeze({ kind: 'send', name, text: step.send, delay });
    }
    case 'expect': {
      const source = step.expect;
      if (typeof source !== 'string') return bad(`${path}.expect`, `must be a regular expression in a string, not ${kindOf(source)}`);
      if (source.length === 0) return bad(`${path}.expect`, 'is empty: it would match without any output');
      if (source.length > MAX_PATTERN) return bad(`${path}.expect`, `is ${source.length} characters long; at most ${MAX_PATTERN}`);
      let flags = '';
      if (step.flags !== undefined) {
        if (typeof step.flags !== 'string' || !/^[a-z]*$/.test(step.flags)) return bad(`${path}.flags`, `must be a string of regular-expression flags (${ALLOWED_FLAGS.split('').join(', ')}), not ${kindOf(step.flags)}`);
        for (const f of step.flags) {
          if (!ALLOWED_FLAGS.includes(f)) return bad(`${path}.flags`, `'${f}' is not allowed: only ${ALLOWED_FLAGS.split('').join(', ')} (matching always starts after the last match)`);
        }
        if (new Set(step.flags).size !== step.flags.length) return bad(`${path}.flags`, `'${step.flags}' repeats a flag`);
        flags = step.flags;
      }
      let pattern: RegExp;
      try {
        pattern = new RegExp(source, flags);
      } catch (e) {
        return bad(`${path}.expect`, `not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (pattern.exec('') !== null) return bad(`${path}.expect`, `/${source}/ matches the empty string, so it would pass without any output`);
      const timeout = step.timeout === undefined ? defaultTimeout : seconds(step.timeout, `${path}.timeout`, false, bad);
      return Object.freeze({ kind: 'expect', name, pattern, timeout });
    }
    case 'reset': {
      const method = step.reset;
      if (typeof method !== 'string' || !(RESET_METHODS as readonly string[]).includes(method)) {
        return bad(`${path}.reset`, `must be "dtr", "rts" or "monitor", not ${kindOf(method)}`);
      }
      if (method === 'monitor' && step.pulse !== undefined) return bad(`${path}.pulse`, 'is for "dtr" and "rts" resets: the monitor restarts the guest at once');
      const pulse = step.pulse === undefined ? DEFAULT_RESET_PULSE : seconds(step.pulse, `${path}.pulse`, false, bad);
      return Object.freeze({ kind: 'reset', name, method: method as ResetMethod, pulse });
    }
    case 'log': {
      const label = nonEmptyString(step.log, `${path}.log`, bad);
      return Object.freeze({ kind: 'log', name, label });
    }
    default:
      return bad(path, 'unknown action');
  }
}

/** A number of seconds in (0, MAX_SECONDS] ([0, ...] when `zeroOk`). */
function seconds(v: unknown, path: string, zeroOk: boolean, bad: (path: string, problem: string) => never): number {
  const range = `${zeroOk ? '[0' : '(0'}, ${MAX_SECONDS}]`;
  if (typeof v !== 'number' || !Number.isFinite(v)) return bad(path, `must be a number of seconds in ${range}, not ${kindOf(v)}`);
  if (v > MAX_SECONDS || v < 0 || (v === 0 && !zeroOk)) return bad(path, `${v} is not a number of seconds in ${range}`);
  return v;
}

function nonEmptyString(v: unknown, path: string, bad: (path: string, problem: string) => never): string {
  if (typeof v !== 'string') return bad(path, `must be a string, not ${kindOf(v)}`);
  if (v.trim().length === 0) return bad(path, 'must not be empty');
  if (v.length > MAX_TEXT) return bad(path, `is ${v.length} characters long; at most ${MAX_TEXT}`);
  return v;
}

function refuseUnknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, note: (path: string, problem: string) => void, where = ''): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) note(`${path}${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`, `unknown key${where} (known: ${allowed.join(', ')})`);
  }
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value described for a message: its type, and the value itself when short. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'nothing';
  const shown = JSON.stringify(v);
  return `${typeof v === 'string' ? 'the string' : `the ${typeof v}`} ${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`;
}

