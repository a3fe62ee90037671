#!/bin/bash
# certs.sh OUTDIR: test PKI for the TLS/WSS listeners. Idempotent: existing files are kept.
#   ca.pem/ca.key        test CA (clients trust this one)
#   server.pem/server.key  signed by the CA, SAN IP:127.0.0.1 + DNS:localhost (verification must succeed)
#   rogue.pem/rogue.key  self-signed, same names, unknown to the CA (verification must fail)
set -euo pipefail
out=${1:?usage: certs.sh OUTDIR}
mkdir -p "$out"; cd "$out"
san="subjectAltName=IP:127.0.0.1,DNS:localhost"
quiet() { local log; log=$("$@" 2>&1) || { echo "certs.sh: failed: $*"$'\n'"$log" >&2; exit 1; }; }

if [[ ! -s ca.pem || ! -s ca.key ]]; then
  quiet openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.pem \
    -subj "/CN=sipworker test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  rm -f server.pem   # a new CA invalidates the old server certificate
fi
if [[ ! -s server.pem || ! -s server.key ]]; then
  quiet openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
  printf '%s\n' "$san" "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" > server.ext
  quiet openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile server.ext -out server.pem
  rm -f server.csr server.ext ca.srl
fi
if [[ ! -s rogue.pem || ! -s rogue.key ]]; then
  quiet openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout rogue.key -out rogue.pem \
    -subj "/CN=127.0.0.1" -addext "$san"
fi
chmod 600 ./*.key
openssl verify -CAfile ca.pem server.pem >/dev/null   # sanity: the pair must match
