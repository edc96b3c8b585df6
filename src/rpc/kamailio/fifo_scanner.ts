/**
 * Cutting the byte stream of a JSON-RPC FIFO into documents, as Kamailio's
 * jsonrpcs FIFO server does: a request is everything from a `{` to the `}`
 * that balances it, outside strings; there is no other framing (kamctl
 * writes one line, its monitor several, and nothing separates two requests
 * written back to back). Pure: the transport pushes the bytes it reads.
 *
 * Where Kamailio 5.6 gets lost, this scanner keeps its place: it tracks JSON
 * strings with their escapes (Kamailio looks one byte back only, and takes
 * `'` for a quote too), and a request over the size limit is skipped to its
 * balancing brace instead of being cut, so the next request is read whole
 * (after an oversized request Kamailio reads the rest as new requests and
 * stops answering; see tests/fixtures/kamailio/fifo_raw.json). Bytes
 * outside any document other than white space are dropped and reported.
 *
 * @module
 */

/** Kamailio's FIFO input buffer: it refuses a request of 8191 bytes or more. */
export const KAMAILIO_FIFO_REQUEST_BYTES = 8192;

/** What the scanner found. */
export type FifoScanEvent =
  /** One whole document, from its `{` (or `[`) to its balancing `}` (or `]`). */
  | { readonly kind: "document"; readonly bytes: Uint8Array }
  /** A document over the limit, skipped whole; `bytes` is its size. */
  | { readonly kind: "oversized"; readonly bytes: number }
  /** Bytes outside any document that are not white space, dropped; `sample` is their start. */
  | { readonly kind: "junk"; readonly bytes: number; readonly sample: string }
  /** The stream ended inside a document of `bytes` bytes, which is dropped. */
  | { readonly kind: "truncated"; readonly bytes: number };

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SAMPLE_BYTES = 32;

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** Finds the documents in a FIFO's byte stream; keeps at most `maxDocumentBytes` of one. */
export class FifoScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Bytes of the current document (or of the junk run, or of a skipped document). */
  #size = 0;
  #skipping = false;
  #doc: Uint8Array;
  #junk = 0;
  #sample: number[] = [];

  /**
   * A scanner for documents of at most `maxDocumentBytes` bytes (default
   * 65536; Kamailio's limit is {@link KAMAILIO_FIFO_REQUEST_BYTES}).
   */
  constructor(readonly maxDocumentBytes = 65_536) {
    this.maxDocumentBytes = Math.max(2, Math.floor(maxDocumentBytes));
    this.#doc = new Uint8Array(Math.min(1024, this.maxDocumentBytes));
  }

  /** Scans the next bytes read from the FIFO. */
  push(chunk: Uint8Array): FifoScanEvent[] {
    const events: FifoScanEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.#depth === 0) {
        if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          this.#endJunk(events);
          this.#start();
          this.#keep(byte);
        } else if (!isBlank(byte) || this.#junk > 0) {
          if (this.#junk++ < SAMPLE_BYTES) this.#sample.push(byte);
        }
        continue;
      }
      this.#keep(byte);
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
      } else if (byte === QUOTE) {
        this.#inString = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.#depth++;
      } else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --this.#depth === 0) {
        events.push(
          this.#skipping
            ? { kind: "oversized", bytes: this.#size }
            : { kind: "document", bytes: this.#doc.slice(0, this.#size) },
        );
      }
    }
    return events;
  }

  /** The writer closed: reports a document left open (and junk), and starts afresh. */
  end(): FifoScanEvent[] {
    const events: FifoScanEvent[] = [];
    this.#endJunk(events);
    if (this.#depth > 0) events.push({ kind: "truncated", bytes: this.#size });
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    return events;
  }

  #start(): void {
    this.#depth = 1;
    this.#inString = false;
    this.#escaped = false;
    this.#size = 0;
    this.#skipping = false;
  }

  #keep(byte: number): void {
    this.#size++;
    if (this.#skipping) return;
    if (this.#size > this.maxDocumentBytes) {
      this.#skipping = true;
      return;
    }
    if (this.#size > this.#doc.length) {
      const grown = new Uint8Array(Math.min(this.#doc.length * 2, this.maxDocumentBytes));
      grown.set(this.#doc);
      this.#doc = grown;
    }
    this.#doc[this.#size - 1] = byte;
  }

  #endJunk(events: FifoScanEvent[]): void {
    if (this.#junk === 0) return;
    const sample = new TextDecoder().decode(new Uint8Array(this.#sample));
    events.push({ kind: "junk", bytes: this.#junk, sample });
    this.#junk = 0;
    this.#sample = [];
  }
}
