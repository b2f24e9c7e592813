#!/usr/bin/env bash
# What `make setup` needs from the machine, checked before it installs anything: one
# clear line for each thing missing, then exit 1. Everything else (uv, the Python and
# node packages, the stand-in CTP library) setup fetches or builds itself.
#
#   scripts/check-prereqs.sh [PYTHON]
set -uo pipefail

python="${1:-${PYTHON:-python3}}"
missing=0
say() { echo "make setup: $*" >&2; missing=1; }

# Python 3.11+, with its C headers: vnpy_ctp has no Linux wheel and is compiled from
# its source distribution against them.
if ! command -v "$python" >/dev/null 2>&1; then
  say "no $python: install Python 3.11 or newer (or: make PYTHON=/path/to/python3.11 setup)"
elif ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "$python is $("$python" -V 2>&1): Python 3.11 or newer is needed"
elif ! "$python" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
  say "no Python.h for $python: install its headers (Debian/Ubuntu: apt-get install python3-dev)"
fi

# A C++17 compiler: vnpy_ctp's extension and tickhub's stand-in CTP library.
cxx="${CXX:-}"
if [[ -z "$cxx" ]]; then
  for candidate in c++ g++ clang++; do
    if command -v "$candidate" >/dev/null 2>&1; then cxx="$candidate"; break; fi
  done
fi
if [[ -z "$cxx" ]] || ! command -v "$cxx" >/dev/null 2>&1; then
  say "no C++ compiler: install one (Debian/Ubuntu: apt-get install g++; RHEL: dnf install gcc-c++)"
elif ! echo 'int main() { auto f = [](auto x) { return x; }; return f(0); }' \
    | "$cxx" -std=c++17 -x c++ -o /dev/null - >/dev/null 2>&1; then
  say "$cxx cannot compile C++17: install g++ 8 or newer"
fi

# Node 20+ and npm: the dashboard and the browser tests.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "no node/npm: install Node.js 20 or newer (Debian/Ubuntu: apt-get install nodejs npm)"
elif ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; then
  say "node is $(node --version): Node.js 20 or newer is needed"
fi

# The zh_CN.GB18030 locale vnpy_ctp converts CTP's text with: installed, or buildable
# without root by localedef from the system's locale sources (the gateway does that
# into its data dir when it starts a ctp worker).
if ! locale -a 2>/dev/null | grep -qix 'zh_CN\.gb18030'; then
  i18n="${I18NPATH:-/usr/share/i18n}"
  if ! command -v localedef >/dev/null 2>&1 \
      || [[ ! -e "$i18n/locales/zh_CN" ]] \
      || ! compgen -G "$i18n/charmaps/GB18030*" >/dev/null; then
    say "neither the zh_CN.GB18030 locale nor its sources (localedef, $i18n/locales/zh_CN, $i18n/charmaps/GB18030): install them (Debian/Ubuntu: apt-get install locales; RHEL: dnf install glibc-locale-source)"
  fi
fi

exit "$missing"
