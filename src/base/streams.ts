/**
 * Writing all of a buffer to a writer that may take part of it, and closing
 * a resource that may be closed already.
 *
 * @module
 */

/** Writes every byte of `bytes` to `writer`, however many calls it takes. */
export async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await writer.write(bytes.subarray(done));
}

/** Writes every byte of `bytes` to `writer` synchronously. */
export function writeAllSync(
  writer: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
): void {
  for (let done = 0; done < bytes.length;) done += writer.writeSync(bytes.subarray(done));
}

/** Closes `resource`; one that is closed already is fine. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // closed already
  }
}
