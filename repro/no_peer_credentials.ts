// Deno gap: nothing tells who is at the other end of a Unix socket. A
// datagram's sender comes as a path only (no SO_PASSCRED / SCM_CREDENTIALS),
// and a stream connection has no peer credentials (no SO_PEERCRED). So the
// host judges a datagram's reply path, and the client the socket file.
//
//   deno run --allow-read --allow-write --allow-net --unstable-net repro/no_peer_credentials.ts
//
// Prints, on Deno 2.9.6:
//   datagram sender: {"transport":"unixpacket","path":"/tmp/…/client.sock"}
//   stream peer: {"transport":"unix","path":null}, credentials API: none
//   gap present: yes

const dir = Deno.makeTempDirSync();
try {
  const server = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/server.sock` });
  const client = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/client.sock` });
  await client.send(new Uint8Array([1]), { transport: "unixpacket", path: `${dir}/server.sock` });
  const [, from] = await server.receive();
  console.log(`datagram sender: ${JSON.stringify(from)}`);
  server.close();
  client.close();

  const listener = Deno.listen({ transport: "unix", path: `${dir}/stream.sock` });
  const dialing = Deno.connect({ transport: "unix", path: `${dir}/stream.sock` });
  const accepted = await listener.accept();
  const names = ["peerCred", "peerCredentials", "getPeerCredentials", "ucred"];
  const api = names.filter((name) => name in accepted);
  console.log(
    `stream peer: ${JSON.stringify(accepted.remoteAddr)}, credentials API: ${
      api.length === 0 ? "none" : api.join(", ")
    }`,
  );
  accepted.close();
  (await dialing).close();
  listener.close();
  const fields = Object.keys(from).sort().join(",");
  console.log(`gap present: ${fields === "path,transport" && api.length === 0 ? "yes" : "no"}`);
} finally {
  Deno.removeSync(dir, { recursive: true });
}
