/**
 * SQL fragments for times: durations passed as milliseconds, and times read
 * back as milliseconds, so that every duration is computed on the
 * database's clock (`now()`), never on a host's.
 *
 * @module
 */

/** `now() + <param> ms`, for the parameter number `n` (a number of milliseconds). */
export function nowPlus(n: number): string {
  return `now() + ($${n}::double precision * interval '1 millisecond')`;
}

/** The milliseconds from now until `column` (negative once past), as a float8. */
export function msUntil(column: string): string {
  return `(extract(epoch FROM ${column} - now()) * 1000)::float8`;
}

/** `column` (a timestamptz) as milliseconds since the epoch, as a float8. */
export function epochMs(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000)::float8`;
}

/** A timestamptz from the parameter number `n` (milliseconds since the epoch), exactly. */
export function fromEpochMs(n: number): string {
  return `('epoch'::timestamptz + ($${n}::bigint * interval '1 millisecond'))`;
}

/** A column or value that may be null, as a number or null. */
export function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
