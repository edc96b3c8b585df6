// Runs a command as a user's shell would, with exactly the environment given
// (nothing inherited from the test runner): for the tests that install the
// commands and use them from a project of the user's own.

const decoder = new TextDecoder();

/** What a finished command gave. */
export interface RunResult {
  /** Its exit code. */
  readonly code: number;
  /** Its standard output, as text. */
  readonly stdout: string;
  /** Its standard error, as text. */
  readonly stderr: string;
}

/** Runs `command args` in `cwd` with exactly `env`; its exit code and output. */
export async function runWithEnv(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<RunResult> {
  const output = await new Deno.Command(command, {
    args: [...args],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return decoded(output);
}

/** A finished command's exit code and its output as text. */
export function decoded(output: Deno.CommandOutput): RunResult {
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
