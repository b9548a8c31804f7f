-- wrk script for the small-blob cross-check: PUT 4 KiB bodies to distinct paths.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  n = 0
  body = string.rep("0123456789abcdef", 256)
end
function request()
  n = n + 1
  return wrk.format("PUT", "/wrk/" .. tid .. "/" .. n, { ["Content-Type"] = "application/octet-stream" }, body)
end
