/** Lua: cmp(a, b) orders two Redis stream ids ('ms-seq') numerically: -1, 0 or 1. Prepended to the scripts that compare them. */
export const STREAM_ID_CMP = `
local function cmp(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  if am ~= bm then return am < bm and -1 or 1 end
  if as ~= bs then return as < bs and -1 or 1 end
  return 0
end`;
