#!/usr/bin/env bash
# The Debian package, made and used the way a user would:
#   1. a fresh shared build with the prefix /usr (libraries and tools only) in a temporary folder;
#   2. `cpack -G DEB`;
#   3. the package's metadata (Depends: the runtime libraries from dpkg-shlibdeps and the -dev
#      packages a consumer needs) and contents (tools, libraries, headers, CMake package, .pc),
#      with no RPATH into the build tree;
#   4. the package installed with `dpkg -i` (as root), its tools run, the consumer in consumer/
#      built against /usr with find_package and with pkg-config and run, then `dpkg -P`, also
#      when a step fails. Not root, or a zmqsec package installed that this test did not
#      install: the same checks on the package extracted with `dpkg-deb -x` instead.
# The temporary folder is removed either way.
#
#   deb_test.sh SOURCE_DIR CONSUMER_DIR GENERATOR CXX [JOBS [BUILD_DIR]]
# BUILD_DIR (emptied first) is where the fresh build goes; a fixed folder inside the source tree
# lets ccache, whose base folder is the source tree, reuse the objects of an earlier run, even of
# another clone. Without it, a temporary folder.
set -euo pipefail

source_dir=$1 consumer_dir=$2 generator=$3 cxx=$4 jobs=${5:-2} fixed_build=${6:-}

for tool in cmake cpack dpkg dpkg-deb dpkg-query dpkg-shlibdeps readelf file flock pkg-config; do
  if ! command -v "$tool" >/dev/null; then
    echo "deb_test: $tool is missing (scripts/install-deps installs it)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d -t zmqsec-deb-XXXXXXXX)
build=$tmp/build
if [ -n "$fixed_build" ]; then
  rm -rf "$fixed_build"
  build=$fixed_build
fi
# For working on this script: ZMQSEC_DEB_TEST_BUILD names a build folder configured as below,
# used (built, packaged) instead of a fresh one.
reuse=${ZMQSEC_DEB_TEST_BUILD:-}
[ -z "$reuse" ] || build=$reuse
marker=/var/tmp/zmqsec-deb-test.installed  # "this test installed the zmqsec package"
installed=no

dpkg_retry() {  # dpkg ARGS..., retried while another dpkg or apt holds the lock
  local out rc
  for _ in $(seq 60); do
    rc=0
    out=$(dpkg "$@" 2>&1) || rc=$?
    if [ $rc -eq 0 ] || ! grep -q "lock" <<<"$out"; then
      printf '%s\n' "$out"
      return $rc
    fi
    sleep 5
  done
  printf '%s\n' "$out"
  return 1
}

cleanup() {
  local rc=$?
  if [ "$installed" = yes ] && [ -e "$marker" ]; then
    echo "deb_test: removing the installed package"
    dpkg_retry -P zmqsec >/dev/null || echo "deb_test: dpkg -P zmqsec failed" >&2
    rm -f "$marker"
  fi
  rm -rf "$tmp"
  [ -z "$fixed_build" ] || rm -rf "$fixed_build"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "deb_test: $*" >&2
  exit 1
}

# run LOG COMMAND...: runs a command, output in $tmp/LOG; on failure shows its end and fails.
run() {
  local log=$tmp/$1
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    fail "failed: $*"
  fi
}

# 1. The build.
echo "deb_test: configuring and building in $build"
[ -n "$reuse" ] || run configure.log cmake -S "$source_dir" -B "$build" -G "$generator" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DCMAKE_INSTALL_PREFIX=/usr -DZMQSEC_BUILD_TESTS=OFF -DZMQSEC_BUILD_BENCH=OFF \
  -DZMQSEC_BUILD_EXAMPLES=OFF -DZMQSEC_BUILD_FUZZ=OFF -DZMQSEC_BUILD_CLI=ON
run build.log cmake --build "$build" -j "$jobs" --config Release

# What the install must hold, as cmake/zmqsec_package.cmake wrote it: one "KIND value" per line.
cat >"$tmp/expected.cmake" <<'EOF'
include("${EXPECTED}")
foreach(var IN ITEMS PROJECT_VERSION CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR
    CMAKE_INSTALL_INCLUDEDIR ZMQSEC_INSTALL_CMAKEDIR ZMQSEC_INSTALL_PKGCONFIGDIR
    ZMQSEC_PACKAGE_LIBRARY_TYPE)
  message("${var} ${${var}}")
endforeach()
foreach(var IN ITEMS ZMQSEC_EXPECTED_LIBRARIES ZMQSEC_EXPECTED_PROGRAMS ZMQSEC_EXPECTED_HEADER_DIRS)
  foreach(item IN LISTS ${var})
    message("${var} ${item}")
  endforeach()
endforeach()
EOF
cmake -DEXPECTED="$build/package/expected_install-Release.cmake" -P "$tmp/expected.cmake" \
  >"$tmp/expected.txt" 2>&1 || fail "cannot read the expected install: $(cat "$tmp/expected.txt")"
expected() { sed -n "s/^$1 //p" "$tmp/expected.txt"; }
version=$(expected PROJECT_VERSION)
bindir=$(expected CMAKE_INSTALL_BINDIR)
libdir=$(expected CMAKE_INSTALL_LIBDIR)
includedir=$(expected CMAKE_INSTALL_INCLUDEDIR)
cmakedir=$(expected ZMQSEC_INSTALL_CMAKEDIR)
pcdir=$(expected ZMQSEC_INSTALL_PKGCONFIGDIR)
mapfile -t libraries < <(expected ZMQSEC_EXPECTED_LIBRARIES)
mapfile -t programs < <(expected ZMQSEC_EXPECTED_PROGRAMS)
mapfile -t header_dirs < <(expected ZMQSEC_EXPECTED_HEADER_DIRS)
[ "$(expected ZMQSEC_PACKAGE_LIBRARY_TYPE)" = SHARED ] || fail "the build is not shared"
[ ${#libraries[@]} -gt 0 ] || fail "no libraries expected"
[ ${#programs[@]} -ge 3 ] || fail "expected at least zmq-cert, zmq-logtail, zmq-monitor"

# 2. The package.
echo "deb_test: cpack -G DEB"
run cpack.log cpack -G DEB -C Release --config "$build/CPackConfig.cmake" -B "$build"
arch=$(dpkg --print-architecture)
deb=$build/zmqsec_${version}-1_${arch}.deb
[ -f "$deb" ] || fail "cpack did not write $deb: $(ls "$build")"

# 3. Metadata.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = zmqsec ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "${version}-1" ] || fail "Version is '$(field Version)', not ${version}-1"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
for f in Maintainer Description Section; do
  [ -n "$(field $f)" ] || fail "the package has no $f"
done
depends=$(field Depends)
echo "deb_test: Depends: $depends"
# Names of the packages in Depends, one per line, versions dropped.
depends_names=$(tr ',' '\n' <<<"$depends" | sed 's/(.*)//; s/|.*//; s/[[:space:]]//g' | sed '/^$/d')
has_depend() { grep -Eqx "$1" <<<"$depends_names"; }     # a pattern
has_depend_name() { grep -Fqx "$1" <<<"$depends_names"; }  # a name
# Runtime libraries (dpkg-shlibdeps; the names differ between Debian releases, hence patterns)
# and the -dev packages find_package(zmqsec) and `pkg-config zmqsec` need.
for pattern in 'libzmq5' 'libsodium[0-9]+' 'libssh2-1(t64)?' 'libspdlog[0-9.]+(-fmt[0-9]+)?' 'libtomlplusplus3' \
    'libstdc\+\+6' 'libc6' \
    'libzmq3-dev' 'cppzmq-dev' 'libspdlog-dev' 'libsodium-dev' 'libssh2-1-dev' 'libtomlplusplus-dev' '(pkgconf|pkg-config)'; do
  has_depend "$pattern" || fail "Depends names no package matching $pattern: $depends"
done
# Every shared library the packaged ELF files need, outside the package, comes from a package
# named in Depends.
dpkg-deb -c "$deb" >"$tmp/contents.txt"
root=$tmp/root
dpkg-deb -x "$deb" "$root"
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
mapfile -t elf_files < <(cd "$root" && find . -type f -exec file {} + | grep ELF | cut -d: -f1)
[ ${#elf_files[@]} -gt 0 ] || fail "no ELF files in the package"
for elf in "${elf_files[@]}"; do
  dynamic=$(readelf -d "$root/$elf")
  # (Here-strings, not pipes into grep -q: with pipefail a grep that stops early fails the pipe.)
  if grep -Eq '\((RPATH|RUNPATH)\)' <<<"$dynamic"; then
    fail "$elf has an RPATH: $(grep -E 'RPATH|RUNPATH' <<<"$dynamic")"
  fi
  # shellcheck disable=SC2013  # sonames have no spaces
  for needed in $(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dynamic"); do
    [ -e "$root/usr/$libdir/$needed" ] && continue  # one of ours
    path=$("$ldconfig" -p | awk -v lib="$needed" '$1 == lib && !found { print $NF; found = 1 }')
    [ -n "$path" ] || fail "$elf needs $needed, which this machine does not have"
    owner=$(dpkg-query -S "$path" 2>/dev/null || dpkg-query -S "/usr$path" 2>/dev/null ||
      dpkg-query -S "$(readlink -f "$path")" 2>/dev/null || true)
    owner=${owner%%:*}
    [ -n "$owner" ] || fail "no Debian package owns $path ($needed, needed by $elf)"
    # dpkg-shlibdeps may name a virtual package the owner provides (libspdlog1.10-fmt9).
    provides=$(dpkg-query -W -f='${Provides}' "$owner" | tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g')
    ok=no
    for name in "$owner" $provides; do
      if has_depend_name "$name"; then ok=yes; fi
    done
    [ $ok = yes ] || fail "$elf needs $needed from $owner, which Depends lacks: $depends"
  done
done

# 4. Contents.
in_package() { grep -Eq "[[:space:]]\./$1( -> .*)?\$" "$tmp/contents.txt"; }  # file or symlink
expect_in_package() { in_package "$1" || fail "the package lacks /$1"; }
for program in "${programs[@]}"; do expect_in_package "usr/$bindir/$program"; done
for library in "${libraries[@]}"; do expect_in_package "usr/$libdir/$library"; done
for file in zmqsecConfig.cmake zmqsecConfigVersion.cmake zmqsecTargets.cmake; do
  expect_in_package "usr/$cmakedir/$file"
done
expect_in_package "usr/$pcdir/zmqsec.pc"
headers=0
for dir in "${header_dirs[@]}"; do
  while IFS= read -r header; do
    cmp -s "$dir/$header" "$root/usr/$includedir/$header" ||
      fail "the package's /usr/$includedir/$header is missing or differs from $dir/$header"
    headers=$((headers + 1))
  done < <(cd "$dir" && find . -type f | sed 's|^\./||')
done
[ $headers -gt 0 ] || fail "no headers checked"
# Nothing outside /usr, nothing from the build tree.
if grep -Ev '[[:space:]]\./(usr/.*)?$' "$tmp/contents.txt"; then fail "files outside /usr"; fi
if grep -rlF "$build" "$root" >/dev/null; then
  fail "the package mentions the build folder: $(grep -rlF "$build" "$root")"
fi
echo "deb_test: the package holds ${#programs[@]} tools, ${#libraries[@]} library files," \
  "$headers headers, the CMake package and zmqsec.pc"

# 5. Installed (or extracted), used.
mode=extract
if [ "$(id -u)" -eq 0 ]; then
  exec 9>/var/tmp/zmqsec-deb-test.lock
  flock -w 900 9 || fail "another run of this test holds /var/tmp/zmqsec-deb-test.lock"
  status=$(dpkg-query -W -f='${db:Status-Status}' zmqsec 2>/dev/null || true)
  if [ -n "$status" ] && [ "$status" != not-installed ] && [ -e "$marker" ]; then
    echo "deb_test: removing the zmqsec package an interrupted run of this test left installed"
    dpkg_retry -P zmqsec >/dev/null || fail "cannot remove the left-over zmqsec package"
    rm -f "$marker"
    status=$(dpkg-query -W -f='${db:Status-Status}' zmqsec 2>/dev/null || true)
  fi
  if [ -n "$status" ] && [ "$status" != not-installed ]; then
    echo "deb_test: a zmqsec package ($status) is on this machine, not installed by this test;" \
      "leaving it alone and checking the extracted package instead"
  elif [ -e "/usr/$bindir/zmq-cert" ] || [ -e "/usr/$cmakedir" ] || [ -e "/usr/$includedir/zmqsec" ]; then
    echo "deb_test: zmqsec files not from a package are in /usr; leaving them alone and checking" \
      "the extracted package instead"
  else
    mode=install
  fi
else
  echo "deb_test: not root: checking the extracted package instead of installing it"
fi

if [ "$mode" = install ]; then
  prefix=/usr
  touch "$marker"
  installed=yes
  echo "deb_test: dpkg -i $(basename "$deb")"
  dpkg_retry -i "$deb" >"$tmp/dpkg-i.log" 2>&1 || { cat "$tmp/dpkg-i.log" >&2; fail "dpkg -i failed"; }
  [ "$(dpkg-query -W -f='${db:Status-Status}' zmqsec)" = installed ] || fail "zmqsec is not installed"
  tool_env=(env)
  consumer_env=(env -u PKG_CONFIG_PATH)
  prefix_args=()
else
  prefix=$root/usr
  tool_env=(env "LD_LIBRARY_PATH=$prefix/$libdir")
  consumer_env=(env "LD_LIBRARY_PATH=$prefix/$libdir" "PKG_CONFIG_PATH=$prefix/$pcdir")
  prefix_args=("-DCMAKE_PREFIX_PATH=$prefix")
fi

# The tools.
for program in "${programs[@]}"; do
  run "$program-help.log" "${tool_env[@]}" "$prefix/$bindir/$program" --help
  if [ "$mode" = install ]; then
    libs=$(ldd "$prefix/$bindir/$program")
    if grep -q "not found" <<<"$libs"; then fail "$program: $(grep 'not found' <<<"$libs")"; fi
  fi
done
out=$("${tool_env[@]}" "$prefix/$bindir/zmq-cert" --version)
[ "$out" = "zmq-cert $version" ] || fail "zmq-cert --version printed '$out'"
out=$("${tool_env[@]}" "$prefix/$bindir/zmq-cert" keypair)
{ grep -Eq '^public: .{40}$' <<<"$out" && grep -Eq '^secret: .{40}$' <<<"$out"; } ||
  fail "zmq-cert keypair printed: $out"
mkdir -p "$tmp/certs"
run zmq-cert-generate.log "${tool_env[@]}" "$prefix/$bindir/zmq-cert" generate --dir "$tmp/certs" deb-test
run zmq-cert-verify.log "${tool_env[@]}" "$prefix/$bindir/zmq-cert" verify "$tmp/certs/deb-test.key_secret"
echo "deb_test: ${#programs[@]} tools run from $prefix/$bindir"

# The consumer, with find_package.
run consumer-configure.log "${consumer_env[@]}" cmake -S "$consumer_dir" -B "$tmp/consumer" \
  -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release "${prefix_args[@]}" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
  -DZMQSEC_EXPECTED_PREFIX="$prefix" -DZMQSEC_EXPECTED_VERSION="$version"
run consumer-build.log cmake --build "$tmp/consumer" --config Release
for program in consumer_certs consumer_umbrella; do
  mkdir -p "$tmp/run/$program"
  out=$("${consumer_env[@]}" "$tmp/consumer/$program" "$tmp/run/$program") ||
    fail "$program failed: $out"
  [[ "$out" == "zmqsec consumer ok "* ]] || fail "$program printed: $out"
done

# The consumer, with pkg-config.
pc_flags=$("${consumer_env[@]}" pkg-config --cflags --libs zmqsec) || fail "pkg-config zmqsec failed"
pc_found=$("${consumer_env[@]}" pkg-config --variable=pcfiledir zmqsec)
[ "$(readlink -f "$pc_found")" = "$(readlink -f "$prefix/$pcdir")" ] ||
  fail "pkg-config found zmqsec.pc in $pc_found, not in $prefix/$pcdir"
# shellcheck disable=SC2086  # the flags are words
run consumer-pkg-config.log "$cxx" -std=c++20 "$consumer_dir/main.cpp" -o "$tmp/consumer_pkg_config" $pc_flags
mkdir -p "$tmp/run/pkg_config"
out=$("${consumer_env[@]}" "$tmp/consumer_pkg_config" "$tmp/run/pkg_config") ||
  fail "the pkg-config consumer failed: $out"
[[ "$out" == "zmqsec consumer ok "* ]] || fail "the pkg-config consumer printed: $out"
echo "deb_test: the consumer builds and runs against $prefix (find_package and pkg-config)"

# 6. Removed, without a trace.
if [ "$mode" = install ]; then
  echo "deb_test: dpkg -P zmqsec"
  dpkg_retry -P zmqsec >"$tmp/dpkg-P.log" 2>&1 || { cat "$tmp/dpkg-P.log" >&2; fail "dpkg -P failed"; }
  rm -f "$marker"
  installed=no
  status=$(dpkg-query -W -f='${db:Status-Status}' zmqsec 2>/dev/null || true)
  [ -z "$status" ] || [ "$status" = not-installed ] || fail "zmqsec is still $status after dpkg -P"
  for path in "/usr/$bindir/zmq-cert" "/usr/$includedir/zmqsec" "/usr/$cmakedir" \
      "/usr/$pcdir/zmqsec.pc" "/usr/$libdir/${libraries[0]}"; do
    [ ! -e "$path" ] || fail "$path is still there after dpkg -P"
  done
fi
echo "deb_test: passed ($mode)"
