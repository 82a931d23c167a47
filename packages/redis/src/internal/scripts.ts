/**
 * The queue's Lua scripts. Every script starts with the admission step, the
 * Lua twin of core's `rules/Admission` (the contract and property suites
 * prove the two agree): drop waiters who stopped polling, end run-out
 * windows, forget long-ended entries, then admit front waiters while both
 * caps allow. All keys of a queue share one hash tag, so one cluster slot;
 * each script is passed the first in KEYS and names the others from it, so
 * the scripts run on Redis Cluster.
 *
 * Every script that changes the line appends what changed to the line's log (`P{q:C}:log`, a stream), in the
 * same script, so atomically: one entry per call that changed anything, `c` = `n,t;change;change...` with `n`
 * the line's log counter (`logSeq` in settings: a copy that finds a gap in it rebuilds) and `t` the call's time.
 * A change is `j,token,seq,joinedAt,p|w` (a new entry), `a,token,seq,admittedAt,activeUntil,waited 1|0`
 * (an admission), `x,token` (an entry ended, or a lost one passed over), `d,firstSeq,token,...` (drawn tokens
 * placed in that order), `s,maxActive,activeMs,rate,paused` (settings) or `o,1|0` (the sold-out mark). Each
 * says what an entry or setting now is, not what to add, so a copy may replay it over a snapshot taken later.
 *
 * A waiter costs Redis one hash member and one member of each set it is in, so both are short (`LineMembers`):
 * `entries` keeps each user's entry by the user's key (16 characters), packed as
 * `token|joinSequence|joinedAtMs|state|admittedAtMs|activeUntilMs|sightingStep` with the token's key (22
 * characters) and state `p` (pending: joined before the opening), `w` (waiting), `a` (active) or `e` (ended), and
 * the step of a waiter's last sighting (`sight`, below; '' for none); a set's member is the
 * token's key followed by the user's, so a script that pops one finds the entry at once. A user has one entry, live
 * or ended, so a rejoin replaces the ended one; a member whose token is no longer its user's entry names nothing.
 * The token and user keys hold no `|`, `,`, `;` or `#`, the separators of entries, replies and the log.
 * A line marked sold out (`soldOut` in `settings`) admits nobody and answers its pending and waiting
 * entries with state `s` (core's queueStatusOf); the entries themselves keep their state and place.
 * A sighting counts at the end of its step (core's sightingMsOf): a waiter who joined while the line was open is
 * marked in its step's bitmap and its entry names the step (`sight`), so a poll rewrites its entry only when the step
 * changes; a pending user's sighting is its score in `seen`, kept once drawn.
 * A pending entry is not rewritten by the draw, which only places its token in the waiting set: one
 * found there is waiting, at the place the draw gave it.
 *
 * Redis may forget: an entry whose key was evicted or dropped is treated as
 * ended, never as an error.
 *
 * A queue's keys expire once nobody has called for its retention period plus
 * an active window (plus at most `touchEveryMs`). Setting eleven expiries on
 * every call was a third of a poll's commands, so a call sets them all only
 * when the last such refresh is `touchEveryMs` old, and otherwise only on the
 * keys it wrote with `write`, the one way a script may create a key (a join
 * first asks whether the keys it writes all exist, and then has nothing to mark).
 *
 * Every `redis.call` in a script costs Redis a fixed amount, and a poll
 * makes about ten; Redis is shared by every instance, so its work per poll
 * bounds the whole deployment. Scripts avoid calls that repeat what the same
 * call has already read, tidy only when something is due (`tidyAtMs`), and
 * pass on as text what they read as text.
 */
import { Limits } from "@boxoffice/core"

/**
 * The keys of one queue. Every script is passed the first alone and names the rest from it (the same prefix and
 * hash tag), which Redis Cluster allows: every key a script touches is in the declared key's slot.
 */
export const queueKeyNames = [
  "seq",
  "entries",
  "waiting",
  "seen",
  "active",
  "admissions",
  "waited",
  "ended",
  "settings",
  "pending",
  "log",
  "steps"
] as const

/**
 * The most entries a line's log keeps (XADD MAXLEN ~): a copy that falls further behind rebuilds from the line's
 * keys. One entry is one script call's changes, about 100 bytes a change, so at most a few MB a line; at the
 * fastest join storm measured (about 2,000 grouped calls a second) it spans about 25 s, well over the 2 s a
 * rebuild of 10^6 waiters may take, during which the copy must not lose the log's tail.
 */
export const lineLogEntriesMax = 50_000

/** The most changes one log entry carries: a draw of 10^5 or a raise of maxActive admitting thousands is split. */
export const lineLogChangesPerEntryMax = 1_000

const limits = [
  Limits.waitingGraceSeconds * 1000,
  Limits.queueTidyBatchMax,
  Limits.endedEntryRetentionSeconds * 1000,
  Limits.etaSampleSize,
  Limits.etaWindowSeconds * 1000,
  60_000,
  Limits.sightingStepSeconds * 1000
].join(", ")

const prelude = `
-- KEYS[1] is the queue's counter, P{q:C}:seq. The other keys share its hash tag, so its slot, and are named from
-- it here: eleven declared keys were most of the bytes of a call, for the client to encode and Redis to parse.
local base = string.sub(KEYS[1], 1, -4)
local K_SEQ, K_ENTRIES, K_WAITING, K_SEEN, K_ACTIVE, K_ADMISSIONS, K_WAITED, K_ENDED, K_SETTINGS, K_PENDING =
  KEYS[1], base .. 'entries', base .. 'waiting', base .. 'seen', base .. 'active',
  base .. 'admissions', base .. 'waited', base .. 'ended', base .. 'settings', base .. 'pending'
local K_LOG, K_STEPS = base .. 'log', base .. 'steps'
-- now also as text, for what the call sends to Redis or answers: Lua formats a number as text with sprintf
-- each time it is passed or joined, a visible share of Redis's CPU per join.
local now, nowText
if ARGV[1] ~= '' then
  nowText = ARGV[1]
  now = tonumber(nowText)
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  nowText = tostring(now)
end
-- core's Limits, fixed in the script's text: how long a silent waiter keeps a place, the most entries one call
-- tidies, how long an ended entry is kept, the ETA's sample size and window, the rate cap's window.
local graceMs, tidyMax, retentionMs, etaSample, etaWindowMs, rateWindowMs, stepMs = ${limits}
-- A sighting now counts as seen at the end of its step (core's sightingMsOf).
local sightedMs = math.ceil(now / stepMs) * stepMs
local sightedText = tostring(sightedMs)
-- The step's number, which names its bitmap of waiters sighted in it (see sight()).
local stepNow = sightedMs / stepMs
local stepNowText = tostring(stepNow)
-- When the sale opens (core's isSaleOpen); nil: open at once.
local opensAt = tonumber(ARGV[5])
local open = not opensAt or now >= opensAt
-- The operator's settings, once changed, replace the concert's policy that the caller passed (rate 0: no cap).
-- Their text is kept for view(), which would otherwise format them again for every reply.
local maxActiveText, activeMsText, rateText = ARGV[2], ARGV[3], ARGV[4]
local paused = false
local configured = redis.call('HMGET', K_SETTINGS, 'maxActive', 'activeMs', 'rate', 'paused', 'touchedMs', 'tidyAtMs',
  'soldOut', 'logSeq')
if configured[1] then
  maxActiveText, activeMsText, rateText = configured[1], configured[2], configured[3]
  paused = configured[4] == '1'
end
-- Marked sold out (core's rules/SoldOut): admitFront admits nobody, joins are refused, and view() answers pending
-- and waiting entries as 's'. Read with the settings, so it costs a call nothing.
local soldOut = configured[7] == '1'
local maxActive, activeMs, rate = tonumber(maxActiveText), tonumber(activeMsText), tonumber(rateText)
local touchedMs = tonumber(configured[5])
-- No call before tidyAtMs has anything to tidy: tidy() sets it from the earliest time in each timed set, and
-- a write of an earlier time (a call that carries an older clock) brings it forward. nil (never set, or
-- evicted): tidy now.
local tidyAtMs = tonumber(configured[6])

-- The keys this call wrote, which touch() gives their expiry (a write may have created the key).
local written = {}
local function write(command, key, ...)
  written[key] = true
  return redis.call(command, key, ...)
end
-- A write keeps an existing key's expiry, so only a key the call creates needs one. A join writes four or five keys
-- that a sale under way already has: one EXISTS over them costs Redis less than renewing each, and when every one
-- exists they are written without marking.
local function writerFor(...)
  if redis.call('EXISTS', ...) == select('#', ...) then return redis.call end
  return write
end

-- This call's changes to the line, for its log (see the module's comment), appended by flushLog in one XADD.
local changes = {}
-- The log counter after this call's last entry, once it wrote one; before that, as the call found it.
local logCounter = nil
local storedCounter = tonumber(configured[8]) or 0
-- Whether the call changed more than the caller's own new entry (a join, and its admission on arrival): then the
-- status and join scripts tell the caller the counter, which a copy of the line must reach before it answers for
-- anyone on that instance again (the instance reads its own writes).
local othersChanged = false
local function flushLog()
  if #changes == 0 then return end
  local n = write('HINCRBY', K_SETTINGS, 'logSeq', 1)
  logCounter = n
  write('XADD', K_LOG, 'MAXLEN', '~', ${lineLogEntriesMax}, '*', 'c', n .. ',' .. nowText .. ';' .. table.concat(changes, ';'))
  changes = {}
end
local function logged(change, own)
  if not own then othersChanged = true end
  changes[#changes + 1] = change
  if #changes >= ${lineLogChangesPerEntryMax} then flushLog() end
end
-- The log counter as this call leaves it (after touch(), which appends the call's changes): a copy that has applied
-- this many entries has seen everything the call did.
local function counterNow()
  return logCounter or storedCounter
end
-- What the status and join scripts append to their views: '#' and the counter, when others changed.
local function counterSuffix()
  if othersChanged then return ';#' .. counterNow() end
  return ''
end
-- ZCARD of the active set, once read, kept up to date by this call's admissions and endings.
local activeCount = nil
-- The ETA's two numbers about the waited sample, read once per call until an admission adds to the sample: a
-- call that answers several polls reads them once.
local waitedOldest, waitedAfter = nil, nil

-- Something this call wrote falls due for tidying at ms.
local function dueAt(ms)
  if tidyAtMs and ms < tidyAtMs then
    tidyAtMs = ms
    write('HSET', K_SETTINGS, 'tidyAtMs', ms)
  end
end

-- A set's member is the token's key and then the user's, 16 characters (see the module's comment).
local function userKeyOf(member) return string.sub(member, -16) end
local function tokenKeyOf(member) return string.sub(member, 1, -17) end

-- The user's entry, or nil.
local function entryOf(userKey)
  local packed = redis.call('HGET', K_ENTRIES, userKey)
  if not packed then return nil end
  -- One match for the six fields, cheaper for Redis than an iterator over the parts. The numbers stay text: most
  -- calls only answer them, and converting costs Redis more than reading.
  local t, seq, joined, state, admitted, untilMs, step =
    string.match(packed, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not t then error('a queue entry this script cannot read: ' .. packed) end
  local e = { t = t, seq = seq, joined = joined, state = state,
              admitted = admitted ~= '' and admitted or nil, untilMs = untilMs ~= '' and untilMs or nil,
              step = step ~= '' and step or nil }
  if e.state == 'p' then
    local drawn = redis.call('ZSCORE', K_WAITING, t .. userKey)
    if drawn then e.state, e.seq = 'w', drawn end
  end
  return e
end

-- The entry a member names, or nil: none, or its user's entry is another token's (a rejoin replaced it).
local function load(member)
  local e = entryOf(userKeyOf(member))
  if e and e.t == tokenKeyOf(member) then return e end
  return nil
end

local function save(member, e, put)
  (put or write)('HSET', K_ENTRIES, userKeyOf(member), table.concat({ e.t, e.seq, e.joined, e.state,
    e.admitted or '', e.untilMs or '', e.step or '' }, '|'))
end

-- Where each step's bitmap starts, by step number, as this call has read or made them: false for a step with none.
local stepBases = {}
local function baseOf(step)
  local b = stepBases[step]
  if b == nil then
    local found = redis.call('ZRANGEBYSCORE', K_STEPS, step, step)
    b = found[1] and tonumber(string.match(found[1], ',(%d+)$')) or false
    stepBases[step] = b
  end
  return b
end

-- A waiter who joined while the line was open is sighted in a step's bitmap, not in seen: bit (join sequence -
-- the step's base) of P{q:C}:seen:<step>, with the step kept in the entry. The bitmap spans the sequences of the
-- line from its front when the step began (base), so it costs a bit a place of the line, not of the whole sale.
-- K_STEPS lists the steps' bitmaps, scored by step, member 'step,base'. Answers whether the entry's step changed
-- (the caller saves it); a sighting in the step already recorded writes nothing. A new entry behind the step's base
-- (only a lost counter and waiting set can make one) is sighted in seen instead, as a pending user is.
local function unsight(e)
  local b = e.step and baseOf(tonumber(e.step))
  if b and tonumber(e.seq) >= b then redis.call('SETBIT', K_SEEN .. ':' .. e.step, tonumber(e.seq) - b, 0) end
end
local function sight(member, e)
  if e.step == stepNowText then return false end
  local seq = tonumber(e.seq)
  local b = baseOf(stepNow)
  if not b then
    local front = redis.call('ZRANGE', K_WAITING, 0, 0, 'WITHSCORES')
    b = math.min(seq, tonumber(front[2]) or seq)
    write('ZADD', K_STEPS, stepNowText, stepNowText .. ',' .. b)
    stepBases[stepNow] = b
    write('SETBIT', K_SEEN .. ':' .. stepNowText, seq - b, 1)
  elseif seq >= b then
    redis.call('SETBIT', K_SEEN .. ':' .. stepNowText, seq - b, 1)
  else
    if not e.step then
      if redis.call('ZADD', K_SEEN, sightedText, userKeyOf(member)) == 1 then written[K_SEEN] = true end
      dueAt(sightedMs + graceMs)
    end
    return false
  end
  unsight(e)
  e.step = stepNowText
  dueAt(sightedMs + graceMs)
  return true
end

-- Ends an entry. A missing one (evicted) only leaves the indexes: it is ended already.
local function finish(token, e)
  logged('x,' .. tokenKeyOf(token))
  if not e then
    redis.call('ZREM', K_WAITING, token)
    redis.call('SREM', K_PENDING, token)
    -- seen holds the user, who may have an entry of another token by now.
    if redis.call('HEXISTS', K_ENTRIES, userKeyOf(token)) == 0 then redis.call('ZREM', K_SEEN, userKeyOf(token)) end
    redis.call('ZREM', K_ACTIVE, token)
    activeCount = nil
    return
  end
  if e.state == 'w' then
    redis.call('ZREM', K_WAITING, token)
    if e.step then unsight(e) else redis.call('ZREM', K_SEEN, userKeyOf(token)) end
  elseif e.state == 'p' then
    redis.call('SREM', K_PENDING, token)
    redis.call('ZREM', K_SEEN, userKeyOf(token))
  elseif e.state == 'a' then
    redis.call('ZREM', K_ACTIVE, token)
    activeCount = nil
  end
  e.state = 'e'
  e.untilMs, e.step = nil, nil
  save(token, e)
  write('ZADD', K_ENDED, nowText, token)
  dueAt(now + retentionMs)
end

-- Drops an ended entry, unless its user's entry is now another token's.
local function forget(member)
  if load(member) then redis.call('HDEL', K_ENTRIES, userKeyOf(member)) end
  redis.call('ZREM', K_ENDED, member)
end

-- The fair-start draw (core's drawOrder), in the first call at or after the opening: a Fisher-Yates
-- shuffle by Redis's own generator, then the next sequences in that order, ahead of every later join.
local function draw()
  local drawn = redis.call('SMEMBERS', K_PENDING)
  if #drawn == 0 then return end
  for last = #drawn, 2, -1 do
    local pick = math.random(last)
    drawn[last], drawn[pick] = drawn[pick], drawn[last]
  end
  local first = write('INCRBY', K_SEQ, #drawn) - #drawn + 1
  local tail = redis.call('ZRANGE', K_WAITING, -1, -1, 'WITHSCORES')
  if tail[2] and tonumber(tail[2]) >= first then
    first = tonumber(tail[2]) + 1
    write('SET', K_SEQ, first + #drawn - 1)
  end
  local batch = {}
  for i = 1, #drawn do
    batch[#batch + 1] = first + i - 1
    batch[#batch + 1] = drawn[i]
    if #batch == 1000 then
      write('ZADD', K_WAITING, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then write('ZADD', K_WAITING, unpack(batch)) end
  redis.call('DEL', K_PENDING)
  -- The log carries the order drawn, by token: a copy cannot draw again, Redis's generator is its own.
  for i = 1, #drawn do drawn[i] = tokenKeyOf(drawn[i]) end
  for from = 1, #drawn, ${lineLogChangesPerEntryMax} do
    local to = math.min(from + ${lineLogChangesPerEntryMax} - 1, #drawn)
    logged('d,' .. (first + from - 1) .. ',' .. table.concat(drawn, ',', from, to))
    flushLog()
  end
end

-- The earliest score in a sorted set, or nil for an empty one.
local function earliest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(first[2])
end

-- A tidy runs at least this often, whatever tidyAtMs says: a bound on anything that wrote a timed set without
-- bringing tidyAtMs forward (the scripts of an older version during a rolling upgrade).
local tidyEveryMs = 10000

-- Ends what is due (waiters who stopped polling, run-out windows, long-ended entries, the rate cap's old
-- admissions), then draws the pre-queue once the sale is open; then sets when the next tidy is due.
local function tidy()
  if tidyAtMs and now < tidyAtMs then return end
  for _, userKey in ipairs(redis.call('ZRANGEBYSCORE', K_SEEN, '-inf', now - graceMs, 'LIMIT', 0, tidyMax)) do
    local e = entryOf(userKey)
    if e and (e.state == 'w' or e.state == 'p') and not e.step then
      finish(e.t .. userKey, e)
    else
      -- The user's entry was lost, or is no longer pending or waiting: nothing to end.
      redis.call('ZREM', K_SEEN, userKey)
    end
  end
  -- Each step's bitmap falls due a grace after the step's end: its waiters still sighted last in it are ended.
  -- A bit is cleared as it is read, so a tidy cut short by its bound goes on where it stopped.
  local budget = tidyMax
  while budget > 0 do
    local first = redis.call('ZRANGE', K_STEPS, 0, 0, 'WITHSCORES')
    if not first[1] or tonumber(first[2]) * stepMs > now - graceMs then break end
    local step, key = tonumber(first[2]), K_SEEN .. ':' .. first[2]
    local b = tonumber(string.match(first[1], ',(%d+)$'))
    local fromByte = 0
    while budget > 0 do
      local bit = redis.call('BITPOS', key, 1, fromByte)
      if bit < 0 then break end
      fromByte = math.floor(bit / 8)
      redis.call('SETBIT', key, bit, 0)
      budget = budget - 1
      local member = redis.call('ZRANGEBYSCORE', K_WAITING, b + bit, b + bit, 'LIMIT', 0, 1)[1]
      local e = member and load(member)
      if e and e.step and tonumber(e.step) == step then finish(member, e) end
    end
    if budget == 0 then break end
    redis.call('DEL', key)
    redis.call('ZREM', K_STEPS, first[1])
    stepBases[step] = false
  end
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now, 'LIMIT', 0, tidyMax)) do
    finish(token, load(token))
  end
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', K_ENDED, '-inf', now - retentionMs, 'LIMIT', 0, tidyMax)) do
    forget(token)
  end
  -- Every admission of the last minute is kept: the rate cap and the stats count them.
  redis.call('ZREMRANGEBYSCORE', K_ADMISSIONS, '-inf', now - rateWindowMs)
  -- Only a sale with an opening time has a pre-queue (opensAt never changes), so only it looks for one.
  if open and opensAt then draw() end
  local at = now + tidyEveryMs
  local function sooner(ms) if ms and ms < at then at = ms end end
  local seen, ended, admitted, step = earliest(K_SEEN), earliest(K_ENDED), earliest(K_ADMISSIONS), earliest(K_STEPS)
  sooner(seen and seen + graceMs)
  sooner(step and step * stepMs + graceMs)
  sooner(earliest(K_ACTIVE))
  sooner(ended and ended + retentionMs)
  sooner(admitted and admitted + rateWindowMs)
  -- Before the opening, the draw is due at the opening.
  if not open then sooner(opensAt) end
  -- A batch cut short by tidyMax leaves its rest due now: the next call goes on with it.
  tidyAtMs = at
  write('HSET', K_SETTINGS, 'tidyAtMs', at)
end

-- The arriving joiner's entry, once admitFront has admitted them at once.
local arrivalAdmitted = nil

-- Admits front waiters while both caps allow. Nobody is admitted before the opening, while paused, or while sold
-- out (core's admissionsAllowed).
local function admitFront(arriving)
  if not open or soldOut then return end
  activeCount = activeCount or redis.call('ZCARD', K_ACTIVE)
  local room = maxActive - activeCount
  -- tidy() has pruned the admissions to the last minute, or none was older.
  if rate > 0 then room = math.min(room, rate - redis.call('ZCARD', K_ADMISSIONS)) end
  if paused or room <= 0 then return end
  local waitedAdded = false
  while room > 0 do
    local front = redis.call('ZPOPMIN', K_WAITING, room)
    if #front == 0 then break end
    for i = 1, #front, 2 do
      local token = front[i]
      local e = load(token)
      -- A waiter whose entry was evicted is passed over; the slot goes to the next. seen holds the user, who may
      -- wait with another token by now: only an entry of this token, or none, is taken off it.
      if e and e.step then
        unsight(e)
        e.step = nil
      elseif e or redis.call('HEXISTS', K_ENTRIES, userKeyOf(token)) == 0 then
        redis.call('ZREM', K_SEEN, userKeyOf(token))
      end
      if not e then logged('x,' .. tokenKeyOf(token)) end
      if e then
        -- A drawn entry's place lives only in the waiting set, which it has just left.
        e.seq = front[i + 1]
        local untilMs = now + activeMs
        e.state, e.admitted, e.untilMs = 'a', nowText, tostring(untilMs)
        save(token, e)
        write('ZADD', K_ACTIVE, e.untilMs, token)
        dueAt(untilMs)
        activeCount = activeCount + 1
        write('ZADD', K_ADMISSIONS, nowText, token)
        dueAt(now + rateWindowMs)
        logged(table.concat({ 'a', e.t, e.seq, nowText, e.untilMs, token == arriving and '0' or '1' }, ','),
          token == arriving)
        if token == arriving then
          arrivalAdmitted = e
        else
          write('ZADD', K_WAITED, nowText, token)
          waitedAdded = true
          waitedOldest = nil
        end
        room = room - 1
      end
    end
  end
  if waitedAdded then
    local sampled = redis.call('ZCARD', K_WAITED)
    if sampled > etaSample then redis.call('ZREMRANGEBYRANK', K_WAITED, 0, sampled - etaSample - 1) end
  end
end

local function admit(arriving)
  tidy()
  admitFront(arriving)
end

-- A queue nobody calls for a retention period plus an active window is over: let Redis drop it.
-- All keys' expiries are set again every touchEveryMs; in between, only on the keys this call may have made.
local touchEveryMs = 10000
local function touch()
  flushLog()
  local ttlMs = tostring(retentionMs + activeMs + touchEveryMs)
  if not touchedMs or now < touchedMs or now - touchedMs >= touchEveryMs then
    redis.call('HSET', K_SETTINGS, 'touchedMs', nowText)
    for _, key in ipairs({ K_SEQ, K_ENTRIES, K_WAITING, K_SEEN, K_ACTIVE, K_ADMISSIONS, K_WAITED, K_ENDED,
      K_SETTINGS, K_PENDING, K_LOG, K_STEPS }) do
      redis.call('PEXPIRE', key, ttlMs)
    end
    -- The steps' bitmaps, about one a step of the grace.
    for _, step in ipairs(redis.call('ZRANGE', K_STEPS, 0, -1)) do
      redis.call('PEXPIRE', K_SEEN .. ':' .. string.match(step, '^(%d+)'), ttlMs)
    end
  else
    for key in pairs(written) do redis.call('PEXPIRE', key, ttlMs) end
  end
end

-- An entry whose index was evicted has lost its place or window: it ended. So has an active entry whose window
-- ran out (core's isStillActive: until > now), and a waiting or pending one last seen at or before now - grace
-- (core's isAbandoned), which tidy()'s batch bound may have left in their sets: as in memory, the call that reads
-- it ends it, whatever the tidy left (refresh() would otherwise keep its place for another grace).
-- When a waiter was last seen is read only once tidyAtMs is due: tidy() leaves tidyAtMs no later than the earliest
-- score in seen plus the grace, and every write to seen brings it forward, so while it is ahead nobody is past the
-- grace. A poll then pays for the check only while a tidy cut short by its batch bound has left some behind.
-- A waiting entry's rank, read here, is its place for view() too.
local function reconcile(token, e)
  if e.state == 'w' then e.rank = redis.call('ZRANK', K_WAITING, token) end
  if (e.state == 'w' and not e.rank)
    or (e.state == 'p' and redis.call('SISMEMBER', K_PENDING, token) == 0)
    or (e.state == 'a' and (tonumber(e.untilMs) <= now or not redis.call('ZSCORE', K_ACTIVE, token))) then
    finish(token, e)
  elseif e.step then
    -- Sighted in a step: the entry says which, so the check costs no call.
    if tonumber(e.step) * stepMs <= now - graceMs then finish(token, e) end
  elseif (e.state == 'w' or e.state == 'p') and not (tidyAtMs and now < tidyAtMs) then
    local seenMs = redis.call('ZSCORE', K_SEEN, userKeyOf(token))
    if seenMs and tonumber(seenMs) <= now - graceMs then finish(token, e) end
  end
end

-- A waiter is seen: only its user's score in K_SEEN moves (seen holds users' keys, the shortest name of a waiter).
-- ZADD answers 1 for a new member, which may be a new key.
local function refresh(token, e)
  if e.step then
    if sight(token, e) then save(token, e) end
  elseif e.state == 'w' or e.state == 'p' then
    if redis.call('ZADD', K_SEEN, sightedText, userKeyOf(token)) == 1 then written[K_SEEN] = true end
    dueAt(sightedMs + graceMs)
  end
end

-- "created,token (its key),state,joinSequence,joinedAtMs,admittedAtMs,activeUntilMs,position,nowMs,
--  maxActive,activeMs,rate (the settings in force),
--  activeCount,oldestWaitedMs,afterOldest,(with a rate cap) windowCount,predecessorMs" (the rest only while waiting).
-- One string, not an array: the client decodes one bulk string for less of its CPU per call than
-- 18 array items. Every field is an id, a state letter or an integer, none with a comma; integers stay
-- below 1e14 (the %.14g that table.concat formats numbers with), milliseconds until the year 5138.
local function view(token, e, created)
  -- core's queueStatusOf: a pending or waiting entry of a line marked sold out reads 's', with no place or ETA.
  local state = e.state
  if soldOut and (state == 'w' or state == 'p') then state = 's' end
  local position = '-1'
  if state == 'w' then position = (e.rank or redis.call('ZRANK', K_WAITING, token)) + 1 end
  local reply = { created, e.t, state, e.seq, e.joined, e.admitted or '-1', e.untilMs or '-1', position, nowText,
    maxActiveText, activeMsText, rateText }
  if state == 'w' then
    reply[#reply + 1] = activeCount or redis.call('ZCARD', K_ACTIVE)
    -- Of the waited sample, only what the ETA uses (core's waitedAdmissionsOf): the oldest admission in the
    -- ETA window, and how many came strictly after it. The whole sample cost Redis more than the rest of a poll.
    if not waitedOldest then
      local oldest = redis.call('ZRANGEBYSCORE', K_WAITED, '(' .. (now - etaWindowMs), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if oldest[2] then
        waitedOldest, waitedAfter = oldest[2], tostring(redis.call('ZCOUNT', K_WAITED, '(' .. oldest[2], '+inf'))
      else
        waitedOldest, waitedAfter = '-1', '0'
      end
    end
    reply[#reply + 1] = waitedOldest
    reply[#reply + 1] = waitedAfter
    -- With a rate cap, of the window's admissions (pruned to the last 60 s by the admission step) only what the
    -- schedule uses: how many there are, and the one this waiter's admission must see leave (core's
    -- rateCapPredecessorIndex), not the times of the whole window (up to rate of them).
    if rate > 0 then
      local windowCount = redis.call('ZCARD', K_ADMISSIONS)
      local laps = math.max(0, math.ceil((position - rate) / rate))
      local index = windowCount + position - laps * rate - 1 - rate
      reply[#reply + 1] = windowCount
      reply[#reply + 1] = index < 0 and '-1' or redis.call('ZRANGE', K_ADMISSIONS, index, index, 'WITHSCORES')[2]
    end
  end
  return table.concat(reply, ',')
end
`

/**
 * ARGV[6..] a user's key and the token's key to use if the join is new, for each of one or more joins of the queue made
 * in one turn of a server's event loop. Each is answered exactly as a call of its own at the same time would be, in
 * order, each after its own admission step: the views joined by ';'. While the line is marked sold out, a join
 * other than an active user's answers 'sold-out' and writes nothing. When the call changed more than the joiners'
 * own entries, ';#' and the line's log counter follow (`counterSuffix`).
 */
export const joinScript = `${prelude}
local function joinOne(userKey, tokenKey)
  admit(nil)
  local existing = entryOf(userKey)
  local current = existing and existing.t .. userKey
  if existing then reconcile(current, existing) end
  if soldOut and not (existing and existing.state == 'a') then return 'sold-out' end
  if existing and existing.state ~= 'e' then
    refresh(current, existing)
    return view(current, existing, '0')
  end
  -- The user's ended entry is replaced by this join.
  if current then forget(current) end
  local token = tokenKey .. userKey
  -- Before the opening, a join gets a lottery ticket, not a place.
  if not open then
    local put = writerFor(K_ENTRIES, K_PENDING, K_SEEN)
    local e = { t = tokenKey, seq = '0', joined = nowText, state = 'p' }
    save(token, e, put)
    put('SADD', K_PENDING, token)
    put('ZADD', K_SEEN, sightedText, userKey)
    dueAt(sightedMs + graceMs)
    logged(table.concat({ 'j', tokenKey, '0', nowText, 'p' }, ','), true)
    return view(token, e, '1')
  end
  local put = writerFor(K_SEQ, K_ENTRIES, K_WAITING)
  -- The counter starts again at 1 only when its key was lost (evicted or expired): then a newcomer must not pass
  -- those already waiting.
  local seq = put('INCR', K_SEQ)
  if seq == 1 then
    local last = redis.call('ZRANGE', K_WAITING, -1, -1, 'WITHSCORES')
    if last[2] then
      seq = tonumber(last[2]) + 1
      -- SET drops an expiry, and the counter was just made: touch() gives it one.
      write('SET', K_SEQ, seq)
    end
  end
  local e = { t = tokenKey, seq = tostring(seq), joined = nowText, state = 'w' }
  put('ZADD', K_WAITING, e.seq, token)
  sight(token, e)
  save(token, e, put)
  logged(table.concat({ 'j', tokenKey, e.seq, nowText, 'w' }, ','), true)
  arrivalAdmitted = nil
  admitFront(token)
  return view(token, arrivalAdmitted or e, '1')
end
local replies = {}
for i = 6, #ARGV, 2 do
  replies[#replies + 1] = joinOne(ARGV[i], ARGV[i + 1])
end
touch()
return table.concat(replies, ';') .. counterSuffix()
`

/**
 * ARGV[6..] the members (token and user keys) of one or more polls of the queue, made in one turn of a server's
 * event loop. Each is answered exactly as a call of its own at the same time would be, in order, each after its own
 * admission step: the views joined by ';', '' for a token the queue does not know (or another user's); then, when the call changed the line, ';#' and
 * the line's log counter (`counterSuffix`).
 */
export const statusScript = `${prelude}
local replies = {}
for i = 6, #ARGV do
  local token = ARGV[i]
  admit(nil)
  local e = load(token)
  if e then
    reconcile(token, e)
    refresh(token, e)
    replies[#replies + 1] = view(token, e, '0')
  else
    replies[#replies + 1] = ''
  end
end
touch()
return table.concat(replies, ';') .. counterSuffix()
`

/**
 * ARGV[6] the member (token and user keys): another user's token is not ended. Answers the log counter after the
 * call (`counterNow`).
 */
export const endScript = `${prelude}
local token = ARGV[6]
admit(nil)
local e = load(token)
if e and e.state ~= 'e' then
  finish(token, e)
  admit(nil)
end
touch()
return counterNow()
`

/**
 * Marks the line sold out (ARGV[6] '1') or clears the mark ('0'), in one step with the admission step; clearing
 * admits at once, as a resume does. Answers the log counter after the call.
 */
export const soldOutScript = `${prelude}
admit(nil)
if soldOut ~= (ARGV[6] == '1') then logged('o,' .. ARGV[6]) end
soldOut = ARGV[6] == '1'
write('HSET', K_SETTINGS, 'soldOut', ARGV[6])
admit(nil)
touch()
return counterNow()
`

/**
 * The queue's numbers after the admission step, each O(1), with the settings in force:
 * { pending, waiting, active, admitted in the last 60 s, maxActive, activeMs, rate, paused (1 or 0) }.
 */
export const statsScript = `${prelude}
admit(nil)
touch()
return { redis.call('SCARD', K_PENDING), redis.call('ZCARD', K_WAITING), redis.call('ZCARD', K_ACTIVE), redis.call('ZCARD', K_ADMISSIONS),
  maxActive, activeMs, rate, paused and 1 or 0 }
`

/**
 * Changes the settings in force (core's applySettingsChange): ARGV[6..9] maxActive, activeMs, rate
 * (0: no cap), paused (1 or 0), each '' to keep. Admits at once under the new settings, and answers
 * { maxActive, activeMs, rate, paused, the log counter after the call }.
 */
export const configureScript = `${prelude}
admit(nil)
if ARGV[6] ~= '' then maxActive = tonumber(ARGV[6]) end
if ARGV[7] ~= '' then activeMs = tonumber(ARGV[7]) end
if ARGV[8] ~= '' then rate = tonumber(ARGV[8]) end
if ARGV[9] ~= '' then paused = ARGV[9] == '1' end
maxActiveText, activeMsText, rateText = tostring(maxActive), tostring(activeMs), tostring(rate)
write('HSET', K_SETTINGS, 'maxActive', maxActive, 'activeMs', activeMs, 'rate', rate, 'paused', paused and '1' or '0')
logged(table.concat({ 's', maxActiveText, activeMsText, rateText, paused and '1' or '0' }, ','))
admit(nil)
touch()
return { maxActive, activeMs, rate, paused and 1 or 0, counterNow() }
`

/**
 * The tick of an instance that keeps a copy of the line: the admission step (so admissions, expiries, abandonment
 * and the opening draw happen on time with nobody polling the store), then the log after ARGV[6] (an entry id),
 * at most ARGV[7] entries. Answers { the log counter after the step, id, value, id, value... }. A step with nothing
 * due costs the settings' read and the counts admitFront needs, so many instances ticking one line cost little.
 */
export const tickScript = `${prelude}
admit(nil)
touch()
local reply = { counterNow() }
for _, entry in ipairs(redis.call('XRANGE', K_LOG, '(' .. ARGV[6], '+', 'COUNT', ARGV[7])) do
  reply[#reply + 1] = entry[1]
  reply[#reply + 1] = entry[2][2]
end
return reply
`

/**
 * Waiters an instance answered from its copy, reported in a batch (each at most once a minute): ARGV[6..] their
 * members. Each still pending or waiting, and not yet past the grace (core's isAbandoned), is seen now, as a poll of
 * the store would have seen it; one past the grace is left for the tidy to end, as a poll would have ended it.
 * Answers how many were seen.
 */
export const seenScript = `${prelude}
local seenCount = 0
for i = 6, #ARGV do
  local member = ARGV[i]
  local e = load(member)
  if e and e.step then
    if e.state == 'w' and tonumber(e.step) * stepMs > now - graceMs then
      if sight(member, e) then save(member, e) end
      seenCount = seenCount + 1
    end
  elseif e and (e.state == 'w' or e.state == 'p') then
    local seenMs = redis.call('ZSCORE', K_SEEN, userKeyOf(member))
    if seenMs and tonumber(seenMs) > now - graceMs then
      redis.call('ZADD', K_SEEN, sightedText, userKeyOf(member))
      seenCount = seenCount + 1
    end
  end
end
touch()
return seenCount
`

/**
 * Reads a line's keys for a copy to start from, without the admission step and without writing: ARGV[1] names the
 * part. `head`: { maxActive, activeMs, rate, paused, soldOut ('' for each not set), the log counter, the last log
 * entry's id ('0-0' for none), the rate cap's window and the waited sample as 'member,ms,member,ms...', and how
 * many entries are waiting, pending or active (room for the copy to make at once), the steps' bitmaps as
 * 'step,base;...' (read next, for when each waiter was last seen), the earliest score in seen ('' for none) }, read
 * at once, so the replay
 * of the log after that id starts where they stand. `waiting`: up to ARGV[3] waiters after the score bound ARGV[2]
 * ('-inf', or '(' and the last sequence read), by sequence: { the last sequence, 'member,sequence,...', how many },
 * the set's own range and nothing looked up per waiter, so that a long line reads fast. `pending` and `active`:
 * SSCAN and ZSCAN from cursor ARGV[2], about ARGV[3] at a time: { the next cursor, 'member|seenMs|packed;...', how
 * many }. `packed` is the entry as stored, '' when it was lost (or is now another token's); `seenMs` when a pending entry was last seen, ''
 * for an active one. The parts are read one call each, while the line goes on changing; the log's changes since
 * the head put the copy right.
 */
export const snapshotScript = `
local base = string.sub(KEYS[1], 1, -4)
local K_ENTRIES, K_WAITING, K_ACTIVE, K_ADMISSIONS, K_WAITED, K_SETTINGS, K_PENDING, K_LOG, K_SEEN, K_STEPS =
  base .. 'entries', base .. 'waiting', base .. 'active', base .. 'admissions', base .. 'waited', base .. 'settings',
  base .. 'pending', base .. 'log', base .. 'seen', base .. 'steps'
local part = ARGV[1]
if part == 'head' then
  local s = redis.call('HMGET', K_SETTINGS, 'maxActive', 'activeMs', 'rate', 'paused', 'soldOut', 'logSeq')
  local last = redis.call('XREVRANGE', K_LOG, '+', '-', 'COUNT', 1)
  return { s[1] or '', s[2] or '', s[3] or '', s[4] or '', s[5] or '', s[6] or '0', last[1] and last[1][1] or '0-0',
    table.concat(redis.call('ZRANGE', K_ADMISSIONS, 0, -1, 'WITHSCORES'), ','),
    table.concat(redis.call('ZRANGE', K_WAITED, 0, -1, 'WITHSCORES'), ','),
    redis.call('ZCARD', K_WAITING) + redis.call('SCARD', K_PENDING) + redis.call('ZCARD', K_ACTIVE),
    table.concat(redis.call('ZRANGE', K_STEPS, 0, -1), ';'), redis.call('ZRANGE', K_SEEN, 0, 0, 'WITHSCORES')[2] or '' }
end
if part == 'waiting' then
  local page = redis.call('ZRANGEBYSCORE', K_WAITING, ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
  return { page[#page] or '', table.concat(page, ','), #page / 2 }
end
local tokens, scan
if part == 'pending' then
  scan = redis.call('SSCAN', K_PENDING, ARGV[2], 'COUNT', ARGV[3])
  tokens = scan[2]
else
  scan = redis.call('ZSCAN', K_ACTIVE, ARGV[2], 'COUNT', ARGV[3])
  tokens = {}
  for i = 1, #scan[2], 2 do tokens[#tokens + 1] = scan[2][i] end
end
local next = scan[1]
if #tokens == 0 then return { next, '', 0 } end
-- HMGET in slices: unpack passes at most a few thousand arguments, and a scan's COUNT is only a hint. Pending
-- entries carry when they were last seen (their score in seen), active ones nothing there.
local out = {}
for from = 1, #tokens, 1000 do
  local to = math.min(from + 999, #tokens)
  local users = {}
  for i = from, to do users[#users + 1] = string.sub(tokens[i], -16) end
  local packed = redis.call('HMGET', K_ENTRIES, unpack(users))
  local seen = part ~= 'active' and redis.call('ZMSCORE', K_SEEN, unpack(users)) or {}
  for i = from, to do
    -- The user's entry, if it is still this token's.
    local entry, owner = packed[i - from + 1], string.sub(tokens[i], 1, -17) .. '|'
    if not entry or string.sub(entry, 1, #owner) ~= owner then entry = '' end
    out[i] = tokens[i] .. '|' .. (seen[i - from + 1] or '') .. '|' .. entry
  end
end
return { next, table.concat(out, ';'), #tokens }
`
