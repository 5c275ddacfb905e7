#!/bin/sh
# Starts nats-server only when every NATS_*_PASSWORD of its environment is a real password: 24 or
# more letters and digits, the first a letter. nats-server itself would accept an empty password (a
# user name alone then logs in) and reads the variables as configuration values (a leading digit
# makes a number, `#` starts a comment), so a weak, empty or mangled value must stop it here.
# The placeholders in git ("CHANGE ME ...") fail this check. Generate passwords with
# `node infra/secrets.mjs` (infra/README.md, "NATS logins").
set -eu
for name in $(env | sed -n 's/^\(NATS_[A-Z0-9_]*_PASSWORD\)=.*/\1/p'); do
  value=$(printenv "$name" || true)
  case "$value" in
    *[!A-Za-z0-9]* | [!A-Za-z]*) ok=no ;;
    *) if [ "${#value}" -ge 24 ]; then ok=yes; else ok=no; fi ;;
  esac
  if [ "$ok" != yes ]; then
    echo "refusing to start: $name must be 24 or more letters and digits, starting with a letter" >&2
    exit 1
  fi
done
exec nats-server "$@"
