/**
 * Puts fast-check's scheduler between every store call of the engine, so
 * the order in which concurrent operations reach the stores is generated,
 * shrunk and replayed from the seed. An operation can also be interrupted
 * at one of these points, as a crash between two steps.
 */
import { Catalog, Events, IdempotencyRecords, Payments, Queue, SeatInventory, Wallet } from "@boxoffice/core"
import { Context, Effect, Layer } from "effect"
import type * as fc from "fast-check"
import type { StorePorts } from "../AdapterUnderTest.ts"

/** The scheduling of one running operation. */
export interface OperationControl {
  readonly label: string
  readonly scheduler: fc.Scheduler
  /** Interrupt at this store call (0-based), or never when null. */
  readonly interruptAtCall: number | null
  calls: number
  interrupted: boolean
}

export const CurrentOperation = Context.Reference<OperationControl | null>("@boxoffice/testing/CurrentOperation", {
  defaultValue: () => null
})

const gate = (port: string): Effect.Effect<void> =>
  Effect.gen(function* () {
    const control = yield* CurrentOperation
    if (control === null) return
    const call = control.calls++
    if (!control.interrupted && call === control.interruptAtCall) {
      control.interrupted = true
      return yield* Effect.interrupt
    }
    yield* Effect.promise(() => control.scheduler.schedule(Promise.resolve(), `${control.label} → ${port}`))
  })

/** The same service with a scheduling point before each of its operations. */
const gated = <S extends object>(port: string, service: S): S =>
  Object.fromEntries(
    Object.entries(service).map(([name, member]) => [
      name,
      typeof member === "function"
        ? (...args: Array<unknown>) => Effect.andThen(gate(`${port}.${name}`), member(...args))
        : Effect.isEffect(member)
          ? Effect.andThen(gate(`${port}.${name}`), member)
          : member
    ])
  ) as S

/** Store ports that pass through the scheduler, built over the real ones. */
export const gatedStores: Layer.Layer<StorePorts, never, StorePorts> = Layer.effectContext(
  Effect.gen(function* () {
    return Context.make(Catalog, gated("Catalog", yield* Catalog)).pipe(
      Context.add(SeatInventory, gated("SeatInventory", yield* SeatInventory)),
      Context.add(Wallet, gated("Wallet", yield* Wallet)),
      Context.add(Payments, gated("Payments", yield* Payments)),
      Context.add(Queue, gated("Queue", yield* Queue)),
      Context.add(IdempotencyRecords, gated("IdempotencyRecords", yield* IdempotencyRecords)),
      Context.add(Events, gated("Events", yield* Events))
    )
  })
)
