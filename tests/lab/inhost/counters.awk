# The test OS image's counter lines (sheer.count) from its consoles, read in order as one stream, prefixes
# stripped: prints "N UPTIME BOOT" for each. A move (checkpoint, migration) can pause the guest in the middle
# of a line: its first part ends the old console, where sheer's own line ("sheer: NAME: ...") follows it
# without a newline, and its rest starts the next console, where sheer's line saying it received the guest
# may cut in again. The pieces before sheer's lines are joined to the next guest line. (The byte the guest
# wrote last before the pause can show on both consoles: the checks compare only whole 36-character boot ids.)
function emit(line,   f) {
	if (match(line, /sheer-os-counter [0-9]+ uptime [0-9.]+ boot [0-9a-f-]+/)) {
		split(substr(line, RSTART, RLENGTH), f, " ")
		print f[2], f[4], f[6]
	}
}
{
	sub(/\r$/, "")
	at = index($0, "sheer: ")
	if (at > 1) {		# a piece of a guest line, then sheer's message
		cut = cut substr($0, 1, at - 1)
		next
	}
	if (at == 1)		# sheer's own lines
		next
	if (cut != "") {
		$0 = cut $0
		cut = ""
	}
	emit($0)
}
END { if (cut != "") emit(cut) }
