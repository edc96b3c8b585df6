// Waiting for a file to hold some text: the tests that read what the host
// writes to its log file.

/**
 * Reads `path` every 50 ms until its text matches `pattern`; the text. A file
 * that does not exist yet reads as empty; past `timeoutMs` it throws with
 * what the file held.
 */
export async function waitForFile(
  path: string,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const text = await Deno.readTextFile(path).catch(() => "");
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${pattern} in ${path}:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
