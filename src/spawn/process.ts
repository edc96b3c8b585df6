/**
 * A worker in a child `deno run` process (`isolation=process`): exactly its
 * sandbox's permissions as flags, its heap cap as a V8 flag, only the
 * environment `allow-env` names. The host talks to the child's relay
 * (`worker/process_main.ts`) over the child's IPC channel, which only the
 * relay's isolate holds; the script runs in a Web Worker inside the child
 * and reaches the relay only through a private MessagePort, as a thread
 * worker reaches the host. The child leads a process group of its own
 * (`process_group.ts`); stopping it is SIGKILL to that group, which always
 * works and ends what its script started too: a process worker is never
 * stuck. Its stderr comes through the host
 * (`child_stderr.ts`), which tells an out-of-memory end from other ones.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { ChildToHost } from "../shared/child_messages.ts";
import type { HostToWorker, InitMessage } from "../shared/messages.ts";
import type { ChildLaunch } from "./child_launch.ts";
import { ChildStderr } from "./child_stderr.ts";
import { type WorkerEvents, WorkerHandle, type WorkerOptions } from "./handle.ts";
import { outOfMemory } from "./node_thread.ts";
import { killGroup } from "./process_group.ts";
import type { WorkerRegistry } from "./registry.ts";
import type { WorkerSlot } from "./worker_states.ts";

/** One child process running one worker. */
export class ProcessWorkerHandle extends WorkerHandle {
  #child: ChildProcess;
  #stderr: ChildStderr | null;
  #slot: WorkerSlot | undefined;
  #groupEnded = false;

  /** Spawns the child as `launch` says and sends it `init` (without a shared channel). */
  constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    options: WorkerOptions,
    launch: ChildLaunch,
  ) {
    super(init, events, registry, options.sandbox);
    this.#slot = options.slot;
    this.#child = spawn(Deno.execPath(), [...launch.args], {
      env: { ...launch.env },
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      detached: true, // a session and process group of its own: ended as a group
    });
    const spawned = this.#child.pid !== undefined && this.#child.stderr !== null;
    this.#child.on("error", (error: Error) => {
      // A failed spawn (out of descriptors: EMFILE) is reported only here, on
      // the next tick: the worker crashes with the reason, and its owner's
      // policy goes on.
      const what = spawned ? "its process failed" : "its process could not be started";
      this.kill({ name: "Error", message: `${what}: ${error.message}` });
    });
    this.#stderr = spawned ? new ChildStderr(this.#child.stderr!) : null;
    this.#child.on("message", (message: ChildToHost) => {
      if (message.type === "worker-error") this.kill(message.error);
      else this.heard(message);
    });
    this.#child.on(
      "exit",
      (code: number | null, signal: string | null) => this.#exited(code, signal),
    );
    const { shared: _, ...plain } = init;
    this.send(plain);
    if (this.#slot !== undefined && this.#child.pid !== undefined) this.#slot.pid = this.#child.pid;
    this.listed();
  }

  /** The child's PID. */
  override get pid(): number | undefined {
    return this.#child.pid;
  }

  /** A child's heap is not in the host's RSS. */
  override get inProcess(): boolean {
    return false;
  }

  /** A process always ends when killed. */
  get ended(): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** Sends over the IPC channel; a closed channel (the child is gone) drops it. */
  protected send(message: HostToWorker): void {
    if (!this.#child.connected) return;
    try {
      this.#child.send(message);
    } catch {
      // the child is gone; its exit is reported
    }
  }

  /** SIGKILL to the child's whole process group: what its script started ends with it. */
  protected end(): void {
    this.#clearPid();
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // gone already
    }
    this.#endGroup();
  }

  /** Ends what is left of the child's process group, once. */
  #endGroup(): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#groupEnded) return;
    this.#groupEnded = true;
    killGroup(pid);
  }

  async #exited(code: number | null, signal: string | null): Promise<void> {
    this.#clearPid();
    this.#endGroup(); // the child ended alone: what it started ends too
    if (!this.alive) return;
    await this.#stderr?.done;
    if (this.#stderr?.outOfMemory && this.sandbox.heapMiB > 0) {
      return this.kill(outOfMemory(this.sandbox.heapMiB));
    }
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    this.kill({ name: "Error", message: `its process ${this.pid} ${how}` });
  }

  #clearPid(): void {
    if (this.#slot !== undefined && this.#slot.pid === this.#child.pid) this.#slot.pid = undefined;
  }
}
