-- Runs one headless Ardour 7 session from a plan file: ardour7-lua session.lua SESSION_DIR PLAN_FILE
--
-- Plan lines (one step each, fields separated by spaces, '#' starts a comment):
--   session RATE BPM NUM DEN        create the session (must come first) and set tempo and meter at 0
--   plugin NAME                     append a VST3 (name from the scanner cache) to the track's chain
--   param PLUGIN VALUE TITLE...     set the parameter titled TITLE (the rest of the line, spaces
--                                   allowed) to a PLAIN value (Ardour converts it with the plugin's
--                                   plainParamToNormalized and delivers it in the next cycle's
--                                   inputParameterChanges)
--   locate SAMPLE                   stop there and let a few cycles run
--   roll_until SAMPLE               roll (if stopped) and return once the playhead has passed SAMPLE;
--                                   the transport keeps rolling into the next step
--   stop                            stop the transport and let a few cycles run
--   wait_file PATH SECONDS          wait until PATH exists and is not empty (cycles keep running)
--   wait_file_in DIR SUFFIX SECONDS wait until a non-empty file named *SUFFIX appears in DIR
--   wait_param PLUGIN VALUE SECONDS TITLE...
--                                   wait until the (read-only) parameter TITLE reads VALUE (plain)
--   wait_seconds SECONDS            let the session run (rolling or not) for a while
--
-- Each step prints "STEP ..." with the transport position; the last line is the RESULT_OK marker.
-- The script ends with os.exit(0) and never tears the session down: Ardour 7.3 crashes in
-- teardown now and then, so the caller judges a run by the marker and its output files.
local dir, planPath = arg[1], arg[2]
local TRS = ARDOUR.TransportRequestSource.TRS_UI
local t0 = ARDOUR.LuaAPI.monotonic_time()

local function fail(message)
	print("RESULT_FAIL " .. message)
	io.stdout:flush()
	os.exit(3)
end

local function elapsed() return (ARDOUR.LuaAPI.monotonic_time() - t0) / 1e6 end

local function step(text)
	local position = Session and Session:transport_sample() or -1
	print(string.format("STEP %-40s at %d, %.2f s", text, position, elapsed()))
	io.stdout:flush()
end

local track
local chain = {}       -- name -> processor
local chainLength = 0

local function parameterIndex(proc, name, title)
	local plugin = proc:to_insert():plugin(0)
	local titles = {}
	for i = 0, plugin:parameter_count() - 1 do
		local label = plugin:parameter_label(i)
		if label == title then return i end
		titles[#titles + 1] = label
	end
	fail(string.format("%s has no parameter '%s' (has: %s)", name, title, table.concat(titles, ", ")))
end

local function fileSize(path)
	local f = io.open(path, "rb")
	if not f then return 0 end
	local size = f:seek("end")
	f:close()
	return size or 0
end

local function waitUntil(seconds, what, condition)
	local deadline = elapsed() + tonumber(seconds)
	while not condition() do
		if elapsed() > deadline then fail(what .. " timed out after " .. seconds .. " s") end
		ARDOUR.LuaAPI.usleep(20000)
	end
end

local function waitCycles(n) ARDOUR.LuaAPI.wait_for_process_callback(n, 5000) end

local function rollUntil(sample, timeoutSeconds)
	if not Session:transport_rolling() then Session:request_roll(TRS) end
	local deadline = elapsed() + timeoutSeconds
	while Session:transport_sample() < sample do
		ARDOUR.LuaAPI.usleep(5000)
		if elapsed() > deadline then fail("roll_until " .. sample .. " timed out at " .. Session:transport_sample()) end
	end
end

local handlers = {
	session = function(rate, bpm, num, den)
		if not create_session(dir, "stage-test", tonumber(rate)) then fail("create_session " .. dir) end
		local tm = Temporal.TempoMap.fetch_writable()
		tm:set_tempo(Temporal.Tempo(tonumber(bpm), tonumber(bpm), tonumber(den)), Temporal.timepos_t(0))
		tm:set_meter(Temporal.Meter(tonumber(num), tonumber(den)), Temporal.timepos_t(0))
		Temporal.TempoMap.update(tm)
		track = Session:new_audio_track(2, 2, nil, 1, "Stage test", ARDOUR.PresentationInfo.max_order,
			ARDOUR.TrackMode.Normal, true):front()
		if not track then fail("new_audio_track") end
	end,
	plugin = function(name)
		local proc = ARDOUR.LuaAPI.new_plugin(Session, name, ARDOUR.PluginType.VST3, "")
		if proc:isnil() then fail(name .. " is not in the VST3 cache (was it scanned?)") end
		if track:add_processor_by_index(proc, chainLength, nil, true) ~= 0 then fail("add_processor " .. name) end
		chain[name] = proc
		chainLength = chainLength + 1
	end,
	param = function(name, value, ...)
		local title = table.concat({...}, " ")
		local proc = chain[name] or fail("param: no plugin " .. name .. " in the chain")
		local index = parameterIndex(proc, name, title)
		if not ARDOUR.LuaAPI.set_processor_param(proc, index, tonumber(value)) then
			fail("set_processor_param " .. name .. " " .. title)
		end
	end,
	locate = function(sample)
		Session:request_locate(tonumber(sample), false, ARDOUR.LocateTransportDisposition.MustStop, TRS)
		local deadline = elapsed() + 10
		while Session:transport_rolling() or Session:transport_sample() ~= tonumber(sample) do
			ARDOUR.LuaAPI.usleep(5000)
			if elapsed() > deadline then fail("locate " .. sample) end
		end
		waitCycles(4)
	end,
	roll_until = function(sample) rollUntil(tonumber(sample), 120) end,
	stop = function()
		Session:request_stop(false, false, TRS)
		local deadline = elapsed() + 10
		while Session:transport_rolling() do
			ARDOUR.LuaAPI.usleep(5000)
			if elapsed() > deadline then fail("stop") end
		end
		waitCycles(4)
	end,
	wait_file = function(path, seconds)
		waitUntil(seconds, "wait_file " .. path, function() return fileSize(path) > 0 end)
	end,
	wait_file_in = function(dir, suffix, seconds)
		waitUntil(seconds, "wait_file_in " .. dir, function()
			local listing = io.popen('ls -1 "' .. dir .. '" 2>/dev/null')
			local found = false
			for name in listing:lines() do
				if name:sub(-#suffix) == suffix and fileSize(dir .. "/" .. name) > 0 then found = true end
			end
			listing:close()
			return found
		end)
	end,
	wait_param = function(name, value, seconds, ...)
		local title = table.concat({...}, " ")
		local proc = chain[name] or fail("wait_param: no plugin " .. name .. " in the chain")
		local index = parameterIndex(proc, name, title)
		local last
		waitUntil(seconds, "wait_param " .. name .. " " .. title .. " = " .. value, function()
			local current = ARDOUR.LuaAPI.get_processor_param(proc, index, true)
			if current ~= last then
				print(string.format("PARAM %s %s = %s at %.2f s", name, title, tostring(current), elapsed()))
				last = current
			end
			return current ~= nil and math.abs(current - tonumber(value)) < 1e-3
		end)
	end,
	wait_seconds = function(seconds)
		local deadline = elapsed() + tonumber(seconds)
		while elapsed() < deadline do ARDOUR.LuaAPI.usleep(20000) end
	end,
}

local plan = io.open(planPath, "r") or fail("cannot read plan " .. tostring(planPath))
for line in plan:lines() do
	line = line:gsub("#.*", "")
	local words = {}
	for word in line:gmatch("%S+") do words[#words + 1] = word end
	if #words > 0 then
		local handler = handlers[words[1]] or fail("unknown plan step '" .. words[1] .. "'")
		if words[1] ~= "session" and not track then fail("the plan must start with 'session'") end
		handler(table.unpack(words, 2))
		step(line)
	end
end
plan:close()

print(string.format("RESULT_OK %.2f s", elapsed()))
io.stdout:flush()
os.exit(0)
