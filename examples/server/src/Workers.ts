/**
 * `BOXOFFICE_WORKERS=N`: the primary process forks N server processes that
 * share the port (node:cluster hands each new connection to the next
 * worker). Each worker is a full instance over the shared Postgres and
 * Redis, exactly as separate instances behind a load balancer are, so no
 * state crosses between them. The primary serves nothing itself: it passes
 * SIGTERM on (each worker drains), exits when they have, and replaces a
 * worker that dies after it started serving. A worker that dies before it
 * listens (a bad database URL, say) stops the primary with its exit code.
 */
import cluster, { type Worker } from "node:cluster"
import { Data, Effect } from "effect"

/** A worker ended before it listened. */
export class WorkerStartFailed extends Data.TaggedError("WorkerStartFailed")<{ readonly exitCode: number }> {}

const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)

/** Runs `count` workers until interrupted (SIGTERM, SIGINT), then stops them and waits. */
export const superviseWorkers = (count: number): Effect.Effect<never, WorkerStartFailed> =>
  Effect.callback<never, WorkerStartFailed>((resume) => {
    let stopping = false
    const listening = new Set<number>()
    cluster.on("listening", (worker) => {
      listening.add(worker.id)
      // A worker listens before its engine is ready and answers 503 until then; this line lets a harness
      // wait for every worker before it probes for readiness.
      console.log(JSON.stringify({ level: "INFO", message: `worker ${worker.process.pid} listening` }))
    })
    cluster.on("exit", (worker, code) => {
      if (stopping) return
      if (!listening.has(worker.id)) {
        stopping = true
        for (const other of alive()) other.process.kill("SIGTERM")
        resume(Effect.fail(new WorkerStartFailed({ exitCode: code ?? 1 })))
        return
      }
      listening.delete(worker.id)
      console.error(
        JSON.stringify({ level: "ERROR", message: `worker ${worker.process.pid} exited (${code}); starting another` })
      )
      cluster.fork()
    })
    for (let i = 0; i < count; i++) cluster.fork()
    return Effect.promise(() => {
      stopping = true
      const workers = alive()
      return Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve()
              worker.once("exit", () => resolve())
              worker.process.kill("SIGTERM")
            })
        )
      )
    })
  })

/** True in the primary of a multi-worker server, which supervises and serves nothing. */
export const isPrimary = () => cluster.isPrimary
