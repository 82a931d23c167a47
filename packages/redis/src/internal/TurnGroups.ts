/**
 * Requests made in one turn of the event loop, grouped by key and sent as
 * one call per group: a full group at once, the rest at the turn's end or
 * before the next other call (`sendOpen`). Every poll of a sale asks the
 * same queue, and each call costs a fixed amount on both sides (the
 * client's command and reply, Redis's script start and admission step)
 * beside its own work; a group pays it once. A group is sent when it is
 * full, so that Redis starts on it while the server reads the turn's other
 * requests (decision 62's reason for batches of 8).
 *
 * Answers are handed to callbacks in the reply's own promise callback, no
 * later: a request answered through more promise steps than a call of its
 * own would resume after calls that Redis answered after it.
 */

export interface TurnGroupsOptions<Item, Reply, Answer> {
  /** The most items one call carries. */
  readonly itemsPerGroup: number
  /** Sends one group of items, which share a key, in order. */
  readonly send: (items: ReadonlyArray<Item>) => Promise<Reply>
  /** The answer to each item of a group, in order; throws when the reply cannot be one. */
  readonly answersOf: (reply: Reply, count: number, items: ReadonlyArray<Item>) => ReadonlyArray<Answer>
}

export interface TurnGroups<Item, Answer> {
  /** Joins `item` to its key's group of this turn; exactly one of `onAnswer` and `onError` is called once. */
  readonly add: (key: string, item: Item, onAnswer: (answer: Answer) => void, onError: (error: unknown) => void) => void
  /** Sends every open group now: a caller that sends something else next keeps the order the requests were made in. */
  readonly sendOpen: () => void
}

interface Group<Item, Answer> {
  readonly items: Array<Item>
  readonly onAnswers: Array<(answer: Answer) => void>
  readonly onErrors: Array<(error: unknown) => void>
}

/**
 * @example
 * ```ts
 * const statuses = makeTurnGroups({ itemsPerGroup: 8, send: askRedis, answersOf: (reply: string) => reply.split(";") })
 * statuses.add("q1", "t1", console.log, console.error)
 * statuses.add("q1", "t2", console.log, console.error) // one call for both, at the turn's end
 * ```
 */
export const makeTurnGroups = <Item, Reply, Answer>(
  options: TurnGroupsOptions<Item, Reply, Answer>
): TurnGroups<Item, Answer> => {
  const open = new Map<string, Group<Item, Answer>>()
  let turnEndScheduled = false
  const fail = (group: Group<Item, Answer>, error: unknown) => {
    for (const onError of group.onErrors) onError(error)
  }
  const flush = (key: string, group: Group<Item, Answer>) => {
    open.delete(key)
    let sent: Promise<Reply>
    try {
      sent = options.send(group.items)
    } catch (error) {
      return fail(group, error)
    }
    sent.then(
      (reply) => {
        let answers: ReadonlyArray<Answer>
        try {
          answers = options.answersOf(reply, group.items.length, group.items)
        } catch (error) {
          return fail(group, error)
        }
        for (let i = 0; i < group.onAnswers.length; i++) group.onAnswers[i]!(answers[i]!)
      },
      (error) => fail(group, error)
    )
  }
  const sendOpen = () => {
    for (const [key, group] of open) flush(key, group)
  }
  const add = (key: string, item: Item, onAnswer: (answer: Answer) => void, onError: (error: unknown) => void) => {
    let group = open.get(key)
    if (group === undefined) {
      group = { items: [], onAnswers: [], onErrors: [] }
      open.set(key, group)
      if (!turnEndScheduled) {
        turnEndScheduled = true
        setImmediate(() => {
          turnEndScheduled = false
          sendOpen()
        })
      }
    }
    group.items.push(item)
    group.onAnswers.push(onAnswer)
    group.onErrors.push(onError)
    if (group.items.length >= options.itemsPerGroup) flush(key, group)
  }
  return { add, sendOpen }
}
