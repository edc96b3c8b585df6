// Where a client looks for a host when given no socket.
import assert from "node:assert/strict";
import { findSocket, noSocketLine } from "../../src/client/find_socket.ts";
import { clientSocketCandidates, SERVICE_SOCKET } from "../../src/config/defaults.ts";

Deno.test("find socket: the first candidate that is a socket wins; a file or nothing is passed over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-find-" });
  const listener = Deno.listen({ transport: "unix", path: `${dir}/third.sock` });
  try {
    await Deno.writeTextFile(`${dir}/second.sock`, "not a socket\n");
    const tried = [`${dir}/first.sock`, `${dir}/second.sock`, `${dir}/third.sock`];
    assert.deepEqual(findSocket(tried), { path: `${dir}/third.sock`, tried, found: true });
    const none = [`${dir}/first.sock`, `${dir}/second.sock`];
    assert.deepEqual(findSocket(none), { path: `${dir}/first.sock`, tried: none, found: false });
    assert.equal(
      noSocketLine(none),
      `cannot reach a host: no socket at ${dir}/first.sock or ${dir}/second.sock; ` +
        "is a host running? Give its socket with --socket PATH or $EVREXEC_SOCKET",
    );
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("find socket: $EVREXEC_SOCKET alone when set; else XDG, the service's, /tmp", () => {
  const saved = ["EVREXEC_SOCKET", "XDG_RUNTIME_DIR"].map((name) => [name, Deno.env.get(name)]);
  try {
    Deno.env.set("EVREXEC_SOCKET", "/x/given.sock");
    assert.deepEqual(clientSocketCandidates(), ["/x/given.sock"]);
    Deno.env.delete("EVREXEC_SOCKET");
    Deno.env.set("XDG_RUNTIME_DIR", "/run/user/1000");
    assert.deepEqual(clientSocketCandidates(), [
      "/run/user/1000/evrexec.sock",
      SERVICE_SOCKET,
      "/tmp/evrexec.sock",
    ]);
    Deno.env.delete("XDG_RUNTIME_DIR");
    assert.deepEqual(clientSocketCandidates(), [SERVICE_SOCKET, "/tmp/evrexec.sock"]);
    assert.equal(SERVICE_SOCKET, "/run/evrexec/evrexec.sock");
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name!);
      else Deno.env.set(name!, value);
    }
  }
});
