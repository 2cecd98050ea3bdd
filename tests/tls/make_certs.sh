#!/bin/sh
# Makes the test certificates of the TLS tests in OUTDIR with the openssl CLI (used by the C++
# tests in tests/net/tls_*_test.cpp and by the interop tests; nothing here is secret):
#   ca.pem ca.key            a test CA (self-signed)
#   server.pem server.key    localhost, 127.0.0.1 and ::1, signed by the CA (chain: leaf only)
#   other.pem other.key      other.test, signed by the CA (an SNI name; a wrong host otherwise)
#   expired.pem expired.key  localhost/127.0.0.1, signed by the CA, expired since 2020
#   self.pem self.key        localhost/127.0.0.1, self-signed (not trusted by anyone)
#   client.pem client.key    a client certificate "uvws-test-client", signed by the CA
# Usage: make_certs.sh OUTDIR   (OUTDIR is created; existing files are overwritten)
set -eu
out=${1:?usage: make_certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# The CA.
key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=uvws test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem 2>/dev/null

# leaf NAME CN SAN [extra x509 options...]: a certificate signed by the CA.
leaf() {
  name=$1 cn=$2 san=$3
  shift 3
  key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' \
    "$san" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -extfile "$name.ext" -out "$name.pem" "$@" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" -days 825
leaf other other.test "DNS:other.test" -days 825
leaf client uvws-test-client "DNS:uvws-test-client" -days 825

# Expired: x509 -req has no start date option in OpenSSL 3.0, so the CA signs with `openssl ca`
# and explicit dates in the past.
key expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr 2>/dev/null
mkdir -p ca.db
: >ca.db/index.txt
cat >ca.db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca.db/index.txt
new_certs_dir = ca.db
serial = ca.db/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
echo 1000 >ca.db/serial
openssl ca -batch -config ca.db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
  -startdate 20200101000000Z -enddate 20200201000000Z -out expired.pem -notext 2>/dev/null
rm -rf ca.db expired.csr

# Self-signed.
key self.key
openssl req -x509 -new -key self.key -sha256 -days 825 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out self.pem 2>/dev/null
rm -f ca.srl
