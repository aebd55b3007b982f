/**
 * Host stand-in for Moddable's `Resource` module
 * (documentation/files/files.md, "Resource"): named read-only data built
 * into the app. `new Resource(name)` gives the bytes' buffer, the same one
 * every time (flash does not move), and `Resource.exists(name)` says
 * whether there is such a resource.
 *
 * The harness provides the data: {@link setHostResources} from memory, or
 * {@link setResourceFetcher} to fetch on first use (the XS bridge asks
 * Node for the file through issueCommand).
 */

const store = new Map<string, ArrayBuffer>();
let fetcher: ((name: string) => Uint8Array | null) | null = null;

/** Replaces the resources with `entries` (each copied once, as a build copies files into flash). */
export function setHostResources(entries: Readonly<Record<string, Uint8Array>>): void {
  store.clear();
  for (const [name, bytes] of Object.entries(entries)) store.set(name, bytes.slice().buffer);
}

/** Sets where resources not in the store come from (null for nowhere). */
export function setResourceFetcher(fetch: ((name: string) => Uint8Array | null) | null): void {
  fetcher = fetch;
}

function lookup(name: string): ArrayBuffer | null {
  const held = store.get(name);
  if (held !== undefined) return held;
  const bytes = fetcher?.(name) ?? null;
  if (bytes === null) return null;
  const buf = bytes.slice().buffer;
  store.set(name, buf);
  return buf;
}

/** A resource: constructing one yields its bytes' buffer, as Moddable's yields a HostBuffer over flash. */
export default class Resource {
  constructor(name: string) {
    const buf = lookup(String(name));
    if (buf === null) throw new Error(`Resource: "${name}" not found`);
    // A constructor may return the object to use: the buffer itself, so `new Uint8Array(new Resource(x))` views it.
    return buf as unknown as Resource;
  }

  /** True when a resource called `name` exists. */
  static exists(name: string): boolean {
    return lookup(String(name)) !== null;
  }
}
