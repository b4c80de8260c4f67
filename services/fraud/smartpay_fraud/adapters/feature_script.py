"""The Lua script that records a chunk of payments and reads their windows, compiled per feature set.

Redis runs Lua 5.1 interpreted: instead of walking a table of feature specs for every payment (index the spec,
branch on its aggregate, call a helper), the feature set is compiled into straight-line Lua once per set: per entity kind, the tables it records into; per state table, one pass that
computes every window reading it (card_count_30d and the three card label windows share one walk of the day
buckets); per entity kind, the pruning of the tables the whole catalogue keeps. The state layout (table names,
values) is unchanged: scripts of other feature sets, and of earlier releases, read and write the same states.

State tables (per entity value of one merchant, MessagePack): `c<bucket_ms>` bucket -> count, `s<bucket_ms>`
bucket -> amount sum, `d<field>` counterpart hash -> last timestamp, `p<field>b<bucket_ms>` counterpart hash ->
bucket -> count (a pair folded into its first entity), `f<bucket_ms>` bucket -> ascending known_at times of the
fraud labels of that bucket's payments (written by record_labels only)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from smartpay_fraud.domain.features import MAX_LABEL_DELAY_DAYS, MEMBER_FIELDS, VELOCITY, FeatureSet, \
    VelocityFeature, label_features


@dataclass(frozen=True)
class CompiledSet:
    names: list[str]
    entities: tuple[tuple[str, ...], ...]  # entity kinds in slot order (a state's kind is its 1-based slot)
    counterparts: tuple[str, ...]  # fields whose hashed values the script receives, in slot order
    plan_id: str  # the key of this set's values in a payment marker (written before: a MessagePack array)
    packed_id: str  # the key of this set's values in a payment marker, as packed doubles (read first)
    source: str


def table_name(f: VelocityFeature, folded: bool = False) -> str:
    """The state table a feature reads. Names do not depend on the feature set: sets share (and keep) state."""
    if folded:  # a pair count kept in its first entity's state
        return f"p{MEMBER_FIELDS.index(f.entity[1])}b{f.bucket_ms}"
    return f"d{MEMBER_FIELDS.index(f.field)}" if f.agg == "distinct" else f"{f.agg[0]}{f.bucket_ms}"  # f: frauds


def keep_spans(entity: tuple[str, ...]) -> dict[str, int]:
    """Per state table of an entity kind, what to keep: buckets (for counterparts, milliseconds) that any window
    of the whole catalogue still reads, not only this set's (a model with only a 24h window must not prune what
    another model's 7d window reads)."""
    keep: dict[str, int] = {}
    for f in VELOCITY + label_features(MAX_LABEL_DELAY_DAYS):
        if f.entity == entity:
            table = table_name(f)
        elif len(f.entity) == 2 and f.agg == "count" and f.entity[:1] == entity:
            table = table_name(f, folded=True)
        else:
            continue
        span = f.window_ms + f.bucket_ms if f.agg == "distinct" else f.buckets + f.delay_buckets
        keep[table] = max(keep.get(table, 0), span)
    return keep


def _bucket_of(table: str) -> int:
    return int(table.rsplit("b", 1)[1]) if table.startswith("p") else int(table[1:])


def compile_set(features: FeatureSet) -> CompiledSet:
    velocity = features.velocity
    names = [f.name for f in velocity]
    singles = {f.entity for f in velocity if len(f.entity) == 1}
    # A pair count (card+device) lives in its first entity's state when that entity has a key anyway.
    folded = {f.name for f in velocity if len(f.entity) == 2 and f.agg == "count" and f.entity[:1] in singles}
    entities = tuple(dict.fromkeys(f.entity[:1] if f.name in folded else f.entity for f in velocity))
    counterparts = tuple(dict.fromkeys([f.field for f in velocity if f.field]
                                       + [f.entity[1] for f in velocity if f.name in folded]))
    slot = {e: i + 1 for i, e in enumerate(entities)}
    cslot = {c: i + 1 for i, c in enumerate(counterparts)}

    def home(f: VelocityFeature) -> int:
        return slot[f.entity[:1] if f.name in folded else f.entity]

    buckets = sorted({f.bucket_ms for f in velocity})
    record, read, prune = [], [], []
    for e, entity in enumerate(entities, start=1):
        own = [f for f in velocity if home(f) == e]
        keep = keep_spans(entity)
        record.append(_record(e, own, folded, cslot))
        read.append(_read(e, own, folded, names, cslot, keep))
        pruned = {table_name(f) for f in own if f.name not in folded and table_name(f) in keep}
        prune.append(_prune(e, entity, pruned))
    label_slots = sorted({slot[f.entity] for f in velocity if f.agg == "fraud"})
    plan_id = "f" + hashlib.blake2b("\n".join(names).encode(), digest_size=8).hexdigest()
    E, C = len(entities), len(counterparts)
    header = "\n".join([f"    local e{e} = N[at + {2 + e}]" for e in range(1, E + 1)]
                       + [f"    local c{c} = P[ct + {c}]" for c in range(1, C + 1)]
                       + [f"    local h{b} = floor(ts / {b})" for b in buckets])
    label = "\n".join(f"      if e{e} > 0 then l[#l + 1] = KEYS[e{e}] end" for e in label_slots)
    packed_id = "v" + plan_id[1:]
    source = (_SCRIPT.replace("__STRIDE__", str(2 + E)).replace("__CSTRIDE__", str(C))
              .replace("__NF__", str(len(names))).replace("__VALUES__", f"'<{'d' * len(names)}'")
              .replace("__PLAN__", f"'{plan_id}'").replace("__PACKED__", f"'{packed_id}'").replace("__HEADER__", header)
              .replace("__RECORD__", "\n".join(record)).replace("__READ__", "\n".join(read))
              .replace("__LABELS__", "true" if label_slots else "false").replace("__LABEL__", label)
              .replace("__PRUNE__", "\n".join(prune)))
    return CompiledSet(names, entities, counterparts, plan_id, packed_id, source)


def _get(var: str, container: str, key: str) -> str:
    return f"{var} = {container}[{key}]; if not {var} then {var} = {{}}; {container}[{key}] = {var} end"


def _record(e: int, own: list[VelocityFeature], folded: set[str], cslot: dict[str, int]) -> str:
    """Lua adding the payment to entity slot e's state: counts and sums per bucket size, the counterparts' last
    times, the folded pairs' counts. Fraud tables grow only by labels (record_labels)."""
    lines = [f"      if e{e} > 0 then", f"        local s = states[e{e}]",
             f"        local nw = newest[e{e}]; if not nw or ts > nw then newest[e{e}] = ts end",
             "        local t, u"]
    for b, agg in sorted({(f.bucket_ms, f.agg) for f in own if f.agg in ("count", "sum") and f.name not in folded}):
        add = "amount" if agg == "sum" else "1"
        lines.append(f"        {_get('t', 's', repr(agg[0] + str(b)))}; t[h{b}] = (t[h{b}] or 0) + {add}")
    for field in sorted({f.field for f in own if f.agg == "distinct"}, key=MEMBER_FIELDS.index):
        c = f"c{cslot[field]}"
        lines.append(f"        if {c} ~= '' then {_get('t', 's', repr(f'd{MEMBER_FIELDS.index(field)}'))}; "
                     f"if (t[{c}] or 0) < ts then t[{c}] = ts end end")
    for table, field, b in sorted({(table_name(f, True), f.entity[1], f.bucket_ms) for f in own if f.name in folded}):
        c = f"c{cslot[field]}"
        lines.append(f"        if {c} ~= '' then {_get('u', 's', repr(table))}; {_get('t', 'u', c)}; "
                     f"t[h{b}] = (t[h{b}] or 0) + 1 end")
    lines.append("      end")
    return "\n".join(lines)


def _read(e: int, own: list[VelocityFeature], folded: set[str], names: list[str], cslot: dict[str, int],
          keep: dict[str, int]) -> str:
    """Lua setting vals[i] of every feature of entity slot e (-1 = no such entity / counterpart): one pass per
    state table, each entry tested against every window that reads the table. The same pass drops the entries no
    window of the catalogue reaches from this payment's time (`keep`), so the write-back need not walk the table
    again (a pair table is read for one counterpart only: it is pruned at write-back)."""
    out = {f.name: names.index(f.name) + 1 for f in own}
    missing = "; ".join(f"vals[{out[f.name]}] = -1" for f in own)
    lines = [f"    if e{e} == 0 then {missing}", "    else", f"      local s = states[e{e}]"]
    groups: dict[str, list[VelocityFeature]] = {}
    for f in own:
        groups.setdefault(table_name(f, f.name in folded), []).append(f)
    for table, fs in groups.items():
        acc = [f"a{j}" for j in range(len(fs))]
        kind, span = table[0], keep.get(table)
        lines += ["      do", f"        local t = s[{table!r}]", f"        local {', '.join(acc)} = {', '.join('0' * len(fs))}"]
        if kind == "p":  # folded pair: the payment's counterpart -> bucket -> count
            c = f"c{cslot[fs[0].entity[1]]}"
            lines.append(f"        if {c} == '' then t = nil; {' '.join(f'{a} = -1;' for a in acc)} "
                         f"elseif t then t = t[{c}] end")
            span = None
        lines.append("        if t then")
        for j, f in enumerate(fs):  # the window: lo < bucket <= top; for counterparts, in milliseconds
            b, lo, top = f.bucket_ms, *_bounds(f)
            lines.append(f"          local lo{j}, top{j} = ({lo} + 1) * {b}, ({top} + 1) * {b}" if kind == "d"
                         else f"          local lo{j}, top{j} = {lo}, {top}")
        if kind == "d":  # counterpart -> last time: the bucket of the last time inside the window
            key, test, body = "v, last", "last <= dead", [f"if last >= lo{j} and last < top{j} then {a} = {a} + 1 end"
                                                          for j, a in enumerate(acc)]
            dead = f"ts - {span}"
        elif kind == "f":  # bucket -> ascending known_at times: those known by the payment's time
            key, test = "k, known", "k <= dead"
            body = ["if type(known) == 'table' then",
                    "  local n, c = #known, 0",
                    "  if n > 0 and known[1] <= ts then",
                    "    if known[n] <= ts then c = n else c = known_by(known, ts) end",
                    "  end"] + [f"  if k > lo{j} and k <= top{j} then {a} = {a} + c end" for j, a in enumerate(acc)] + [
                    "end"]
            dead = f"h{fs[0].bucket_ms} - {span}"
        else:  # bucket -> count or sum (pairs: of the payment's counterpart)
            key, test, body = "k, v", "k <= dead", [f"if k > lo{j} and k <= top{j} then {a} = {a} + v end"
                                                      for j, a in enumerate(acc)]
            dead = f"h{fs[0].bucket_ms} - {span}"
        if span is None:
            lines.append(f"          for {key} in pairs(t) do")
            lines += [f"            {line}" for line in body]
        else:
            lines += [f"          local dead = {dead}", f"          for {key} in pairs(t) do",
                      f"            if {test} then t[{key.split(',')[0]}] = nil else"]
            lines += [f"              {line}" for line in body]
            lines.append("            end")
        lines += ["          end", "        end"]
        lines += [f"        vals[{out[f.name]}] = {a}" for a, f in zip(acc, fs)]
        lines.append("      end")
    lines.append("    end")
    return "\n".join(lines)


def _bounds(f: VelocityFeature) -> tuple[str, str]:
    """The window's buckets, lo < k <= top: its last bucket `delay` before the payment's."""
    top = f"h{f.bucket_ms}" + (f" - {f.delay_buckets}" if f.delay_buckets else "")
    return f"h{f.bucket_ms} - {f.delay_buckets + f.buckets}", top


def _prune(e: int, entity: tuple[str, ...], pruned: set[str]) -> str:
    """Lua dropping from a state of kind e the buckets and counterparts no window of the catalogue reaches any more
    (relative to the newest payment recorded into it, `nw`), in the tables the read passes did not prune already
    (`pruned`): pair tables and tables only other feature sets read. Tables of no catalogue window are left as they
    are."""
    lines = [f"  {'if' if e == 1 else 'elseif'} kind == {e} then"]
    for table, span in sorted(keep_spans(entity).items()):
        if table in pruned:
            continue
        lines.append(f"    t = s[{table!r}]")
        if table.startswith("d"):
            lines.append(f"    if t then for v, last in pairs(t) do if last <= nw - {span} then t[v] = nil end end end")
        elif table.startswith("p"):
            b = _bucket_of(table)
            lines += [f"    if t then local lo = floor(nw / {b}) - {span}",
                      "      for v, counts in pairs(t) do",
                      "        local left = false",
                      "        for k in pairs(counts) do if k <= lo then counts[k] = nil else left = true end end",
                      "        if not left then t[v] = nil end", "      end", "    end"]
        else:
            b = _bucket_of(table)
            lines.append(f"    if t then local lo = floor(nw / {b}) - {span}; "
                         "for k in pairs(t) do if k <= lo then t[k] = nil end end end")
    return "\n".join(lines)


_SCRIPT = """
-- KEYS: m entity states, then n payment markers (done:<id>). ARGV: ttl_ms, m, n; the m states' kinds (entity
-- slots), each followed by a comma; per payment ts, amount and one state index per entity slot (0 = the payment
-- has no such entity), as little-endian doubles (one struct.unpack, no string to split and convert); per payment
-- one counterpart hash per counterpart slot ('' = none), each followed by a comma.
-- No garbage collection while the chunk runs: the incremental collector would mark the chunk's states (all live
-- until the write-back) again and again; the garbage is collected after it (restart below; should the script fail
-- before, Redis's periodic LUA_GCSTEP after script calls resets the collector's threshold). The same values,
-- measured ~10 % less Redis time per payment.
collectgarbage('stop')
local floor, pairs, tonumber, unpack, type = math.floor, pairs, tonumber, unpack, type
local mpack, munpack, spack = cmsgpack.pack, cmsgpack.unpack, struct.pack
local ttl, m, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local K, N, P = {}, {}, {}
for v in string.gmatch(ARGV[4], '([^,]*),') do K[#K + 1] = tonumber(v) end
do
  local total, got, pos = n * __STRIDE__, 0, 1
  while got < total do  -- in slices: unpack's results go on the Lua stack
    local k = math.min(total - got, 1000)
    local part = {struct.unpack('<' .. string.rep('d', k), ARGV[5], pos)}
    for i = 1, k do N[got + i] = part[i] end
    got, pos = got + k, part[k + 1]
  end
  local np = 0
  for v in string.gmatch(ARGV[6], '([^,]*),') do np = np + 1; P[np] = v end
end
local states, newest, markers = {}, {}, {}
for i = 1, m, 500 do
  local raw = redis.call('MGET', unpack(KEYS, i, math.min(i + 499, m)))
  for j = 1, #raw do states[i + j - 1] = raw[j] and munpack(raw[j]) or {} end
end
for i = 1, n, 500 do
  local raw = redis.call('MGET', unpack(KEYS, m + i, m + math.min(i + 499, n)))
  for j = 1, #raw do markers[i + j - 1] = raw[j] end
end
local function known_by(known, ts)  -- how many of the ascending times are <= ts (known[1] <= ts < known[#known])
  local a, z = 1, #known
  while z - a > 1 do
    local mid = floor((a + z) / 2)
    if known[mid] <= ts then a = mid else z = mid end
  end
  return a
end
local parts, done, at, ct = {}, {}, 0, 0
for p = 1, n do
  local mk = KEYS[m + p]
  -- marker: feature set -> its values (an older marker of another layout still means "already counted")
  local seen = done[mk]
  if not seen and markers[p] then
    seen = munpack(markers[p])
    if type(seen) ~= 'table' or seen[1] ~= nil then seen = {} end
  end
  -- its values as packed doubles; a marker written before them holds them as an array (__PLAN__)
  local prior = seen and (seen[__PACKED__] or seen[__PLAN__])
  if type(prior) == 'table' then  -- an array with a value missing (short, or a hole) is read again, not counted
    for i = 1, __NF__ do
      if type(prior[i]) ~= 'number' then prior = nil break end
    end
    if prior then prior = spack(__VALUES__, unpack(prior, 1, __NF__)) end
  elseif type(prior) ~= 'string' or #prior ~= __NF__ * 8 then
    prior = nil
  end
  if prior then
    parts[p] = prior
  else
    local ts, amount = N[at + 1], N[at + 2]
__HEADER__
    if not seen then
__RECORD__
    end
    local vals = {}
__READ__
    local packed = spack(__VALUES__, unpack(vals, 1, __NF__))
    parts[p] = packed
    seen = seen or {}
    seen[__PACKED__] = packed
    if __LABELS__ and not seen.L then  -- where a later fraud label of this payment is counted: its bucket, its states
      local l = {ts}
__LABEL__
      seen.L = l
    end
    done[mk] = seen
    redis.call('SET', mk, mpack(seen), 'PX', ttl)
  end
  at, ct = at + __STRIDE__, ct + __CSTRIDE__
end
-- Write back what changed, without the buckets and counterparts no window can reach any more.
for i, nw in pairs(newest) do
  local s, kind, t = states[i], K[i]
__PRUNE__
  end
  redis.call('SET', KEYS[i], mpack(s), 'PX', ttl)
end
-- n x NF values, payment by payment, as little-endian doubles (exact for integers below 2^53): the client reads them
-- with one numpy call instead of parsing an array of thousands of integers. Each payment's are packed once, and the
-- same string is its marker's copy.
collectgarbage('restart')
return table.concat(parts)
"""
