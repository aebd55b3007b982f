/**
 * A Node module-resolution hook (node:module register()) that maps the
 * Moddable modules main.ts imports ('timer', 'Resource', 'mc/config', ...)
 * to the host stand-ins in this folder, so src/moddable/ runs unchanged
 * under Node. Loading stays with the other loaders (ts-node compiles the
 * .ts files).
 */
import { hostModuleUrl } from './specifiers.mjs';

export async function resolve(specifier, context, nextResolve) {
  const url = hostModuleUrl(specifier);
  if (url !== undefined) return { url, shortCircuit: true };
  return nextResolve(specifier, context);
}
