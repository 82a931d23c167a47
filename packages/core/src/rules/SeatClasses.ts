/**
 * Seat classes: which classes a date may declare, which class a seat is
 * in, and what each seat costs.
 *
 * @since 0.5.0
 */
import { Result } from "effect"
import { InvalidRequest } from "../Errors.ts"
import { Limits } from "../model/Limits.ts"
import type { PricedSeat } from "../model/Seat.ts"

/** A class as declared: its name, price and seats `from..to`. @category models */
export interface SeatClassInput {
  readonly name: string
  readonly priceKrw: number
  readonly from: number
  readonly to: number
}

/** What pricing a seat needs of its date: the date's price and its classes. @category models */
export interface PricedDate {
  readonly priceKrw: number
  readonly classes: ReadonlyArray<SeatClassInput>
}

const refuse = (detail: string): Result.Result<never, InvalidRequest> => Result.fail(new InvalidRequest({ detail }))

const isIntBetween = (value: number, minimum: number, maximum: number) =>
  Number.isInteger(value) && value >= minimum && value <= maximum

/**
 * The classes a date of `seatCount` seats may declare: at most
 * `seatClassesPerDateMax`; each named with 1 to `seatClassNameLengthMax`
 * characters, no name twice; each price within 0..`priceKrwMax`; each range
 * `from..to` whole seat numbers with `1 <= from <= to <= seatCount`; no two
 * ranges sharing a seat. The failure's detail names the field, under
 * `field` (`dates[0].classes`), and the first rule it breaks.
 *
 * @example
 * ```ts
 * import { checkSeatClasses } from "@boxoffice/core"
 * checkSeatClasses([{ name: "VIP", priceKrw: 150_000, from: 1, to: 10 }], 50, "dates[0].classes") // Success
 * checkSeatClasses([{ name: "VIP", priceKrw: 150_000, from: 41, to: 60 }], 50, "dates[0].classes")
 * // Failure: InvalidRequest "dates[0].classes[0].to: 60 is past the date's last seat, 50"
 * ```
 * @category rules
 */
export const checkSeatClasses = (
  classes: ReadonlyArray<SeatClassInput>,
  seatCount: number,
  field = "classes"
): Result.Result<void, InvalidRequest> => {
  if (classes.length > Limits.seatClassesPerDateMax) {
    return refuse(`${field}: at most ${Limits.seatClassesPerDateMax} classes per date, not ${classes.length}`)
  }
  for (const [index, seatClass] of classes.entries()) {
    const at = `${field}[${index}]`
    const { name, priceKrw, from, to } = seatClass
    if (name.length < 1 || name.length > Limits.seatClassNameLengthMax) {
      return refuse(`${at}.name: must be 1 to ${Limits.seatClassNameLengthMax} characters, not ${name.length}`)
    }
    const first = classes.findIndex((other) => other.name === name)
    if (first < index) return refuse(`${at}.name: ${JSON.stringify(name)} already names ${field}[${first}]`)
    if (!isIntBetween(priceKrw, 0, Limits.priceKrwMax)) {
      return refuse(`${at}.priceKrw: must be a whole number from 0 to ${Limits.priceKrwMax}, not ${priceKrw}`)
    }
    if (!isIntBetween(from, 1, seatCount)) {
      return refuse(`${at}.from: ${from} is not a seat of the date, 1..${seatCount}`)
    }
    if (!Number.isInteger(to) || to < 1) return refuse(`${at}.to: ${to} is not a seat of the date, 1..${seatCount}`)
    if (to > seatCount) return refuse(`${at}.to: ${to} is past the date's last seat, ${seatCount}`)
    if (from > to) return refuse(`${at}.from: ${from} is after to, ${to}`)
    const overlapped = classes.findIndex((other, o) => o < index && other.from <= to && from <= other.to)
    if (overlapped >= 0) {
      const other = classes[overlapped]!
      return refuse(
        `${at}: seats ${from}..${to} overlap ${field}[${overlapped}] ${JSON.stringify(other.name)} (${other.from}..${other.to})`
      )
    }
  }
  return Result.succeed(undefined)
}

/**
 * The class a seat of `date` is in, or undefined outside every class.
 *
 * @category rules
 */
export const seatClassOf = <C extends SeatClassInput>(
  date: { readonly classes: ReadonlyArray<C> },
  seatNumber: number
): C | undefined => date.classes.find((seatClass) => seatClass.from <= seatNumber && seatNumber <= seatClass.to)

/**
 * What one seat costs: its class's price, or the date's outside every class.
 *
 * @example
 * ```ts
 * import { seatPriceKrw } from "@boxoffice/core"
 * const date = { priceKrw: 50_000, classes: [{ name: "VIP", priceKrw: 150_000, from: 1, to: 10 }] }
 * seatPriceKrw(date, 3) // 150_000
 * seatPriceKrw(date, 11) // 50_000
 * ```
 * @category rules
 */
export const seatPriceKrw = (date: PricedDate, seatNumber: number): number =>
  seatClassOf(date, seatNumber)?.priceKrw ?? date.priceKrw

/**
 * The seats of a hold, in the order asked, each with its price and class as
 * the date sets them now: what a store fixes into the hold it makes (L3).
 *
 * @category rules
 */
export const priceSeats = (date: PricedDate, seatNumbers: ReadonlyArray<number>): ReadonlyArray<PricedSeat> =>
  seatNumbers.map((seatNumber) => {
    const seatClass = seatClassOf(date, seatNumber)
    return {
      seatNumber,
      priceKrw: seatClass?.priceKrw ?? date.priceKrw,
      className: seatClass?.name ?? null
    }
  })
