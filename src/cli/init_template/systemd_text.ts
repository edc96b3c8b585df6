/**
 * Text for systemd unit files: one command-line argument (`ExecStart=`),
 * and a path setting (`WorkingDirectory=`), written so systemd reads back
 * exactly the text given (systemd.service(5), "Command lines";
 * systemd.unit(5), "Specifiers").
 *
 * @module
 */

/** `%` starts a specifier: `%%` is one `%`. */
function specifiersEscaped(text: string): string {
  return text.replaceAll("%", "%%");
}

/** True when `text` holds a character no unit file line can hold as given (a control character). */
export function unitUnsafe(text: string): boolean {
  // deno-lint-ignore no-control-regex -- control characters are what is refused
  return /[\u0000-\u001f\u007f]/.test(text);
}

/**
 * One argument of a command line: as it is when it needs nothing, else in
 * double quotes with `\` and `"` escaped; `%` doubled and `$` doubled
 * (systemd expands `$NAME` in command lines) either way.
 */
export function unitArgument(text: string): string {
  const escaped = specifiersEscaped(text).replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(text)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A path setting's value (`WorkingDirectory=`): `%` doubled; taken as written otherwise. */
export function unitPath(text: string): string {
  return specifiersEscaped(text);
}
