// Waiting for text to appear: in a file the host writes (its log file), or
// anywhere a test can read it again (a terminal's screen).

/**
 * Reads `read()` every `everyMs` until its text matches `pattern`; the text.
 * Past `timeoutMs` it throws with `what` and the text last read.
 */
export async function waitForText(
  read: () => Promise<string>,
  pattern: RegExp,
  what: string,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const text = await read();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${pattern} in ${what}:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Reads `path` every 50 ms until its text matches `pattern`; the text. A file
 * that does not exist yet reads as empty; past `timeoutMs` it throws with
 * what the file held.
 */
export function waitForFile(path: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitForText(() => Deno.readTextFile(path).catch(() => ""), pattern, path, timeoutMs);
}
