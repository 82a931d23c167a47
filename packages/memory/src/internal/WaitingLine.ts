/**
 * The memory queue's waiting line is core's order-statistics structure, which every instance's copy of a Redis
 * line shares. Re-exported here so the memory state's type names it where it always has.
 */
export { WaitingLine } from "@boxoffice/core"
