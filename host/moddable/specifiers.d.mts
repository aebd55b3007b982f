/** Types of host/moddable/specifiers.mjs. */

/** Moddable module specifier -> file name in host/moddable/. */
export declare const HOST_MODULES: Readonly<Record<string, string>>;
/** The file URL that stands in for `specifier`, or undefined when it is not a Moddable module. */
export declare function hostModuleUrl(specifier: string): string | undefined;
