/**
 * Reports of a HIL run: TAP version 14 and JUnit XML.
 *
 * Owns the two formats and their escaping. Guest output can hold anything
 * (escape sequences, NULs, stray `ok` lines), so it is never written raw:
 * in TAP it goes into `#` diagnostic lines and JSON-quoted YAML scalars,
 * with control characters shown as `\xHH`; in XML the characters XML 1.0
 * forbids are shown the same way and the rest is entity-escaped.
 *
 * TAP: one test point per step, a YAML block with `duration_ms` (and
 * `message`, `received` for a failure), skipped steps as `# SKIP`, a `log`
 * step's output as `#` lines after its test point.
 * JUnit: one `<testsuite>` (the scenario) of one `<testcase>` per step with
 * its `time` in seconds, `<failure>` with the unmatched output,
 * `<skipped/>`, and a `log` step's output in `<system-out>`.
 */

import type { HilResult, StepResult } from './runner.js';

/** The report formats `--format` names. */
export type ReportFormat = 'tap' | 'junit';
/** The report formats, the default first. */
export const REPORT_FORMATS: readonly ReportFormat[] = Object.freeze(['tap', 'junit'] as const);

/** Why a skipped step did not run. */
const SKIP_REASON = 'an earlier step failed';

/** Renders the result in `format`; returns the whole report, ending in a newline. */
export function formatReport(result: HilResult, format: ReportFormat): string {
  return format === 'junit' ? formatJunit(result) : formatTap(result);
}

/** The TAP version 14 report. */
export function formatTap(result: HilResult): string {
  const out: string[] = ['TAP version 14', `# ${oneLine(`${result.scenario.name} (${result.scenario.file}) on ${result.port}`)}`, `1..${result.steps.length}`];
  for (const r of result.steps) {
    const desc = tapDescription(r.description);
    if (r.status === 'skipped') {
      out.push(`ok ${r.number} - ${desc} # SKIP ${SKIP_REASON}`);
      continue;
    }
    out.push(`${r.status === 'passed' ? 'ok' : 'not ok'} ${r.number} - ${desc}`);
    out.push('  ---', `  duration_ms: ${(r.seconds * 1000).toFixed(3)}`);
    if (r.failure !== null) out.push(`  message: ${JSON.stringify(r.failure)}`);
    if (r.received !== null) out.push(`  received: ${JSON.stringify(r.received)}`);
    out.push('  ...');
    if (r.output !== null) {
      const label = r.step.kind === 'log' ? r.step.label : r.description;
      out.push(`# ${oneLine(label)}: ${r.output.length} characters${r.outputDropped > 0 ? ` (${r.outputDropped} older ones dropped)` : ''}`);
      for (const line of lines(r.output)) out.push(`#   ${visible(line)}`);
    }
  }
  out.push(`# passed ${result.passed}, failed ${result.failed}, skipped ${result.skipped}, ${result.seconds.toFixed(3)} s`);
  return `${out.join('\n')}\n`;
}

/** The JUnit XML report (the Ant/Jenkins/GitLab dialect). */
export function formatJunit(result: HilResult): string {
  const name = result.scenario.name;
  const time = (s: number): string => s.toFixed(3);
  const counts = `tests="${result.steps.length}" failures="${result.failed}" errors="0" skipped="${result.skipped}" time="${time(result.seconds)}"`;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="xsvisor hil" ${counts}>`,
    `  <testsuite name="${attr(name)}" ${counts} timestamp="${result.startedAt.toISOString().slice(0, 19)}">`,
    '    <properties>',
    `      <property name="scenario" value="${attr(result.scenario.file)}"/>`,
    `      <property name="port" value="${attr(result.port)}"/>`,
    '    </properties>',
  ];
  for (const r of result.steps) {
    const open = `    <testcase name="${attr(`${r.number} ${r.description}`)}" classname="${attr(name)}" time="${time(r.seconds)}"`;
    const body = testcaseBody(r);
    if (body.length === 0) out.push(`${open}/>`);
    else out.push(`${open}>`, ...body, '    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}

function testcaseBody(r: StepResult): string[] {
  const body: string[] = [];
  if (r.status === 'skipped') body.push(`      <skipped message="${SKIP_REASON}"/>`);
  if (r.failure !== null) {
    const detail = r.received === null ? '' : `received since the last match:\n${r.received}`;
    body.push(`      <failure message="${attr(r.failure)}" type="${r.step.kind}">${text(detail)}</failure>`);
  }
  if (r.output !== null) body.push(`      <system-out>${text(r.output)}</system-out>`);
  return body;
}

/** A TAP description: one line, with `\` and `#` escaped (TAP 14). */
function tapDescription(s: string): string {
  return oneLine(s).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

function oneLine(s: string): string {
  return visible(s.replace(/\r?\n|\r/g, ' '));
}

/** Lines of guest output: CR LF, lone CR and LF all end a line; a final newline adds no empty line. */
function lines(s: string): string[] {
  const parts = s.split(/\r\n|\n|\r/);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Control characters (but tab) as `\xHH`, so a terminal or a TAP parser sees plain text. */
function visible(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** XML 1.0 character data: entities for markup, `\xHH` for the characters XML cannot carry. */
function text(s: string): string {
  return xmlChars(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** Characters outside XML 1.0's Char production (controls but tab, LF, CR; U+FFFE, U+FFFF; lone surrogates) shown as escapes. */
function xmlChars(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
