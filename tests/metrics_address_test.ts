// --metrics and loopback (issue 21, item 13): `127.1:PORT` is loopback, as the
// resolver reads it (127.0.0.1), and serves without --metrics-public; a short
// form of a public address is still refused.
import assert from "node:assert/strict";
import { fixture, runHost, startHost } from "./helpers/host.ts";
import { health } from "./helpers/metrics.ts";

const SCRIPT = fixture("operate.ts");

Deno.test("metrics address: 127.1:PORT and 0x7f.1:PORT are loopback and serve on 127.0.0.1; 0x80.1 is not", async () => {
  for (const host of ["127.1", "0x7f.1"]) {
    const running = await startHost(SCRIPT, { args: ["--metrics", `${host}:0`] });
    try {
      const [, port] = await running.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
      assert.equal((await health(port))[0], 200, host);
    } finally {
      await running.cleanup();
    }
  }
  const exit = await runHost(["--metrics", "0x80.1:9464", SCRIPT]);
  assert.equal(exit.code, 2, exit.stderr);
  assert.equal(
    exit.stderr.trim(),
    "evrexec-deno: --metrics 0x80.1:9464: not a loopback address; give --metrics-public to serve metrics there",
  );
});
