#!/usr/bin/env bash
# prepare-gotch.sh: make build/gotch, a copy of gotch v0.7.0 that builds
# against Debian's CPU libtorch 1.13, and point go.mod at it.
#
# gotch v0.7.0 was written for libtorch 1.11 with CUDA. From a pristine copy
# of the module (the module cache itself is never touched) this script
#   1. rewrites libtch/lib.go with the CPU flags for Debian's libtorch;
#   2. removes the generated wrappers named in scripts/gotch-drop.txt from the
#      C++ header pair and the Go functions that call them, failing if a name
#      is missing or a remaining file still calls a removed function;
#   3. patches the generated ops' output arrays: upstream allocates them with
#      C.malloc(0), never frees them, and ops with several outputs write past
#      the allocation; here each is a fixed-size array freed on return;
#   4. patches the generated in-place ops (add_, lerp_, ...) to free the
#      tensor handle they replace: upstream leaks it, and with it the whole
#      storage of a temporary that an in-place op touched (measured: 2 MB a
#      step of the MLP GAN's Adam update);
#   5. adds `require` and `replace` lines for gotch to go.mod.
# The facts behind each step are in /work/shared/gotch.md.
#
# It is idempotent: build/gotch carries a stamp with the hash of this script
# and the drop list, and a second run with the same inputs does nothing.
# After a libtorch upgrade run `go clean -cache`: Go's build cache does not
# hash system headers.
set -euo pipefail

readonly GOTCH_VERSION=v0.7.0
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
drop="$here/gotch-drop.txt"
dest="$root/build/gotch"
stampfile="$dest/.pipe-prepared"

die() {
	echo "prepare-gotch: $*" >&2
	exit 1
}

stamp=$(cat "$0" "$drop" | sha256sum | cut -d' ' -f1)

# prepare_copy builds the patched copy in a temporary directory beside dest
# and renames it into place, so an interrupted run leaves no half copy.
prepare_copy() {
	local src tmp
	src=$(cd "$root" && go mod download -json "github.com/sugarme/gotch@$GOTCH_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$src" ] && [ -d "$src" ] || die "go mod download gave no directory for gotch $GOTCH_VERSION"

	mkdir -p "$root/build"
	tmp=$(mktemp -d "$root/build/gotch.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp -R "$src/." "$tmp/"
	chmod -R u+w "$tmp"

	write_lib_go "$tmp/libtch/lib.go"
	drop_wrappers "$tmp"
	patch_out_arrays "$tmp/ts/tensor-generated.go"
	patch_inplace_handles "$tmp/ts/tensor-generated.go"

	echo "$stamp" >"$tmp/.pipe-prepared"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	trap - EXIT
}

write_lib_go() {
	# The ABI define must sit in CPPFLAGS: cgo gives CFLAGS to C files only,
	# and with the old ABI the link fails on torch::jit::load.
	cat >"$1" <<'EOF'
// Rewritten by pipe's scripts/prepare-gotch.sh for Debian's CPU-only
// libtorch-dev (headers in /usr/include, libraries on the default path).

package libtch

// #cgo CPPFLAGS: -I${SRCDIR} -I/usr/include/torch/csrc/api/include -D_GLIBCXX_USE_CXX11_ABI=1
// #cgo CXXFLAGS: -std=c++17 -O2 -w
// #cgo LDFLAGS: -ltorch -ltorch_cpu -lc10 -lstdc++
import "C"
EOF
}

# alternation joins the lines of file $1 into an ERE alternation.
alternation() {
	paste -sd'|' "$1"
}

# drop_funcs removes from Go file $1 every top-level function whose body calls
# one of the names in file $3 with prefix $2 (e.g. 'C\.'), and writes the
# names of the removed functions to file $4.
drop_funcs() {
	local file=$1 prefix=$2 names=$3 removed=$4 re
	re="(^|[^A-Za-z0-9_])$prefix($(alternation "$names"))\\("
	awk -v re="$re" -v removed="$removed" '
		function funcname(line, s) {
			s = line
			sub(/^func[ \t]*/, "", s)
			if (s ~ /^\(/) sub(/^\([^)]*\)[ \t]*/, "", s)
			match(s, /^[A-Za-z0-9_]+/)
			return substr(s, 1, RLENGTH)
		}
		/^func/ { infunc = 1; buf = ""; hit = 0; name = funcname($0) }
		infunc {
			buf = buf $0 "\n"
			if ($0 ~ re) hit = 1
			if ($0 ~ /^}[ \t]*$/) {
				infunc = 0
				if (hit) print name > removed
				else printf "%s", buf
			}
			next
		}
		{ print }
	' "$file" >"$file.new"
	mv "$file.new" "$file"
	touch "$removed"
}

drop_wrappers() {
	local dir=$1 work names re n
	work=$(mktemp -d)
	names="$work/c"
	grep -v -e '^#' -e '^[[:space:]]*$' "$drop" | sort -u >"$names"
	n=$(wc -l <"$names")
	[ "$n" -gt 0 ] || die "$drop lists no names"

	# Every name must be declared, defined and wrapped exactly once.
	while read -r name; do
		[ "$(grep -cE "^[a-z].*[ *]$name\(" "$dir/libtch/torch_api_generated.h")" = 1 ] ||
			die "$name: not declared exactly once in torch_api_generated.h"
		[ "$(grep -cE "^[a-z].*[ *]$name\(" "$dir/libtch/torch_api_generated.cpp.h")" = 1 ] ||
			die "$name: not defined exactly once in torch_api_generated.cpp.h"
		[ "$(grep -cE "C\.$name\(" "$dir/libtch/c-generated.go")" = 1 ] ||
			die "$name: not called exactly once in libtch/c-generated.go"
	done <"$names"

	# C++: the declarations are one line each; a definition runs from its
	# signature to the first closing brace at the start of a line.
	re="^[a-z].*[ *]($(alternation "$names"))\\("
	grep -vE "$re" "$dir/libtch/torch_api_generated.h" >"$work/h"
	mv "$work/h" "$dir/libtch/torch_api_generated.h"
	awk -v re="$re" '
		$0 ~ re { skip = 1 }
		skip { if ($0 ~ /^}/) { skip = 0; blank = 1 }; next }
		blank && /^[[:space:]]*$/ { blank = 0; next }
		{ blank = 0; print }
	' "$dir/libtch/torch_api_generated.cpp.h" >"$work/cpp"
	mv "$work/cpp" "$dir/libtch/torch_api_generated.cpp.h"

	# Go: each layer's removed names drive the next layer.
	drop_funcs "$dir/libtch/c-generated.go" 'C\.' "$names" "$work/lib"
	[ "$(wc -l <"$work/lib")" = "$n" ] || die "libtch/c-generated.go: removed $(wc -l <"$work/lib") functions for $n names"
	drop_funcs "$dir/ts/tensor-generated.go" 'lib\.' "$work/lib" "$work/ts"
	[ -s "$work/ts" ] || die "ts/tensor-generated.go: no function calls the removed wrappers"
	sort -u -o "$work/ts" "$work/ts"
	drop_funcs "$dir/ts/must-tensor-generated.go" '' "$work/ts" "$work/must"
	sort -u -o "$work/must" "$work/must"

	check_no_callers "$dir" "$work"
	echo "prepare-gotch: removed $n C wrappers, $(wc -l <"$work/ts") ts and $(wc -l <"$work/must") Must functions" >&2
	rm -rf "$work"
}

# uncommented drops grep -n hits whose line is a // comment.
uncommented() {
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*//'
}

# check_no_callers fails if any file of the copy still names a removed C
# function or calls a removed Go function.
check_no_callers() {
	local dir=$1 work=$2 hits
	hits=$(grep -rnwE "$(alternation "$work/c")" "$dir" --include='*.h' --include='*.cpp' --include='*.go' |
		uncommented || true)
	[ -z "$hits" ] || die "removed C wrappers still named:
$hits"

	# libtch functions are called unqualified inside libtch, as lib.Name elsewhere.
	hits=$(grep -rnE "(^|[^A-Za-z0-9_])($(alternation "$work/lib"))\\(" "$dir/libtch" --include='*.go' | uncommented || true)
	hits+=$(grep -rnE "lib\.($(alternation "$work/lib"))\\(" "$dir" --include='*.go' | uncommented || true)
	[ -z "$hits" ] || die "removed libtch functions still called:
$hits"

	# ts functions are called unqualified inside package ts and as ts.Name or
	# tensor.Name elsewhere; Must names likewise.
	local ts_and_must="$work/ts_and_must"
	cat "$work/ts" "$work/must" >"$ts_and_must"
	hits=$(grep -rnE "(^|[^A-Za-z0-9_])($(alternation "$ts_and_must"))\\(" "$dir/ts" --include='*.go' | uncommented || true)
	hits+=$(grep -rnE "\.($(alternation "$ts_and_must"))\\(" "$dir" --include='*.go' | uncommented || true)
	[ -z "$hits" ] || die "removed ts functions still called:
$hits"
}

patch_out_arrays() {
	local file=$1 before after
	before=$(grep -c 'C.malloc(0)' "$file")
	[ "$before" -gt 0 ] || die "$file: no C.malloc(0) output arrays found"

	# Eight slots: the most outputs any generated op has is five. The defer
	# frees the array after its entries have been copied into Go values.
	sed -i -E \
		's/^([[:space:]]*)(ptr|ctensorPtr0) := \(\*lib\.Ctensor\)\(unsafe\.Pointer\(C\.malloc\(0\)\)\)$/\1\2 := (*lib.Ctensor)(C.malloc(C.size_t(8 * unsafe.Sizeof(uintptr(0)))))\n\1defer C.free(unsafe.Pointer(\2))/' \
		"$file"

	after=$(grep -c 'C.malloc(0)' "$file" || true)
	[ "$after" = 0 ] || die "$file: $after C.malloc(0) calls left unpatched"
	grep -q '#include "stdlib.h"' "$file" || die "$file: no stdlib.h include for C.free"
	if [ "$(grep -o 'ctensorPtr[0-9]' "$file" | sort -u | tail -1)" \> ctensorPtr7 ]; then
		die "$file: an op has more than eight outputs"
	fi
}

patch_inplace_handles() {
	local file=$1 before after
	before=$(grep -c '^[[:space:]]*ts\.ctensor = \*ptr$' "$file")
	[ "$before" -gt 0 ] || die "$file: no in-place ops found"

	# An in-place op returns a new handle to the same tensor; freeing the old
	# handle only drops a reference, the new one keeps the tensor alive.
	sed -i -E 's/^([[:space:]]*)ts\.ctensor = \*ptr$/\1lib.AtFree(ts.ctensor)\n\1ts.ctensor = *ptr/' "$file"

	after=$(grep -c '^[[:space:]]*lib\.AtFree(ts\.ctensor)$' "$file")
	[ "$after" = "$before" ] || die "$file: patched $after of $before in-place ops"
}

ensure_go_mod() {
	local mod
	mod=$(cd "$root" && go mod edit -json)
	if ! grep -q '"Path": "github.com/sugarme/gotch"' <<<"$mod" ||
		! grep -q '"Path": "./build/gotch"' <<<"$mod"; then
		(cd "$root" &&
			go mod edit -require="github.com/sugarme/gotch@$GOTCH_VERSION" \
				-replace=github.com/sugarme/gotch=./build/gotch &&
			go get "github.com/sugarme/gotch@$GOTCH_VERSION")
	fi
}

if [ -f "$stampfile" ] && [ "$(cat "$stampfile")" = "$stamp" ]; then
	:
else
	prepare_copy
	echo "prepare-gotch: prepared $dest" >&2
fi
ensure_go_mod
