/**
 * A concert, its dates and the policy its sale runs under.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { ConcertId, DateId } from "./Ids.ts"
import { Limits } from "./Limits.ts"
import { PriceKrw } from "./Money.ts"
import { SeatNumber } from "./SeatNumber.ts"

const intBetween = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/**
 * How one concert's waiting queue admits users (the spec (docs/spec.md) defaults: 100 active,
 * 600 s each, no rate cap).
 *
 * @category models
 */
export class QueuePolicy extends Schema.Class<QueuePolicy>("@boxoffice/core/QueuePolicy")({
  maxActive: intBetween(1, Limits.maxActiveMax),
  activeSeconds: intBetween(Limits.activeSecondsMin, Limits.activeSecondsMax),
  /** `null` means no rate cap. */
  admitPerMinute: Schema.NullOr(intBetween(1, Limits.admitPerMinuteMax)),
  /**
   * When the sale opens; absent, it is open at once. Joins before it wait
   * in the pre-queue, drawn at random into the line at this time.
   */
  opensAt: Schema.optionalKey(Schema.DateTimeUtc)
}) {
  static readonly default = new QueuePolicy({ maxActive: 100, activeSeconds: 600, admitPerMinute: null })
}

/** The rules a concert's sale runs under. @category models */
export class SalePolicy extends Schema.Class<SalePolicy>("@boxoffice/core/SalePolicy")({
  queue: QueuePolicy,
  holdSeconds: intBetween(Limits.holdSecondsMin, Limits.holdSecondsMax),
  maxSeatsPerUser: intBetween(1, Limits.seatsPerUserMax),
  /**
   * When true, a hold reserves its amount from the user's wallet and is
   * refused (`InsufficientBalance`) when the balance less the user's live
   * reservations is short (L2). False by default, and for a policy stored
   * before the setting existed.
   */
  holdNeedsFunds: Schema.Boolean.pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(false)),
    Schema.withConstructorDefault(Effect.succeed(false))
  ),
  /**
   * A buyer may cancel a payment until this many hours before its date
   * starts (0: until the start). 24 by default, and for a policy stored
   * before refunds existed.
   */
  refundUntilHours: intBetween(0, Limits.refundUntilHoursMax).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(Limits.refundUntilHoursDefault)),
    Schema.withConstructorDefault(Effect.succeed(Limits.refundUntilHoursDefault))
  ),
  /** The share of a buyer's refund the organiser keeps, in percent (`refundFeeKrw`); 0 by default. */
  refundFeePercent: intBetween(0, 100).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(0)),
    Schema.withConstructorDefault(Effect.succeed(0))
  )
}) {
  static readonly default = new SalePolicy({
    queue: QueuePolicy.default,
    holdSeconds: 300,
    maxSeatsPerUser: 4,
    holdNeedsFunds: false,
    refundUntilHours: Limits.refundUntilHoursDefault,
    refundFeePercent: 0
  })
}

/** The name of a seat class: 1 to 40 characters, unique within its date. @category models */
export const SeatClassName = Schema.String.check(Schema.isBetweenLength(1, Limits.seatClassNameLengthMax))

/**
 * A class of seats of one date: the seats `from..to` (inclusive) cost
 * `priceKrw`. A date's classes lie within its seats and do not overlap
 * (`checkSeatClasses`).
 *
 * @category models
 */
export class SeatClass extends Schema.Class<SeatClass>("@boxoffice/core/SeatClass")({
  name: SeatClassName,
  priceKrw: PriceKrw,
  from: SeatNumber,
  to: SeatNumber
}) {}

/**
 * One performance. A seat inside one of its `classes` costs that class's
 * price; every other seat costs `priceKrw`. No classes (the default, and
 * every date stored before classes existed): every seat costs `priceKrw`.
 *
 * @category models
 */
export class ConcertDate extends Schema.Class<ConcertDate>("@boxoffice/core/ConcertDate")({
  dateId: DateId,
  concertId: ConcertId,
  startsAt: Schema.DateTimeUtc,
  priceKrw: PriceKrw,
  seatCount: intBetween(1, Limits.seatCountMax),
  classes: Schema.Array(SeatClass).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed([])),
    Schema.withConstructorDefault(Effect.succeed([]))
  )
}) {}

/** A concert with its dates and policy. @category models */
export class Concert extends Schema.Class<Concert>("@boxoffice/core/Concert")({
  concertId: ConcertId,
  title: Schema.String.check(Schema.isBetweenLength(1, Limits.titleLengthMax)),
  policy: SalePolicy,
  dates: Schema.Array(ConcertDate).check(Schema.isBetweenLength(1, Limits.datesPerConcertMax))
}) {}

/**
 * What an admin sends to create a concert. Omitted settings take the
 * defaults of {@link SalePolicy.default}.
 *
 * @category models
 */
export const NewConcert = Schema.Struct({
  title: Schema.String.check(Schema.isBetweenLength(1, Limits.titleLengthMax)),
  dates: Schema.Array(
    Schema.Struct({
      startsAt: Schema.DateTimeUtc,
      priceKrw: PriceKrw,
      seatCount: Schema.optionalKey(intBetween(1, Limits.seatCountMax)),
      /**
       * Seat classes with their own prices; seats outside every class cost
       * `priceKrw`. `createConcert` refuses (`InvalidRequest`, naming the
       * field) ranges outside the date's seats, overlaps and repeated names.
       */
      classes: Schema.optionalKey(
        Schema.Array(
          Schema.Struct({ name: SeatClassName, priceKrw: PriceKrw, from: SeatNumber, to: SeatNumber })
        ).check(Schema.isMaxLength(Limits.seatClassesPerDateMax))
      )
    })
  ).check(Schema.isBetweenLength(1, Limits.datesPerConcertMax)),
  queue: Schema.optionalKey(
    Schema.Struct({
      maxActive: Schema.optionalKey(intBetween(1, Limits.maxActiveMax)),
      activeSeconds: Schema.optionalKey(intBetween(Limits.activeSecondsMin, Limits.activeSecondsMax)),
      admitPerMinute: Schema.optionalKey(Schema.NullOr(intBetween(1, Limits.admitPerMinuteMax)))
    })
  ),
  holdSeconds: Schema.optionalKey(intBetween(Limits.holdSecondsMin, Limits.holdSecondsMax)),
  maxSeatsPerUser: Schema.optionalKey(intBetween(1, Limits.seatsPerUserMax)),
  /** When the sale opens (a past time means now); absent, it is open at once. */
  opensAt: Schema.optionalKey(Schema.DateTimeUtc),
  /** Holds reserve their amount from the wallet; absent, false. */
  holdNeedsFunds: Schema.optionalKey(Schema.Boolean),
  /** Hours before a date's start until which a buyer may cancel; absent, 24. */
  refundUntilHours: Schema.optionalKey(intBetween(0, Limits.refundUntilHoursMax)),
  /** The organiser's share of a buyer's refund, in percent; absent, 0. */
  refundFeePercent: Schema.optionalKey(intBetween(0, 100))
})
/** @category models */
export type NewConcert = typeof NewConcert.Type
