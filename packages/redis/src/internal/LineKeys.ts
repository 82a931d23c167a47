/**
 * The names of a line's keys, and how they name tokens and users. Every waiter is a member of the line's sorted
 * and hashed sets, and Redis keeps each member's bytes, so the names are short: a token's key is its UUID's 16
 * bytes in base64url (22 characters, not 36), and a user's key is 96 bits of the SHA-256 of the user id (16
 * characters, whatever the id's length). A set's member is the token's key followed by its user's key, so a script
 * that pops a waiter finds the entry, which the `entries` hash keeps by user key, without a lookup of its own; the
 * `seen` set, which only needs the user, holds the user's key alone.
 *
 * 96 bits: two user ids of one line share a key with probability about n² / 2^97, 10^-17 for 10^6 users, and
 * finding a pair on purpose takes about 2^48 hashes for a collision between two ids the finder both controls,
 * which only merges the finder's own two entries.
 */
import { createHash } from "node:crypto"
import type { ConcertId } from "@boxoffice/core"
import { queueKeyNames } from "./scripts.ts"

/**
 * The key of one queue named `name`: one hash tag, so one cluster slot. `v2:` is the layout of the keys (entries
 * by user, members of token and user keys): the keys of an earlier layout are not read as this one.
 */
export const queueKeyOf = (keyPrefix: string, concertId: ConcertId, name: (typeof queueKeyNames)[number]): string =>
  `${keyPrefix}{q:${concertId}}:v2:${name}`

/**
 * The keys of one queue, in the order of `queueKeyNames`; not the steps' bitmaps (`seen:<step>`, listed in
 * `steps`), which expire with the rest.
 */
export const queueKeys = (keyPrefix: string, concertId: ConcertId): Array<string> =>
  queueKeyNames.map((name) => queueKeyOf(keyPrefix, concertId, name))

/** The characters of a user's key, which end every member. */
export const userKeyLength = 16

/** A token id that is not a lowercase UUID (never one the engine makes: the tests' names) is kept as `~` + text. */
const textMark = "~"

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The key a line's sets and log name a token by.
 *
 * @example
 * ```ts
 * tokenKeyOf("0189f7a2-4c1e-7b3d-9a5f-2e8c6d4b1a07") // "AYn3okweez2aXy6MbUsaBw"
 * tokenKeyOf("token-1") // "~token-1"
 * ```
 */
export const tokenKeyOf = (tokenId: string): string =>
  uuidPattern.test(tokenId) ? Buffer.from(tokenId.replaceAll("-", ""), "hex").toString("base64url") : textMark + tokenId

/** The token id a key names: the inverse of `tokenKeyOf`. */
export const tokenIdOfKey = (key: string): string => {
  if (key.startsWith(textMark)) return key.slice(1)
  const hex = Buffer.from(key, "base64url").toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * The key of a user: 96 bits of the SHA-256 of the id, in base64url.
 *
 * @example
 * ```ts
 * userKeyOf("user-1") // "xsKJ5J6cBbIUWGA4"
 * ```
 */
export const userKeyOf = (userId: string): string =>
  createHash("sha256").update(userId).digest().subarray(0, 12).toString("base64url")

/** The token id of a set's member. */
export const tokenIdOfMember = (member: string): string => tokenIdOfKey(member.slice(0, -userKeyLength))

/** A waiter's member in a line's sets: the token's key, then the user's. */
export const memberOf = (holder: { readonly tokenId: string; readonly userId: string }): string =>
  tokenKeyOf(holder.tokenId) + userKeyOf(holder.userId)
