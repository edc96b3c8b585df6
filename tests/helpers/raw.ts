/**
 * A raw socket client for tests that send what a well-behaved client never
 * would: partial lines, bad JSON, huge lines, half-closes. It keeps every
 * byte it receives and counts lines as they come, so that megabyte answers
 * and many thousands of lines stay cheap.
 *
 * @module
 */

const encoder = new TextEncoder();
const NEWLINE = 10;

/** A raw connection that reads answers line by line. */
export class RawClient {
  readonly conn: Deno.UnixConn;
  #chunks: Uint8Array[] = [];
  #newlines = 0;
  #ended = false;
  #reading: Promise<void>;

  private constructor(conn: Deno.UnixConn) {
    this.conn = conn;
    this.#reading = (async () => {
      const buffer = new Uint8Array(65536);
      try {
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          const bytes = buffer.slice(0, n);
          this.#chunks.push(bytes);
          for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) {
            this.#newlines++;
          }
        }
      } catch {
        // reset by the host, or closed by the test
      }
      this.#ended = true;
    })();
  }

  /** Connects to `path`. */
  static async connect(path: string): Promise<RawClient> {
    return new RawClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Writes `text` (or bytes) as it is. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let done = 0; done < bytes.length;) done += await this.conn.write(bytes.subarray(done));
  }

  /** Half-closes: the host sees the end of input but can still answer. */
  async closeWrite(): Promise<void> {
    await this.conn.closeWrite();
  }

  /** True once the host has closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Complete lines received so far. */
  get lineCount(): number {
    return this.#newlines;
  }

  /** Everything received so far, decoded. */
  get text(): string {
    const all = new Uint8Array(this.#chunks.reduce((n, chunk) => n + chunk.length, 0));
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    this.#chunks = [all];
    return new TextDecoder().decode(all);
  }

  /** Every line received, parsed; throws if the last one is cut short. */
  answers(): unknown[] {
    const text = this.text;
    if (text === "") return [];
    if (!text.endsWith("\n")) throw new Error(`an answer is cut short: ${text.slice(-200)}`);
    return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
  }

  /** Waits for `n` complete lines and returns them parsed. */
  async lines(n: number, timeoutMs = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.#newlines < n) {
      if (this.#ended || Date.now() > deadline) {
        throw new Error(`expected ${n} lines, got ${this.#newlines}: ${this.text.slice(0, 500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.text.split("\n").slice(0, n).map((line) => JSON.parse(line));
  }

  /** Waits until the host closes the connection; false if it did not in time. */
  async waitEnd(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.#ended;
  }

  /** Closes the connection and waits for the reader. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // closed already
    }
    await this.#reading;
  }
}

/** One request line. */
export function request(id: unknown, method: string, params?: unknown): string {
  const body: Record<string, unknown> = { jsonrpc: "2.0", method, id };
  if (params !== undefined) body.params = params;
  return JSON.stringify(body) + "\n";
}
