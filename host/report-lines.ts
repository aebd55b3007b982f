/**
 * Messages on stderr, one tagged line each: a report of several problems
 * (a board file, a configuration, a scenario) arrives as one text with
 * line breaks, and every line of it must carry the command's tag
 * (`xsvisor: `, `xsvisor hil: `) so a reader or a grep sees where each
 * comes from.
 */

/**
 * Returns `text` with `tag` before every line that does not already start
 * with it, and a final line break. Takes any text; refuses nothing.
 */
export function tagLines(tag: string, text: string): string {
  return `${text.split('\n').map((line) => (line.startsWith(tag) ? line : `${tag}${line}`)).join('\n')}\n`;
}
