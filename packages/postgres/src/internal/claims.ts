/** The JSON form of a recorded idempotency outcome. */
import { IdempotentOutcome } from "@boxoffice/core"
import { Schema } from "effect"

/** Decodes what `boxoffice_charge` and `boxoffice_pay` recorded. */
export const decodeOutcome = Schema.decodeUnknownSync(Schema.toCodecJson(IdempotentOutcome))
