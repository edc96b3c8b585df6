/**
 * A call for the RPC pool, and the queue where calls wait for a worker: first
 * in, first out, with calls whose client has gone, or that are refused by
 * then, answered as they come up.
 *
 * @module
 */

import { PoolError } from "./pool_error.ts";

/** A call waiting for or running on a pool worker. */
export interface Job {
  /** The call's id (an Int32 that wraps). */
  readonly id: number;
  /** The exported function to run. */
  readonly fn: string;
  /** Its argument. */
  readonly data: string;
  /** Answers the call with the function's value, as JSON text. */
  resolve(json: string): void;
  /** Answers the call with an error. */
  reject(error: PoolError): void;
  /** When the call was handed to a worker (performance.now()). */
  startedAt?: number;
  /** Aborted when the client that asked has gone: a queued call is then dropped. */
  readonly signal?: AbortSignal;
  /** The call's span, with OpenTelemetry on. */
  readonly trace?: JobTrace;
}

/** What a traced call carries: its span's `traceparent`, and who is told which worker runs it. */
export interface JobTrace {
  /** The `traceparent` of the host's span of the call, handed to the worker. */
  readonly traceparent: string;
  /** Told the index of the pool worker the call is given to. */
  given(index: number): void;
}

/**
 * Calls waiting for a worker, oldest first. A call taken out leaves no
 * reference behind: its slot is cleared, so the queue never keeps a call's
 * promise, closures or error alive after it has been answered.
 */
export class JobQueue {
  #jobs: (Job | undefined)[] = [];
  #head = 0;

  /** How many calls wait. */
  get length(): number {
    return this.#jobs.length - this.#head;
  }

  /** Adds calls at the end. */
  push(...jobs: Job[]): void {
    this.#jobs.push(...jobs);
  }

  /**
   * The oldest call whose client is still there and that `refusal` lets
   * run; calls whose client has gone are answered "busy", and refused ones
   * with their refusal, and dropped on the way.
   */
  next(refusal: (job: Job) => PoolError | null = () => null): Job | undefined {
    while (this.length > 0) {
      const job = this.#jobs[this.#head]!;
      this.#jobs[this.#head++] = undefined;
      if (this.#head === this.#jobs.length) {
        this.#jobs = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#jobs.length) {
        this.#jobs = this.#jobs.slice(this.#head);
        this.#head = 0;
      }
      if (job.signal?.aborted) {
        job.reject(new PoolError("busy", `${job.fn}: the client has gone; not run`));
        continue;
      }
      const refused = refusal(job);
      if (refused === null) return job;
      job.reject(refused);
    }
    return undefined;
  }

  /** Takes every waiting call out of the queue, oldest first. */
  takeAll(): Job[] {
    const jobs = this.#jobs.slice(this.#head) as Job[];
    this.#jobs = [];
    this.#head = 0;
    return jobs;
  }
}
