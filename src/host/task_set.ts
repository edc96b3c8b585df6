/**
 * The host's exec tasks, one supervisor each, keyed by name (a task's name is
 * its identity), and how a reload changes them: tasks added start, tasks
 * removed stop by the stop rule and leave the worker states, tasks whose keys
 * changed are stopped and started anew, and the others keep their workers.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import type { ExecTask } from "../config/exec_spec.ts";
import { TaskSupervisor } from "../tasks/supervisor.ts";
import { log } from "../base/log.ts";
import type { SpawnContext } from "../spawn/spawn_context.ts";
import { quoteValue } from "../shared/quote.ts";

/** What a new list of tasks changes, by task name. */
export interface TaskChanges {
  /** Tasks new in the list. */
  readonly added: readonly string[];
  /** Tasks no longer in the list. */
  readonly removed: readonly string[];
  /** Tasks whose keys changed. */
  readonly changed: readonly string[];
  /** Tasks as they were. */
  readonly unchanged: readonly string[];
}

/** A task's keys, without the spec's wording: two specs that say the same are the same task. */
function keysOf(task: ExecTask): string {
  const { spec: _spec, sockaddr, schedule, ...rest } = task;
  return JSON.stringify({
    ...rest,
    sockaddr: sockaddr && `${sockaddr.host}:${sockaddr.port}`,
    schedule: schedule?.text ?? null,
  });
}

/** Compares the running tasks with `next`. */
export function diffTasks(running: readonly ExecTask[], next: readonly ExecTask[]): TaskChanges {
  const before = new Map(running.map((task) => [task.name, task]));
  const after = new Set(next.map((task) => task.name));
  const added: string[] = [], changed: string[] = [], unchanged: string[] = [];
  for (const task of next) {
    const old = before.get(task.name);
    if (old === undefined) added.push(task.name);
    else if (keysOf(old) !== keysOf(task)) changed.push(task.name);
    else unchanged.push(task.name);
  }
  const removed = running.filter((task) => !after.has(task.name)).map((task) => task.name);
  return { added, removed, changed, unchanged };
}

/** The supervisors of a host's exec tasks. */
export class TaskSet {
  #context: SpawnContext;
  #list: TaskSupervisor[];
  #retiring = new Set<TaskSupervisor>();

  /** One supervisor per task of `tasks` (not started). */
  constructor(tasks: readonly ExecTask[], context: SpawnContext) {
    this.#context = context;
    this.#list = tasks.map((task) => new TaskSupervisor(task, context));
  }

  /** The supervisors, in the order of the tasks. */
  get list(): readonly TaskSupervisor[] {
    return this.#list;
  }

  /** The supervisor of task `name`, or undefined. */
  find(name: string): TaskSupervisor | undefined {
    return this.#list.find((supervisor) => supervisor.task.name === name);
  }

  /**
   * Moves to the tasks of `next` (see {@link diffTasks}): removed and changed
   * tasks are stopped first (each function gets up to `graceMs`, by the stop
   * rule) and their slots leave the worker states; then changed and added
   * tasks start with their new keys, unless `stopping()` says the host
   * began to stop meanwhile. Unchanged tasks are left alone.
   */
  async apply(
    next: readonly ExecTask[],
    graceMs: number,
    stopping: () => boolean,
  ): Promise<TaskChanges> {
    const changes = diffTasks(this.#list.map((s) => s.task), next);
    const leaving = new Set([...changes.removed, ...changes.changed]);
    const retiring = this.#list.filter((s) => leaving.has(s.task.name));
    this.#list = this.#list.filter((s) => !leaving.has(s.task.name));
    for (const supervisor of retiring) this.#retiring.add(supervisor);
    await Promise.all(retiring.map((supervisor) => this.#retire(supervisor, graceMs)));
    if (stopping()) return changes;
    const kept = new Map(this.#list.map((s) => [s.task.name, s]));
    const started: TaskSupervisor[] = [];
    this.#list = next.map((task) => {
      const supervisor = kept.get(task.name);
      if (supervisor) return supervisor;
      const fresh = new TaskSupervisor(task, this.#context);
      started.push(fresh);
      return fresh;
    });
    for (const supervisor of started) {
      // A singleton task's workers start when its lease is held (the fleet's keeper).
      if (supervisor.task.fleet === undefined) supervisor.start();
      supervisor.bound().catch((error) =>
        log().error("exec task {task}: {error}; the task stays failed", {
          task: quoteValue(supervisor.task.name),
          error: messageOf(error),
        })
      );
    }
    return changes;
  }

  async #retire(supervisor: TaskSupervisor, graceMs: number): Promise<void> {
    supervisor.schedule?.halt();
    await supervisor.stop(graceMs);
    for (const slot of supervisor.slots) this.#context.states.remove(slot);
    this.#retiring.delete(supervisor);
  }

  /** Halts every timer task's ticks (a graceful stop begins). */
  haltSchedules(): void {
    for (const supervisor of this.#list) supervisor.schedule?.halt();
  }

  /** Terminates every worker at once, those of tasks being removed too. */
  terminate(): void {
    for (const supervisor of [...this.#list, ...this.#retiring]) supervisor.terminate();
  }
}
