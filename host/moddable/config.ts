/**
 * Host stand-in for Moddable's `mc/config`: the build settings object.
 * On a board mcconfig generates it, frozen, from the manifest's `config`
 * and the command line; on the host the harness fills it with
 * {@link setHostConfig} before the app starts.
 */

const config: Record<string, unknown> = {};

/** Replaces the settings the app will read. */
export function setHostConfig(values: Readonly<Record<string, unknown>>): void {
  for (const k of Object.keys(config)) delete config[k];
  Object.assign(config, values);
}

export default config;
