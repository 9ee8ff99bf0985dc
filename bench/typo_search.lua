-- wrk script: each request searches for a misspelled text (the URL's query= value is replaced):
-- every word of the generated library's vocabulary with one edit (two neighbours swapped, a letter
-- dropped, a letter changed), with two edits, and as a two-word phrase with a typo in each word
-- (%% in the phrase: gsub reads % in a replacement as a capture),
-- so every request goes past the exact, prefix and substring tiers to the edit-distance one.
local words = {"night", "river", "glass", "echo", "paper", "static", "golden", "hollow", "signal", "winter", "velvet", "iron",
               "silent", "electric", "distant", "blue", "garden", "motion", "shadow", "harbor", "fever", "orbit", "lantern", "salt"}
local function swap(w) return w:sub(1, 1) .. w:sub(3, 3) .. w:sub(2, 2) .. w:sub(4) end
local function drop(w) return w:sub(1, 2) .. w:sub(4) end
local function change(w) return w:sub(1, #w - 1) .. "q" end
local queries = {}
for i, w in ipairs(words) do
  queries[#queries + 1] = swap(w)
  queries[#queries + 1] = drop(w)
  queries[#queries + 1] = change(drop(w))
  queries[#queries + 1] = change(w) .. "%%20" .. swap(words[(i % #words) + 1])
end
local n = 0
request = function()
  n = n + 1
  local path = wrk.path:gsub("query=[^&]*", "query=" .. queries[(n % #queries) + 1])
  return wrk.format(nil, path)
end
