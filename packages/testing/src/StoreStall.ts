/**
 * Time passing inside a store call: a test holds a lock that a write must
 * wait for, moves the clock while the write waits, then lets it go.
 *
 * @since 0.2.0
 */
import {
  type DateId,
  type HoldId,
  type PaymentRequest,
  Payments,
  SeatInventory,
  type UserId,
  Wallet
} from "@boxoffice/core"
import { Context, Deferred, Effect, Layer } from "effect"
import type { StorePorts } from "./AdapterUnderTest.ts"

/** A lock held by a test, and the write that waits on it. @category models */
export interface HeldLock {
  /** Succeeds once a store call waits on this lock. */
  readonly waitedOn: Effect.Effect<void>
  /** Lets the waiting call go on. */
  readonly release: Effect.Effect<void>
}

/**
 * Locks that the stores' writes wait on. A store with real locks (a
 * database's rows) takes them from another session, so the waiting call has
 * already begun inside the store; an atomic store (memory) stalls the call
 * in front of its one step, which is the same for a store whose step reads
 * the clock when it runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { StoreStall } from "@boxoffice/testing"
 * declare const holdId: import("@boxoffice/core").HoldId
 * const stalled = StoreStall.use((stall) => stall.lockHold(holdId))
 * ```
 * @category services
 */
export class StoreStall extends Context.Service<
  StoreStall,
  {
    /** The lock a payment or release of this hold waits on. */
    readonly lockHold: (holdId: HoldId) => Effect.Effect<HeldLock, unknown>
    /** The lock a charge, payment or reserving hold (`holdNeedsFunds`) by this user waits on. */
    readonly lockWallet: (userId: UserId) => Effect.Effect<HeldLock, unknown>
    /** The lock a hold of this seat waits on. */
    readonly lockSeat: (dateId: DateId, seatNumber: number) => Effect.Effect<HeldLock, unknown>
  }
>()("@boxoffice/testing/StoreStall") {
  /**
   * For atomic stores: wraps `Payments`, `Wallet` and `SeatInventory` so
   * that a call on a locked hold, wallet or seat waits in front of the store
   * (a hold that reserves funds waits on its user's wallet, then its seats).
   */
  static readonly layerInFront: Layer.Layer<StoreStall | StorePorts, never, StorePorts> = Layer.effectContext(
    Effect.gen(function* () {
      interface Lock {
        readonly waitedOn: Deferred.Deferred<void>
        readonly released: Deferred.Deferred<void>
      }
      const holds = new Map<string, Lock>()
      const wallets = new Map<string, Lock>()
      const seats = new Map<string, Lock>()
      const seatKey = (dateId: DateId, seatNumber: number) => `${dateId}/${seatNumber}`
      const take = (locks: Map<string, Lock>, key: string) =>
        Effect.gen(function* () {
          const lock: Lock = { waitedOn: yield* Deferred.make<void>(), released: yield* Deferred.make<void>() }
          locks.set(key, lock)
          return {
            waitedOn: Deferred.await(lock.waitedOn),
            release: Effect.andThen(
              Effect.sync(() => locks.delete(key)),
              Deferred.succeed(lock.released, undefined)
            )
          } satisfies HeldLock
        })
      const waitFor = (locks: Map<string, Lock>, key: string) =>
        Effect.suspend(() => {
          const lock = locks.get(key)
          return lock === undefined
            ? Effect.void
            : Effect.andThen(Deferred.succeed(lock.waitedOn, undefined), Deferred.await(lock.released))
        })
      const stores = yield* Effect.context<StorePorts>()
      const payments = yield* Payments
      const payReportingSeatsLeft = payments.payReportingSeatsLeft
      const wallet = yield* Wallet
      const inventory = yield* SeatInventory
      const stall = StoreStall.of({
        lockHold: (holdId) => take(holds, holdId),
        lockWallet: (userId) => take(wallets, userId),
        lockSeat: (dateId, seatNumber) => take(seats, seatKey(dateId, seatNumber))
      })
      return stores.pipe(
        Context.add(StoreStall, stall),
        Context.add(Payments, {
          ...payments,
          pay: (request) =>
            Effect.andThen(
              Effect.andThen(waitFor(holds, request.holdId), waitFor(wallets, request.userId)),
              payments.pay(request)
            ),
          // A store that reports what a payment left waits the same way.
          ...(payReportingSeatsLeft === undefined
            ? {}
            : {
                payReportingSeatsLeft: (request: PaymentRequest) =>
                  Effect.andThen(
                    Effect.andThen(waitFor(holds, request.holdId), waitFor(wallets, request.userId)),
                    payReportingSeatsLeft(request)
                  )
              })
        }),
        Context.add(Wallet, {
          ...wallet,
          charge: (request) => Effect.andThen(waitFor(wallets, request.userId), wallet.charge(request))
        }),
        Context.add(SeatInventory, {
          ...inventory,
          hold: (request) =>
            Effect.andThen(
              Effect.andThen(
                request.reservesFunds ? waitFor(wallets, request.userId) : Effect.void,
                Effect.forEach(request.seatNumbers, (n) => waitFor(seats, seatKey(request.date.dateId, n)), {
                  discard: true
                })
              ),
              inventory.hold(request)
            ),
          release: (holdId, userId) => Effect.andThen(waitFor(holds, holdId), inventory.release(holdId, userId))
        })
      )
    })
  )

  /** `stores` with {@link StoreStall.layerInFront} over them. */
  static readonly inFrontOf = <E, R>(
    stores: Layer.Layer<StorePorts, E, R>
  ): Layer.Layer<StoreStall | StorePorts, E, R> => StoreStall.layerInFront.pipe(Layer.provide(stores))
}
