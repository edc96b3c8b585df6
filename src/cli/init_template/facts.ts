/**
 * What the templates of `evrexec init` are filled with: the project's name
 * and directory, the checkout it runs the host from, the deno binary and
 * the user of its systemd unit.
 *
 * @module
 */

/** The facts of one new project. */
export interface ProjectFacts {
  /** The project's name (its directory's name, made safe): titles and the unit's description. */
  readonly name: string;
  /** The project's directory, absolute. */
  readonly dir: string;
  /** The checkout's directory, absolute: what the project's `deno.json` links. */
  readonly checkout: string;
  /** The checkout's package name (`@evrexec/deno`), as its `deno.json` names it. */
  readonly packageName: string;
  /** The deno binary the systemd unit runs, absolute. */
  readonly denoPath: string;
  /** The user the systemd unit runs as. */
  readonly user: string;
  /** True when `user` was not who ran init (root, or unknown): the unit says to create it. */
  readonly userToCreate: boolean;
}
