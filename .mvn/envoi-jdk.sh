# Envoi: pick a JDK 21+ for the Tycho 5 build without the user editing anything.
# Sourced (POSIX sh) by ./mvnw and by the product scripts. Order: ENVOI_JAVA_HOME, then JAVA_HOME if it is
# already 21+, then the newest JDK 21+ in the usual install folders. Fails with one clear sentence otherwise.

envoi_java_feature() {
  # prints the feature release (17, 21, 25...) of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  _rel="$1/release"
  if [ -f "$_rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$_rel" | head -n 1
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

envoi_find_jdk() {
  _min="${1:-21}"
  for _cand in "${ENVOI_JAVA_HOME-}" "${JAVA_HOME-}"; do
    [ -n "$_cand" ] || continue
    _v="$(envoi_java_feature "$_cand")"
    if [ -n "$_v" ] && [ "$_v" -ge "$_min" ]; then echo "$_cand"; return 0; fi
  done
  _best=""; _bestv=0
  # mvnw runs with 'set -f': globbing must be on for the search below
  case "$-" in *f*) _noglob=1; set +f ;; *) _noglob=0 ;; esac
  for _cand in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
               /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$_cand" ] || continue
    _v="$(envoi_java_feature "$_cand")"
    [ -n "$_v" ] || continue
    if [ "$_v" -ge "$_min" ] && [ "$_v" -gt "$_bestv" ]; then _best="$_cand"; _bestv="$_v"; fi
  done
  [ "$_noglob" = 1 ] && set -f
  if [ -z "$_best" ]; then
    _javac_path="$(command -v javac 2>/dev/null || true)"
    if [ -n "$_javac_path" ]; then
      _home="$(dirname "$(dirname "$(readlink -f "$_javac_path")")")"
      _v="$(envoi_java_feature "$_home")"
      if [ -n "$_v" ] && [ "$_v" -ge "$_min" ]; then _best="$_home"; fi
    fi
  fi
  [ -n "$_best" ] && echo "$_best"
}

ENVOI_JDK="$(envoi_find_jdk 21 || true)"
if [ -z "$ENVOI_JDK" ]; then
  echo "Envoi needs a JDK 21 or newer to build (Tycho 5), and none was found: install one (for example" \
       "'apt-get install openjdk-21-jdk' or Temurin 21+) or set ENVOI_JAVA_HOME to its folder." >&2
  exit 1
fi
JAVA_HOME="$ENVOI_JDK"
export JAVA_HOME
