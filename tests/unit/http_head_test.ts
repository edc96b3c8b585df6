// The metrics listener's request head: its request line and the name in its
// Host header, read with bounds.
import assert from "node:assert/strict";
import { headEnd, hostName, parseHead } from "../../src/observe/http_head.ts";

const head = (text: string) => new TextEncoder().encode(text);

Deno.test("http head: the request line, the path without its query, the Host header's name", () => {
  const bytes = head(
    "GET /metrics?x=1 HTTP/1.1\r\nAccept: */*\r\nHOST:  Example.org:9090 \r\n\r\n",
  );
  assert.equal(headEnd(bytes), bytes.length);
  assert.deepEqual(parseHead(bytes), {
    ok: true,
    method: "GET",
    path: "/metrics",
    host: "Example.org",
  });
  assert.deepEqual(parseHead(head("GET / HTTP/1.0\r\n\r\n")), {
    ok: true,
    method: "GET",
    path: "/",
  });
  assert.equal(parseHead(head("BREW / HTCPCP/1.0\r\n\r\n")).ok, false);
  assert.equal(headEnd(head("GET / HTTP/1.1\r\n")), -1);
});

Deno.test("http head: Host names with ports and brackets; a long one is cut", () => {
  assert.equal(hostName("[::1]:9090"), "::1");
  assert.equal(hostName("[::1]"), "::1");
  assert.equal(hostName("localhost:80"), "localhost");
  assert.equal(hostName("127.0.0.1"), "127.0.0.1");
  const long = parseHead(head(`GET / HTTP/1.1\r\nHost: localhost${"b".repeat(5000)}\r\n\r\n`));
  assert.ok(long.ok && long.host?.length === 255, "a long name is cut, never dropped");
});
