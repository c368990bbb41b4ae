# Reads the --help text of a CLI11 program and writes it out again in one of
# two forms (awk -v mode=...):
#
#   columns  the same text, with at least two spaces between every item (an
#            option, positional or subcommand) and its description, the
#            separator help2man needs. CLI11 leaves a single space where the
#            item fills its column ("-p,--port INT=6881 BitTorrent ...").
#   roff     man page text (for a help2man include file): each item as a
#            .TP paragraph, headings in bold, other lines as text.
#
# CLI11 starts every description at one column, found here from the
# "-h,--help" line; items nested in an option group are indented two more,
# and so are their descriptions. An item too long for its column has its
# description on the following lines, indented to that column.

function indent_of(s) { match(s, /^ */); return RLENGTH }
function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }

# Text for roff: backslashes and hyphens escaped; a line must not start
# with a request character, nor with what help2man reads as a section
# ([name]) or pattern (/re/) in an include file.
function roff(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	if (s ~ /^[.'[\/]/) s = "\\&" s
	return s
}

# The column (1-based) where the description of an item indented by
# `indent` starts.
function description_column(indent) { return indent + offset }

function is_heading(s) { return s ~ /^ *[A-Z][A-Za-z ]*:$/ || s ~ /^\[.*\]$/ }

{ lines[NR] = $0 }

END {
	offset = 0
	for (i = 1; i <= NR; i++) {
		if (lines[i] ~ /^ +-h,--help +[^ ]/) {
			match(lines[i], /^ +-h,--help +/)
			offset = RLENGTH + 1 - indent_of(lines[i])
			break
		}
	}
	in_items = 0
	for (i = 1; i <= NR; i++) {
		line = lines[i]
		if (offset == 0) { emit_text(line); continue }  # not CLI11's help (--version)
		if (line ~ /^ *$/) { in_items = 0; emit_blank(); continue }
		if (is_heading(line)) {
			# "Options:", "Positionals:", "Subcommands:" list items; an
			# option group's heading is followed by lines of text.
			in_items = line ~ /:$/
			emit_heading(line)
			continue
		}
		k = indent_of(line)
		if (!in_items || k == 0) { emit_text(line); continue }
		column = description_column(k)
		# The item's description: on this line from its column, and on the
		# following lines indented to that column.
		description = ""
		item = line
		next_indent = (i < NR && lines[i + 1] !~ /^ *$/) ? indent_of(lines[i + 1]) : 0
		if (next_indent < column - 1 && length(line) >= column && substr(line, column - 1, 1) == " ") {
			item = substr(line, 1, column - 1)
			description = substr(line, column)
		}
		continuation = ""
		while (i < NR && lines[i + 1] !~ /^ *$/ && indent_of(lines[i + 1]) >= column - 1) {
			i++
			continuation = continuation (continuation == "" ? "" : "\n") lines[i]
		}
		emit_item(item, description, continuation)
	}
}

function emit_text(s) {
	if (mode != "roff") print s
	else if (trim(s) != "") { print roff(trim(s)); print ".br" }
}
function emit_blank() { if (mode != "roff") print "" }
function emit_heading(s) {
	if (mode == "roff") { print ".PP"; print "\\fB" roff(trim(s)) "\\fR"; print ".br" }
	else print s
}
function emit_item(item, description, continuation,    n, parts, j) {
	if (mode == "roff") {
		print ".TP"
		print "\\fB" roff(trim(item)) "\\fR"
		if (description != "") print roff(trim(description))
		n = split(continuation, parts, "\n")
		for (j = 1; j <= n; j++) print roff(trim(parts[j]))
		return
	}
	if (description != "") {
		print (item ~ /  $/ ? item : item " ") description
	} else {
		print item
	}
	if (continuation != "") print continuation
}
