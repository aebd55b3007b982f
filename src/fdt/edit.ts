/**
 * Editing a device tree blob a user supplies (`--dtb FILE`): QEMU's
 * `-dtb` with `-append` sets /chosen/bootargs in the given tree (hw/riscv
 * virt.c, create_fdt: a loaded tree skips the generated one, then the
 * kernel command line goes into /chosen). Owns that one edit: the blob is
 * parsed (reader.ts: every offset checked), rebuilt node by node with the
 * writer, /chosen made when missing, bootargs set, and serialised again.
 */

import { FdtBuilder, type FdtNode } from './writer.js';
import { parseFdt, type FdtParsedNode } from './reader.js';

/**
 * Takes a blob and a command line; returns a new blob, the same tree with
 * `/chosen/bootargs` set to it (a NUL-terminated string). Refuses a blob
 * that does not parse, or whose names the spec does not allow, with an
 * FdtError. The input is not modified.
 */
export function fdtWithBootargs(blob: Uint8Array, bootargs: string): Uint8Array {
  const parsed = parseFdt(blob);
  const builder = new FdtBuilder({
    bootCpuId: parsed.bootCpuId,
    reservations: parsed.reservations.map((r) => ({ address: r.address, size: r.size })),
  });
  const copy = (from: FdtParsedNode, to: FdtNode): void => {
    for (const [name, value] of from.properties) to.setProperty(name, value);
    for (const child of from.children) copy(child, to.addNode(child.name));
  };
  copy(parsed.root, builder.root);
  const chosen = builder.root.child('chosen') ?? builder.root.addNode('chosen');
  chosen.setString('bootargs', bootargs);
  return builder.toBlob();
}
