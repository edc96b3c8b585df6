/**
 * Puts back the flags `deno install` leaves out of the shell script it
 * writes. Deno 2.9.6 drops `--inspect-publish-uid=http`, so an installed
 * host would print "Debugger listening on ws://127.255.255.255:…" at every
 * start (the inspector stays parked; only the banner is back). See
 * `repro/install_drops_inspect_publish_uid.ts`.
 *
 * @module
 */

/** `text` in single quotes for sh (a quote inside closed, escaped and reopened). */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** True when the shim's command line holds `flag` as a whole argument (bare or quoted). */
function holds(shim: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|\\s)'?${escaped}'?(?=\\s|$)`, "m").test(shim);
}

/** The flags of `flags` that `shim` lacks. */
export function missingFlags(shim: string, flags: readonly string[]): string[] {
  return flags.filter((flag) => !holds(shim, flag));
}

/**
 * The shim with `flags` it lacks added after `deno run`; the shim as it was
 * when it lacks none. Throws when the shim has no `exec deno run` line (a
 * Deno that writes shims another way: install by hand, see the README).
 */
export function withFlags(shim: string, flags: readonly string[]): string {
  const missing = missingFlags(shim, flags);
  if (missing.length === 0) return shim;
  const line = /^(exec\s+\S*deno\S*\s+run)(\s)/m;
  if (!line.test(shim)) {
    throw new Error(
      `the script deno install wrote has no "exec deno run" line; it lacks ${missing.join(" ")}`,
    );
  }
  return shim.replace(
    line,
    (_, run: string, space: string) => `${run} ${missing.map(shellQuoted).join(" ")}${space}`,
  );
}
