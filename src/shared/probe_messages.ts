/**
 * What the host and its start-up probe (`worker/probe.ts`) tell each other.
 *
 * @module
 */

/** The first argument of a probe run as a child process, before its request. */
export const PROBE_FLAG = "--evrexec-probe";

/** What the host asks the probe to check. */
export interface ProbeRequest {
  /** Permission kinds whose refusal to check. */
  readonly kinds: readonly string[];
  /** Allocate up to this many MiB (four times the cap), or 0 for no heap check. */
  readonly allocateMiB: number;
}

/** What the probe reports. */
export type ProbeReport =
  | { readonly type: "permissions"; readonly notRefused: readonly string[] }
  | { readonly type: "allocated"; readonly mib: number }
  | { readonly type: "heap-not-capped"; readonly mib: number };
