/**
 * The new project's `README.md`: what each file is, how to run, test,
 * develop and deploy it, and where its `KSR` API comes from.
 *
 * @module
 */

import type { ProjectFacts } from "./facts.ts";

/** `README.md`. Paths appear only in code blocks, which `deno fmt` leaves as they are. */
export function readmeMd(facts: ProjectFacts): string {
  return `# ${facts.name}

A KEMI script run by evrexec for Deno: exec tasks in dedicated workers, and
functions called over RPC, as Kamailio's \`evrexec\` module runs them for Kamailio
scripts. Written by \`evrexec init\`; this project runs the host from the evrexec
checkout in:

\`\`\`
${facts.checkout}
\`\`\`

| file              | what it is                                                |
| ----------------- | --------------------------------------------------------- |
| \`app.ts\`          | the script: the \`heartbeat\` task and the \`hello\` function |
| \`app_test.ts\`     | its unit tests, on \`@evrexec/deno/kemi/testing\`           |
| \`evrexec.jsonc\`   | the host's configuration: script, tasks, options          |
| \`deno.json\`       | the tasks below, and where \`@evrexec/deno\` comes from     |
| \`evrexec.service\` | a systemd unit that runs the host as a service            |

## Run it

\`\`\`sh
deno task test     # the unit tests of app.ts
deno task start    # the host: the heartbeat task, and hello over RPC
\`\`\`

In another terminal, call \`hello\` (with the commands \`deno task install\` puts on
your PATH, from the checkout):

\`\`\`sh
evrexec-rpc evrexec.run hello operator    # "hello, operator"
evrexec-rpc evrexec.list                  # the tasks and their workers
\`\`\`

Stop the host with Ctrl-C: \`heartbeat\` sees \`KSR.shutdown\` and ends.

## Develop

\`deno task dev\` runs the host with \`--watch --check\`: save \`app.ts\` and the host
type-checks it and reloads it; a mistake is logged and the running version keeps
serving. \`deno task check\` runs \`deno fmt --check\`, \`deno lint\` and
\`deno check\`. Export a function from \`app.ts\` and it can be called over RPC at
once; list it in \`evrexec.jsonc\`'s \`tasks\` to run it in workers of its own.

## Deploy with systemd

\`evrexec.service\` runs the host as a \`Type=notify\` service with a watchdog and
systemd's sandboxing. Read its comments, then:

\`\`\`sh
deno install    # writes deno.lock, which the service runs --frozen
sudo cp evrexec.service /etc/systemd/system/
sudo systemctl daemon-reload && sudo systemctl enable --now evrexec
sudo systemctl reload evrexec    # after editing app.ts or evrexec.jsonc
\`\`\`

## Where \`@evrexec/deno\` comes from

\`deno.json\` imports \`jsr:@evrexec/deno\` and links it to the checkout
(\`"links"\`), so no registry is needed: the tasks run the checkout's host, and
\`app.ts\` gets the typed \`KSR\` API from its \`kemi/\`. If you move the checkout,
change the path in \`"links"\`: nothing else depends on it but links to its docs.
`;
}
