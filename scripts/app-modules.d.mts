/** The package root. */
export declare const ROOT: string;
/** The app's entry module (`src/moddable/main`). */
export declare const ENTRY: string;
/** The modules `module` imports at run time (relative imports, type-only ones excluded), as module names. */
export declare function runtimeImports(root: string, module: string): string[];
/** The sorted closure of modules the app loads, from ENTRY. */
export declare function appModules(root?: string): string[];
/** manifest.json's `modules` entries and `preload` list for `modules`. */
export declare function manifestEntries(modules: readonly string[]): { modules: Record<string, string>; preload: string[] };
