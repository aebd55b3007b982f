/**
 * The Moddable modules the app imports by bare specifier, and the files in
 * this folder that stand in for them on the host. One table for both
 * loaders: the Node resolve hook (hooks.mjs) and the esbuild bundle for
 * xsnap (xs.ts). Plain JavaScript because Node loads hook modules before
 * any TypeScript loader can help.
 */

/** Specifier -> file name in host/moddable/. */
export const HOST_MODULES = Object.freeze({
  'timer': 'timer.ts',
  'time': 'time.ts',
  'Resource': 'resource.ts',
  'mc/config': 'config.ts',
  'embedded:io/serial': 'serial.ts',
  'embedded:io/digital': 'digital.ts',
});

/** The file URL that stands in for `specifier`, or undefined when it is not a Moddable module. */
export function hostModuleUrl(specifier) {
  const file = Object.prototype.hasOwnProperty.call(HOST_MODULES, specifier) ? HOST_MODULES[specifier] : undefined;
  return file === undefined ? undefined : new URL(file, import.meta.url).href;
}
