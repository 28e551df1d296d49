#!/bin/sh
# A manual check of envoi.cmd under Wine's cmd (a re-implementation, not Windows' own): the command line a caller
# types reaches java.exe verbatim, the exit code comes back, and a missing Java is one line. Not run by the build.
# Needs: apt-get install wine64 gcc-mingw-w64-x86-64-win32. Usage: check-envoi-cmd.sh [path/to/envoi.cmd]
set -eu
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
CMD=${1:-$HERE/../../../../org.envoi.product.feature/rootfiles/envoi.cmd}
W=${WINE:-/usr/lib/wine/wine64}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export WINEPREFIX="$T/prefix" WINEDEBUG=-all
mkdir -p "$T/p/jdk/bin" "$T/p/plugins"
x86_64-w64-mingw32-gcc -municode -o "$T/p/jdk/bin/java.exe" "$HERE/fakejava.c" -lshell32
sed 's/\r*$/\r/' "$CMD" > "$T/p/envoi.cmd"
printf '@echo off\r\ncall "%%~dp0p\\envoi.cmd" --data "C:\\my data" send --param K=V --to a,b;c --subject "a&b" --body "" --cc "x""&echo INJECTED&""" --tail (e)\r\n' > "$T/caller.cmd"
wpath() { printf 'Z:%s' "$1" | tr / '\\'; }
cd /
out=$(ENVOI_JAVA_HOME="$(wpath "$T/p/jdk")" FAKEJAVA_OUT="$(wpath "$T/out.txt")" "$W" cmd /c "$(wpath "$T/caller.cmd")" 2>&1 | tr -d '\r')
line=$(sed -n 's/^LINE //p' "$T/out.txt" | tr -d '\r')
expected='org.envoi.launcher.Main --data "C:\my data" send --param K=V --to a,b;c --subject "a&b" --body "" --cc "x""&echo INJECTED&""" --tail (e)'
case $line in
  *"$expected") echo "OK   the command line reaches java.exe verbatim" ;;
  *) echo "FAIL java.exe got: $line"; exit 1 ;;
esac
case $out in *INJECTED*) echo "FAIL a command ran from an argument: $out"; exit 1 ;; esac
echo "OK   nothing ran from an argument"
set +e
ENVOI_JAVA_HOME="$(wpath "$T/p/jdk")" FAKEJAVA_OUT="$(wpath "$T/out2.txt")" "$W" cmd /c "$(wpath "$T/p/envoi.cmd")" --help
rc=$?
[ "$rc" = 7 ] && echo "OK   java.exe's exit code comes back" || { echo "FAIL exit code $rc, not 7"; exit 1; }
msg=$(env -u ENVOI_JAVA_HOME -u JAVA_HOME WINEPATH='C:\none' "$W" cmd /c "$(wpath "$T/p/envoi.cmd")" --help 2>&1 | tr -d '\r')
case $msg in "Envoi needs Java 21 or newer"*) echo "OK   no Java: $msg" ;; *) echo "FAIL no Java: $msg"; exit 1 ;; esac
