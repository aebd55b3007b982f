/**
 * Splitting a command line into options and operands, shared by
 * `xsvisor run` (cli/args.ts) and `xsvisor hil` (hil/args.ts).
 *
 * Owns the syntax both commands share: `--opt VALUE` or `--opt=VALUE` for
 * options that take a value, bare flags, `--` ending the options, and `-`
 * as an operand. What the values mean is each command's business.
 */

/** What {@link splitOptions} recognises. */
export interface OptionSyntax {
  /** Options that take a value. */
  readonly values: readonly string[];
  /** Value options that may be given more than once (all values kept, in order, in `lists`). */
  readonly repeatable?: readonly string[];
  /** Options without a value. */
  readonly flags: readonly string[];
  /** Options that end parsing at once (help, version): the first one met is returned. */
  readonly early: readonly string[];
}

/** A split command line. */
export interface SplitOptions {
  /** The value of each value option given (the last, for a repeatable one). */
  readonly values: ReadonlyMap<string, string>;
  /** Every value of each repeatable option given, in order. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** The flags given. */
  readonly flags: ReadonlySet<string>;
  /** The operands, in order. */
  readonly operands: readonly string[];
  /** The early option met, or null: `values`, `flags` and `operands` then hold what came before it. */
  readonly early: string | null;
}

/**
 * Splits `argv` by `syntax`. Refuses an unknown option, a value option
 * without its value and an option given twice (unless repeatable), by throwing what
 * `refuse(message, argument)` makes (the command's usage error).
 */
export function splitOptions(argv: readonly string[], syntax: OptionSyntax, refuse: (message: string, argument: string) => Error): SplitOptions {
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const flags = new Set<string>();
  const operands: string[] = [];
  let onlyOperands = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyOperands || !arg.startsWith('-') || arg === '-') {
      operands.push(arg);
    } else if (arg === '--') {
      onlyOperands = true;
    } else if (syntax.early.includes(arg)) {
      return { values, lists, flags, operands, early: arg };
    } else if (syntax.flags.includes(arg)) {
      flags.add(arg);
    } else {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg : arg.slice(0, eq);
      if (!syntax.values.includes(name)) throw refuse(`unknown option '${name}'`, arg);
      if (eq < 0 && i + 1 >= argv.length) throw refuse(`option '${name}' needs a value`, arg);
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (syntax.repeatable?.includes(name) === true) {
        const list = lists.get(name) ?? [];
        list.push(value);
        lists.set(name, list);
      } else if (values.has(name)) {
        throw refuse(`option '${name}' is given twice`, arg);
      }
      values.set(name, value);
    }
  }
  return { values, lists, flags, operands, early: null };
}
