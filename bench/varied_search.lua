-- wrk script: each request searches for another text (the URL's query= value is replaced): every
-- word of the generated library's vocabulary, its first three letters, and two-word phrases, so
-- result sizes range from empty to full pages.
-- (%% in the phrase: gsub reads % in a replacement as a capture.)
local words = {"night", "river", "glass", "echo", "paper", "static", "golden", "hollow", "signal", "winter", "velvet", "iron",
               "silent", "electric", "distant", "blue", "garden", "motion", "shadow", "harbor", "fever", "orbit", "lantern", "salt"}
local queries = {}
for i, w in ipairs(words) do
  queries[#queries + 1] = w
  queries[#queries + 1] = w:sub(1, 3)
  queries[#queries + 1] = w .. "%%20" .. words[(i % #words) + 1]
  queries[#queries + 1] = w:sub(2, 4) .. "x"
end
local n = 0
request = function()
  n = n + 1
  local path = wrk.path:gsub("query=[^&]*", "query=" .. queries[(n % #queries) + 1])
  return wrk.format(nil, path)
end
