/**
 * The KEMI script of a new project: one exec task that loops until the host
 * stops, and one function called over RPC.
 *
 * @module
 */

import type { ProjectFacts } from "./facts.ts";

/** `app.ts`. */
export function appTs(facts: ProjectFacts): string {
  return `/**
 * ${facts.name}: a KEMI script, run by evrexec for Deno (deno task start).
 *
 * \`heartbeat\` is an exec task (see evrexec.jsonc): its worker logs a line
 * every few seconds until the host stops. \`hello\` answers over RPC:
 *
 *     evrexec-rpc evrexec.run hello operator
 *
 * @module
 */

import { KSR } from "${facts.packageName}/kemi";

/** How long the heartbeat waits between two lines, in milliseconds. */
export const HEARTBEAT_MS = 5000;

/** Waits \`ms\` milliseconds, or less: until the host stops. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      KSR.shutdown.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    KSR.shutdown.addEventListener("abort", done);
  });
}

/** An exec task: logs a line every HEARTBEAT_MS until the host stops. */
export async function heartbeat(index: string): Promise<void> {
  let beats = 0;
  while (!KSR.shutdown.aborted) {
    beats++;
    KSR.info(\`heartbeat \${index}: beat \${beats}\`);
    await sleep(HEARTBEAT_MS);
  }
  KSR.info(\`heartbeat \${index}: stopped\`);
}

/** Called over RPC (\`evrexec.run hello NAME\`): a greeting for NAME. */
export function hello(data: string): string {
  const who = data.trim() === "" ? "world" : data.trim();
  KSR.dbg(\`hello called for \${who}\`);
  return \`hello, \${who}\`;
}
`;
}
